"""Errors of the channels product that doors catch (message keys rendered in the user's language)."""

from __future__ import annotations

from tgassist.channels.read_errors import ReadError

__all__ = ["ReadError"]
