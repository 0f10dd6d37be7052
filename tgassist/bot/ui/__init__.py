"""Keyboards, callback data and message formatting of the product screens (one module each)."""
