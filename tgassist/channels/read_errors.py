"""Errors of search, ask, digests and trends: a message key of the `search` locale domain with its
parameters (`LocalizedError`); `str(err)` is the English text, a door renders the user's language."""

from __future__ import annotations

from typing import Any

from tgassist.core.errors import LocalizedError


def render(key: str, lang: str | None = None, /, **params: Any) -> str:
    """The text of a message key in `lang` (None: TGASSIST_LANGUAGE)."""
    from tgassist.core.i18n import t

    return t(key, lang, **params)


class ReadError(LocalizedError):
    """A reader request cannot be done: bad query, unknown or unfollowed channel, bad date …"""


__all__ = ["ReadError", "render"]
