"""The time zone of an export's local times: an IANA name or a fixed offset (`+03:00`)."""

from __future__ import annotations

import re
from datetime import timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)


def zone_of(name: str) -> tzinfo | None:
    """`Europe/Moscow`, `UTC`, `+03:00`, `UTC+3` → a tzinfo; None when unknown."""
    name = name.strip()
    if not name:
        return None
    m = _OFFSET.match(name)
    if m:
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours > 14 or minutes > 59:
            return None
        delta = timedelta(hours=hours, minutes=minutes)
        return timezone(-delta if m.group(1) == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # also "../etc/passwd" style names
        return None


__all__ = ["zone_of"]
