"""The campaign brief: validation with one clear, per-field error for everything wrong at once."""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from tgassist.campaigns.exceptions import BriefError, FieldError
from tgassist.campaigns.limits import LIMITS, check_text
from tgassist.campaigns.regions import find_region, known_region_names

MAX_BASE_PHRASES = 50
MAX_BUDGET = 1_000_000_000
MAX_NESTING = 20
MAX_BRIEF_CHARS = 1_000_000
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


@dataclass(frozen=True)
class Brief:
    """A validated brief. `regions` are Yandex geo ids; URL is normalised."""

    name: str
    product: str
    base_phrases: tuple[str, ...]
    region_ids: tuple[int, ...]
    region_names: tuple[str, ...]
    url: str
    budget: float | None = None
    minus_words: tuple[str, ...] = ()
    keywords_file: str | None = None
    advantages: tuple[str, ...] = ()
    price: str | None = None
    callouts: tuple[str, ...] = ()
    sitelinks: tuple[dict[str, str], ...] = ()
    ads_per_group: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Brief:
        """Rebuild a validated brief saved with `to_dict` (no validation again)."""
        names = {f.name for f in fields(cls)} - {"extra"}
        kw: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k in names
        }
        kw["sitelinks"] = tuple(dict(s) for s in data.get("sitelinks") or ())
        return cls(**kw)

    @property
    def hash(self) -> str:
        """Identity of the brief's content (a re-run of the same brief resumes its build)."""
        d = self.to_dict()
        return hashlib.sha256(
            json.dumps(d, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()


@dataclass(frozen=True)
class Problem:
    """What is wrong with a value: `campaigns.brief.<field>_<problem>` is built by the caller."""

    name: str
    params: dict[str, Any] = field(default_factory=dict)

    def __init__(self, name: str, **params: Any) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "params", params)


def _err(fld: str, problem: str, /, **params: Any) -> FieldError:
    return FieldError(fld, f"campaigns.brief.{problem}", params)


def normalise_url(value: Any) -> tuple[str | None, Problem | None]:
    """(normalised URL, None) or (None, what is wrong). A missing scheme means https."""
    if not isinstance(value, str) or not value.strip():
        return None, Problem("url_missing")
    raw = value.strip()
    if re.search(r"\s", raw):
        return None, Problem("url_spaces", value=raw)
    if "://" not in raw:
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        return None, Problem("url_unparsable", value=value)
    if parts.scheme.lower() not in ("http", "https"):
        return None, Problem("url_scheme", scheme=parts.scheme)
    host = (parts.hostname or "").rstrip(".")
    try:
        ascii_host = host.encode("idna").decode("ascii") if host else ""
    except UnicodeError:
        return None, Problem("url_host", host=host)
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(_HOST_LABEL.match(lab) for lab in labels) or labels[-1].isdigit():
        return None, Problem("url_host", host=host)
    netloc = host
    if port and not (
        (parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)
    ):
        netloc = f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, "")), None


def _str_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip() for p in re.split(r"[\n,;]", value) if p.strip()]
    if isinstance(value, (list, tuple)):
        return [_scalar(v) for v in value if v is not None and _scalar(v)]
    return [_scalar(value)]


def _scalar(value: Any) -> str:
    """A list item as text; a nested list or mapping is not a phrase (shown shortened)."""
    if isinstance(value, (list, tuple, dict, set)):
        return ""
    return str(value).strip()[:1000]


