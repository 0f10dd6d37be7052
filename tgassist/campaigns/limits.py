"""Yandex Direct text limits as one declarative table, and the validator every ad passes before export.

Direct does not count "narrow" punctuation (. , ! : ; ") towards a field's length, up to 15 such marks
per field; the `allowance` column says how many are free.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

NARROW = frozenset('.,!:;"')
DISPLAY_LINK_RE = re.compile(r"^[A-Za-zА-Яа-яЁё0-9\-№/%#]+$")
WORD_RE = re.compile(r"[^\s\-/]+")


@dataclass(frozen=True)
class TextLimit:
    """A text field of an ad: how long it may be, how long its words may be, whether it is required."""

    field: str
    label: str
    max_chars: int
    allowance: int = 15
    max_word: int = 22
    required: bool = True


@dataclass(frozen=True)
class CountLimit:
    """How many values a list field may hold."""

    field: str
    label: str
    max_items: int


TEXT_LIMITS: tuple[TextLimit, ...] = (
    TextLimit("title", "Заголовок 1", 56),
    TextLimit("title2", "Заголовок 2", 30, required=False),
    TextLimit("text", "Текст", 81),
    TextLimit("extra_titles", "Доп. заголовок", 56),
    TextLimit("extra_texts", "Доп. текст", 81),
    TextLimit("display_link", "Отображаемая ссылка", 20, allowance=0, max_word=20, required=False),
    TextLimit("sitelink_title", "Заголовок быстрой ссылки", 30, allowance=0, max_word=30),
    TextLimit("sitelink_description", "Описание быстрой ссылки", 60, allowance=0, required=False),
    TextLimit("callouts", "Уточнение", 25, allowance=0, max_word=25),
)
COUNT_LIMITS: tuple[CountLimit, ...] = (
    CountLimit("extra_titles", "Доп. заголовки (Заголовок 3–7)", 5),
    CountLimit("extra_texts", "Доп. тексты (Текст 2–3)", 2),
    CountLimit("sitelinks", "Быстрые ссылки", 8),
    CountLimit("callouts", "Уточнения", 50),
)
SITELINK_BLOCK = 4  # sitelinks 1–4 and 5–8 are shown as blocks …
SITELINK_BLOCK_CHARS = 66  # … whose titles together fit this many characters

LIMITS = {lim.field: lim for lim in TEXT_LIMITS}


@dataclass
class AdDraft:
    """An ad's texts before they are saved: what generators produce and the validator checks."""

    title: str
    text: str
    title2: str = ""
    extra_titles: list[str] = field(default_factory=list)
    extra_texts: list[str] = field(default_factory=list)
    display_link: str = ""
    sitelinks: list[dict[str, str]] = field(default_factory=list)
    callouts: list[str] = field(default_factory=list)

    def headlines(self) -> list[str]:
        return [t for t in (self.title, self.title2, *self.extra_titles) if t]

    def texts(self) -> list[str]:
        return [t for t in (self.text, *self.extra_texts) if t]


@dataclass(frozen=True)
class Violation:
    """One broken rule: the field (label) and what is wrong, in Russian."""

    field: str
    message: str

    def __str__(self) -> str:
        return self.message


def counted_length(text: str, allowance: int = 15) -> int:
    """Length as Direct counts it: narrow punctuation is free up to `allowance` marks."""
    narrow = sum(1 for ch in text if ch in NARROW)
    return len(text) - min(narrow, allowance)


def check_text(limit: TextLimit, value: str, where: str = "") -> list[Violation]:
    """Violations of one text value against its limit."""
    label = f"{limit.label}{where}"
    value = value or ""
    if not value.strip():
        return [Violation(limit.field, f"{label}: пусто")] if limit.required else []
    out: list[Violation] = []
    n = counted_length(value, limit.allowance)
    if n > limit.max_chars:
        out.append(Violation(limit.field, f"{label}: {n} символов, можно {limit.max_chars}"))
    narrow = sum(1 for ch in value if ch in NARROW)
    if limit.allowance and narrow > limit.allowance:
        out.append(
            Violation(limit.field, f"{label}: {narrow} знаков препинания, можно {limit.allowance}")
        )
    long_words = [w for w in WORD_RE.findall(value) if len(w.strip('.,!:;"?()«»')) > limit.max_word]
    if long_words:
        out.append(
            Violation(
                limit.field, f"{label}: слово длиннее {limit.max_word} символов: {long_words[0]}"
            )
        )
    if value != value.strip() or "  " in value:
        out.append(Violation(limit.field, f"{label}: лишние пробелы"))
    return out


def check_ad(ad: AdDraft) -> list[Violation]:
    """Every violation of Direct's limits in one ad (empty list = compliant)."""
    out: list[Violation] = []
    for name in ("title", "title2", "text", "display_link"):
        out += check_text(LIMITS[name], getattr(ad, name))
    for i, t in enumerate(ad.extra_titles):
        out += check_text(LIMITS["extra_titles"], t, f" {i + 3}")
    for i, t in enumerate(ad.extra_texts):
        out += check_text(LIMITS["extra_texts"], t, f" {i + 2}")
    for i, c in enumerate(ad.callouts):
        out += check_text(LIMITS["callouts"], c, f" {i + 1}")
    for lim in COUNT_LIMITS:
        n = len(getattr(ad, lim.field))
        if n > lim.max_items:
            out.append(Violation(lim.field, f"{lim.label}: {n}, можно не больше {lim.max_items}"))
    if ad.display_link and not DISPLAY_LINK_RE.match(ad.display_link):
        out.append(
            Violation("display_link", "Отображаемая ссылка: только буквы, цифры и - № / % #")
        )
    for i, s in enumerate(ad.sitelinks):
        out += check_text(LIMITS["sitelink_title"], s.get("title", ""), f" {i + 1}")
        out += check_text(LIMITS["sitelink_description"], s.get("description", ""), f" {i + 1}")
        if not s.get("url", "").startswith(("http://", "https://")):
            out.append(Violation("sitelinks", f"Быстрая ссылка {i + 1}: нужен адрес http(s)://"))
    for start in range(0, len(ad.sitelinks), SITELINK_BLOCK):
        block = ad.sitelinks[start : start + SITELINK_BLOCK]
        total = sum(len(s.get("title", "")) for s in block)
        if total > SITELINK_BLOCK_CHARS:
            out.append(
                Violation(
                    "sitelinks",
                    f"Быстрые ссылки {start + 1}–{start + len(block)}: заголовки вместе "
                    f"{total} символов, можно {SITELINK_BLOCK_CHARS}",
                )
            )
    return out


def fit(text: str, limit: TextLimit) -> str:
    """Shorten `text` at a word boundary so it fits `limit` (used by templates, never on user data)."""
    text = " ".join(text.split())
    while text and counted_length(text, limit.allowance) > limit.max_chars:
        cut = text.rsplit(" ", 1)[0] if " " in text else text[: limit.max_chars]
        text = cut.rstrip(" ,;:-—")
    return text
