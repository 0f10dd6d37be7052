"""The `search` message catalogues: every key the reader code uses exists in Russian and English
with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2] / "tgassist"


def catalogue(lang: str) -> dict[str, str]:
    with (ROOT / "locales" / lang / "LC_MESSAGES" / "search.po").open("rb") as fh:
        return {str(m.id): str(m.string) for m in read_po(fh) if m.id and m.string}


KEY_RE = re.compile(r"[\"'](search\.(?!po\b)[a-z_]+(?:\.[a-z_]+)*)[\"']")


def _placeholders(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_used_key_is_in_both_languages_with_the_same_placeholders() -> None:
    en, ru = catalogue("en"), catalogue("ru")
    assert en and set(en) == set(ru)
    for key in en:
        assert _placeholders(en[key]) == _placeholders(ru[key]), key
    used = set()
    for path in [
        *ROOT.glob("channels/*.py"),
        *ROOT.glob("cli/channels_read.py"),
        *ROOT.glob("api/routes/channels_read.py"),
    ]:
        used |= set(KEY_RE.findall(path.read_text(encoding="utf-8")))
    assert used and used <= set(en), sorted(used - set(en))