def _budget(value: Any, errors: list[FieldError]) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or isinstance(value, (list, tuple, dict)):
        errors.append(_err("budget", "budget_not_number", value=_short(value)))
        return None
    try:
        amount = float(str(value).replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except ValueError:
        errors.append(_err("budget", "budget_not_number", value=_short(value)))
        return None
    if not math.isfinite(amount):
        errors.append(_err("budget", "budget_not_finite", value=_short(value)))
        return None
    if amount <= 0:
        errors.append(_err("budget", "budget_not_positive"))
        return None
    if amount > MAX_BUDGET:
        errors.append(_err("budget", "budget_too_big", limit=MAX_BUDGET))
        return None
    return amount


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _regions(value: Any, errors: list[FieldError]) -> tuple[list[int], list[str]]:
    items = (
        value
        if isinstance(value, (list, tuple))
        else _str_list(value)
        if isinstance(value, str)
        else ([value] if value is not None else [])
    )
    if not items:
        errors.append(_err("region", "region_missing", known=known_region_names()))
        return [], []
    ids: list[int] = []
    names: list[str] = []
    for item in items:
        region = (
            None
            if isinstance(item, (bool, list, tuple, dict, float)) or item is None
            else find_region(item)
        )
        if region is None:
            errors.append(
                _err("region", "region_unknown", value=_short(item), known=known_region_names())
            )
        elif region.id not in ids:
            ids.append(region.id)
            names.append(region.name)
    return ids, names


def _phrase_problem(phrase: str) -> Problem | None:
    """Why Direct would refuse a base phrase (no words, > 7 significant words, a word > 35 letters)."""
    from tgassist.campaigns.keywords import check_phrase, sanitise

    clean, _ = sanitise(phrase)
    if not clean.strip('"[]!+ '):
        return Problem("phrase_no_words")
    why = check_phrase(clean)
    return Problem("phrase_direct", reason=why) if why else None


def validate_brief(data: Mapping[str, Any]) -> Brief:
    """Check every field; raise BriefError naming each bad field (a key + params each)."""
    if not isinstance(data, Mapping):
        raise BriefError([_err("brief", "not_mapping")])
    errors: list[FieldError] = []
    for key in data:
        if _depth(data[key]) > MAX_NESTING:
            raise BriefError([_err(str(key)[:50], "too_deep", limit=MAX_NESTING)])
    name = _text(data.get("name"))
    if not name:
        errors.append(_err("name", "name_missing"))
    elif len(name) > 200:
        errors.append(_err("name", "name_too_long", length=len(name), limit=200))
    product = _text(data.get("product"))
    if len(product) < 3:
        errors.append(_err("product", "product_too_short"))
    elif len(product) > 1000:
        errors.append(_err("product", "product_too_long", length=len(product), limit=1000))
    phrases = list(dict.fromkeys(_str_list(data.get("base_phrases", data.get("keywords")))))
    if not phrases:
        errors.append(_err("base_phrases", "base_phrases_missing"))
    elif len(phrases) > MAX_BASE_PHRASES:
        errors.append(
            _err(
                "base_phrases", "base_phrases_too_many", count=len(phrases), limit=MAX_BASE_PHRASES
            )
        )
    for p in phrases[: MAX_BASE_PHRASES + 1]:
        if len(p) > 200:
            errors.append(_err("base_phrases", "base_phrases_too_long", phrase=p[:40] + "…"))
        elif problem := _phrase_problem(p):
            errors.append(
                _err("base_phrases", f"base_phrases_{problem.name}", phrase=p, **problem.params)
            )
    region_ids, region_names = _regions(data.get("region", data.get("regions")), errors)
    url, url_error = normalise_url(data.get("url"))
    if url_error:
        errors.append(_err("url", url_error.name, **url_error.params))
    budget = _budget(data.get("budget"), errors)
    keywords_file = data.get("keywords_file")
    if isinstance(keywords_file, (list, tuple, dict, bool)):
        errors.append(_err("keywords_file", "keywords_file_not_path", value=_short(keywords_file)))
        keywords_file = None
    elif keywords_file is not None and not str(keywords_file).strip():
        keywords_file = None
    per_group = _ads_per_group(data.get("ads_per_group"), errors)
    sitelinks = _sitelinks(data.get("sitelinks"), url, errors)
    callouts = _str_list(data.get("callouts"))
    for c in callouts:
        for v in check_text(LIMITS["callouts"], c):
            errors.append(_err("callouts", "callouts_too_long", callout=c, problem=str(v)))
    for i, s in enumerate(sitelinks):
        for v in check_text(LIMITS["sitelink_title"], s["title"], f" {i + 1}") + check_text(
            LIMITS["sitelink_description"], s["description"], f" {i + 1}"
        ):
            errors.append(
                _err("sitelinks", "sitelinks_text_too_long", number=i + 1, problem=str(v))
            )
    if len(sitelinks) > 8:
        errors.append(_err("sitelinks", "sitelinks_too_many", count=len(sitelinks), limit=8))
    for start in range(0, len(sitelinks), 4):
        total = sum(len(s["title"]) for s in sitelinks[start : start + 4])
        if total > 66:
            errors.append(
                _err(
                    "sitelinks",
                    "sitelinks_titles_too_long",
                    first=start + 1,
                    last=start + 4,
                    total=total,
                    limit=66,
                )
            )
    if errors:
        raise BriefError(errors)
    return Brief(
        name=name,
        product=product,
        base_phrases=tuple(phrases),
        region_ids=tuple(region_ids),
        region_names=tuple(region_names),
        url=url or "",
        budget=budget,
        minus_words=tuple(_str_list(data.get("minus_words"))),
        keywords_file=str(keywords_file).strip() if keywords_file else None,
        advantages=tuple(_str_list(data.get("advantages"))),
        price=str(data["price"]).strip() if data.get("price") else None,
        callouts=tuple(callouts),
        sitelinks=tuple(sitelinks),
        ads_per_group=per_group,
    )


def _depth(value: Any, level: int = 0) -> int:
    """How deeply lists/mappings nest (stops counting past the limit: no RecursionError)."""
    if level > MAX_NESTING or not isinstance(value, (list, tuple, dict)):
        return level
    items = value.values() if isinstance(value, dict) else value
    return max((_depth(v, level + 1) for v in items), default=level + 1)


def _text(value: Any) -> str:
    if value is None or isinstance(value, (list, tuple, dict, set, bool)):
        return ""
    return str(value).strip()


def _ads_per_group(value: Any, errors: list[FieldError]) -> int | None:
    if value is None or value == "":
        return None
    text = str(value).strip() if not isinstance(value, bool) else ""
    # isdecimal, not isdigit: "²" is a digit to Python but not a number to int()
    if not (text.isascii() and text.isdecimal()) or not 1 <= int(text) <= 5:
        errors.append(
            _err("ads_per_group", "ads_per_group_range", value=_short(value), low=1, high=5)
        )
        return None
    return int(text)


def _sitelinks(value: Any, url: str | None, errors: list[FieldError]) -> list[dict[str, str]]:
    if value is None or value is False or value == "" or value == []:
        return []
    if not isinstance(value, (list, tuple)):
        errors.append(_err("sitelinks", "sitelinks_not_list", value=_short(value)))
        return []
    out: list[dict[str, str]] = []
    for i, s in enumerate(value):
        if not isinstance(s, Mapping) or not _text(s.get("title")):
            errors.append(_err("sitelinks", "sitelinks_item_invalid", number=i + 1))
            continue
        link, link_err = normalise_url(s.get("url") or url or "")
        if link_err:
            errors.append(
                _err("sitelinks", f"sitelinks_{link_err.name}", number=i + 1, **link_err.params)
            )
            continue
        out.append(
            {
                "title": _text(s["title"]),
                "description": _text(s.get("description")),
                "url": link or "",
            }
        )
    return out


def load_brief_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML (or JSON) brief; relative `keywords_file` paths resolve against the brief's folder."""
    p = Path(path)
    try:
        data = _yaml(p.read_text(encoding="utf-8"))
    except (FileNotFoundError, IsADirectoryError) as err:
        raise BriefError([_err("brief", "file_not_found", path=str(p))]) from err
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise BriefError([_err("brief", "file_not_yaml", reason=str(err)[:300])]) from err
    except RecursionError as err:
        raise BriefError([_err("brief", "too_deep", limit=MAX_NESTING)]) from err
    return prepare_brief_data(data, p.parent)


def _yaml(text: str) -> Any:
    """YAML with cheap guards first: a huge text, or brackets nested so deep that the parser
    would crawl for seconds (or recurse out), is refused before parsing."""
    if len(text) > MAX_BRIEF_CHARS:
        raise BriefError([_err("brief", "too_big", limit=MAX_BRIEF_CHARS)])
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
    if deepest > MAX_NESTING:
        raise BriefError([_err("brief", "too_deep", limit=MAX_NESTING)])
    return yaml.safe_load(text)


def parse_brief_text(text: str) -> dict[str, Any]:
    """A brief typed or uploaded as YAML/JSON text (no file paths are resolved)."""
    try:
        data = _yaml(text)
    except yaml.YAMLError as err:
        raise BriefError([_err("brief", "file_not_yaml", reason=str(err)[:300])]) from err
    except RecursionError as err:
        raise BriefError([_err("brief", "too_deep", limit=MAX_NESTING)]) from err
    return prepare_brief_data(data, None)


def prepare_brief_data(data: Any, base: Path | None) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BriefError([_err("brief", "not_mapping")])
    if any(_depth(v) > MAX_NESTING for v in data.values()):
        raise BriefError([_err("brief", "too_deep", limit=MAX_NESTING)])
    if base is None:
        return data
    kf = data.get("keywords_file")
    if kf and isinstance(kf, str) and not Path(kf).is_absolute():
        data["keywords_file"] = str((base / kf).resolve())
    return data
