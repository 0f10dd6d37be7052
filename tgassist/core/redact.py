"""Secrets out of messages: passwords inside URLs are never printed (start-up errors, logs).

`redis://:hunter2@db:6379/0` → `redis://:***@db:6379/0`; `postgresql://app:pw@host/db` →
`postgresql://app:***@host/db`. A URL that cannot even be parsed is masked by pattern.
"""

from __future__ import annotations

import re

MASK = "***"
# scheme://[user][:password]@ — the password is everything up to the last '@' of the authority
_USERINFO = re.compile(r"(?P<head>[a-zA-Z][a-zA-Z0-9+.\-]*://[^:/?#@\s]*:)(?P<pw>[^\s/?#]*)@")


def mask_url(url: str | None) -> str:
    """`url` with the password (if any) replaced by ***; '' for None."""
    if not url:
        return ""
    return mask_secrets(url)


def mask_secrets(text: str) -> str:
    """Every `scheme://user:password@` in `text` with the password masked."""
    if "://" not in text or "@" not in text:
        return text
    return _USERINFO.sub(lambda m: m.group("head") + MASK + "@", text)


__all__ = ["MASK", "mask_secrets", "mask_url"]
