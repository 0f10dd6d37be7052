"""Errors of search, ask, digests and trends: a message key with parameters (locale domain
`search`); `str(err)` is the English text, a door renders the key in the user's language."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from tgassist.core.errors import TgassistError

LOCALES = Path(__file__).resolve().parents[1] / "locales"


@lru_cache(maxsize=8)
def catalogue(lang: str) -> dict[str, str]:
    """msgid → msgstr of the `search` domain in `lang` (empty when the file is absent)."""
    from babel.messages.pofile import read_po

    path = LOCALES / lang / "LC_MESSAGES" / "search.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        cat = read_po(fh)
    return {str(m.id): str(m.string) for m in cat if m.id and m.string}


def render(key: str, lang: str = "en", /, **params: Any) -> str:
    """The text of `key` in `lang` (English, then the key itself, when missing)."""
    text = catalogue(lang).get(key) or catalogue("en").get(key) or key
    try:
        return text.format(**params)
    except (KeyError, IndexError, ValueError):
        return text


class ReadError(TgassistError):
    """A reader request cannot be done: bad query, unknown or unfollowed channel, bad date …"""

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        self.params = params
        super().__init__(render(key, "en", **params))

    def render(self, lang: str) -> str:
        return render(self.key, lang, **self.params)


__all__ = ["ReadError", "render"]
