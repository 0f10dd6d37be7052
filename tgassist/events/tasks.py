"""Stages, scheduled jobs, health blocks and start-up hooks of the events product."""

from __future__ import annotations

from tgassist.core.product import Product

PRODUCT = Product(name="events")
