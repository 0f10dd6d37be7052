"""The step-by-step brief of the bot's campaign wizard.

Each step is checked with the brief's own rules (`validate_brief`): the typed value is put into an
otherwise valid brief, and only the errors of that field are reported. An uploaded keyword file is
read with the same importer the CLI uses, kept under the data dir, and named in the brief.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tgassist.campaigns.brief import validate_brief
from tgassist.campaigns.exceptions import BriefError
from tgassist.core.errors import LocalizedError

if TYPE_CHECKING:
    from tgassist.app import App

STEPS: tuple[str, ...] = ("name", "product", "keywords", "region", "url", "budget")
# The brief field each wizard step fills.
FIELD_OF = {
    "name": "name",
    "product": "product",
    "keywords": "base_phrases",
    "region": "region",
    "url": "url",
    "budget": "budget",
}
_VALID: dict[str, Any] = {
    "name": "wizard",
    "product": "wizard product",
    "base_phrases": ["купить диван"],
    "region": "213",
    "url": "example.ru",
}
_LETTER = re.compile(r"[^\W_]", re.UNICODE)
_WORDS = re.compile(r"[^\W_]+", re.UNICODE)
MAX_FILE_BYTES = 20 * 1024 * 1024  # what the Bot API lets a bot download
BASE_FROM_FILE = 5  # base phrases taken from an uploaded list (its most frequent phrases)


@dataclass(frozen=True)
class KeywordFile:
    """An accepted keyword upload: where it is kept, how many phrases, and a few of them."""

    path: str
    filename: str
    count: int
    with_frequency: int
    sample: tuple[str, ...]
    base_phrases: tuple[str, ...]


def check_step(step: str, value: Any) -> Any:
    """The normalised value of a step, or BriefError with that field's errors only."""
    if step not in FIELD_OF:
        raise ValueError(f"unknown wizard step {step!r}")
    field = FIELD_OF[step]
    if step in ("name", "product") and isinstance(value, str) and not _LETTER.search(value):
        raise LocalizedError("campaigns.wizard.no_letters")
    if step == "keywords" and isinstance(value, str):
        value = [line.strip() for line in value.splitlines() if line.strip()]
    data = {**_VALID, field: value}
    try:
        brief = validate_brief(data)
    except BriefError as err:
        mine = [e for e in err.errors if e.field == field]
        raise BriefError(mine or err.errors) from None
    return {
        "name": brief.name,
        "product": brief.product,
        "keywords": list(brief.base_phrases),
        "region": {"ids": list(brief.region_ids), "names": list(brief.region_names)},
        "url": brief.url,
        "budget": brief.budget,
    }[step]


def read_keyword_file(app: App, user_id: int, data: bytes, filename: str) -> KeywordFile:
    """Check an uploaded Wordstat / Key Collector list and keep it for the build.

    Refused (LocalizedError) when it cannot be read or when most of its "phrases" are not key
    phrases Direct would accept (a price list, a text, a table of numbers).
    """
    from tgassist.campaigns.sources.imports import parse_keywords

    if len(data) > MAX_FILE_BYTES:
        raise LocalizedError("campaigns.wizard.file_too_big", mb=MAX_FILE_BYTES // 2**20)
    found = parse_keywords(data, filename)  # ImportFileError says what is wrong with the file
    good = [k for k in found if looks_like_key_phrase(k.phrase)]
    if len(good) * 2 < len(found):
        raise LocalizedError(
            "campaigns.wizard.file_not_keywords", bad=len(found) - len(good), total=len(found)
        )
    ranked = sorted(good, key=lambda k: -(k.frequency or 0))
    base = tuple(dict.fromkeys(k.phrase for k in ranked))[:BASE_FROM_FILE]
    digest = hashlib.sha256(data).hexdigest()[:16]
    suffix = Path(filename).suffix.lower() if Path(filename).suffix else ".csv"
    folder = app.settings.data_dir / "uploads" / str(user_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"keywords_{digest}{suffix}"
    path.write_bytes(data)
    return KeywordFile(
        path=str(path),
        filename=filename[:100],
        count=len(good),
        with_frequency=sum(1 for k in good if k.frequency is not None),
        sample=tuple(k.phrase for k in ranked[:3]),
        base_phrases=base,
    )


def looks_like_key_phrase(phrase: str) -> bool:
    """A search query, not a sentence: 1–7 significant words (Direct's limit), ≤ 200 chars."""
    from tgassist.campaigns.keywords import MAX_WORDS, STOP_WORDS

    words = [w for w in _WORDS.findall(phrase.lower()) if w not in STOP_WORDS]
    return len(phrase) <= 200 and 1 <= len(words) <= MAX_WORDS


def brief_data(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The brief the wizard's answers make (what `create_campaign` validates again)."""
    region = answers.get("region") or {}
    data: dict[str, Any] = {
        "name": answers.get("name"),
        "product": answers.get("product"),
        "base_phrases": list(answers.get("keywords") or ()),
        "region": list(region.get("ids") or ()),
        "url": answers.get("url"),
        "budget": answers.get("budget"),
    }
    if answers.get("keywords_file"):
        data["keywords_file"] = answers["keywords_file"]["path"]
    return data


def missing_steps(answers: Mapping[str, Any]) -> list[str]:
    """Required steps without an answer (budget is optional)."""
    return [s for s in STEPS[:-1] if not answers.get(s)]


async def start_build(app: App, user_id: int, answers: Mapping[str, Any]) -> Any:
    """Validate the whole brief again and enqueue its build (`Started`)."""
    from tgassist.campaigns import service

    missing = missing_steps(answers)
    if missing:
        raise LocalizedError("campaigns.wizard.incomplete", steps=", ".join(missing))
    return await service.create_campaign(app, user_id, brief_data(answers))
