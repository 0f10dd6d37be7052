"""The campaign brief: validation with one clear, per-field error for everything wrong at once."""

from __future__ import annotations

import hashlib
import json
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


def normalise_url(value: Any) -> tuple[str | None, str | None]:
    """(normalised URL, None) or (None, what is wrong). A missing scheme means https."""
    if not isinstance(value, str) or not value.strip():
        return None, "укажите адрес сайта, например https://example.ru"
    raw = value.strip()
    if re.search(r"\s", raw):
        return None, f"в адресе не должно быть пробелов: {raw!r}"
    if "://" not in raw:
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        return None, f"адрес не разобрать: {value!r}; пример: https://example.ru/catalog"
    if parts.scheme.lower() not in ("http", "https"):
        return None, f"адрес должен начинаться с http:// или https:// (сейчас {parts.scheme}://)"
    host = (parts.hostname or "").rstrip(".")
    try:
        ascii_host = host.encode("idna").decode("ascii") if host else ""
    except UnicodeError:
        return None, f"недопустимое имя сайта: {host!r}"
    labels = ascii_host.split(".")
    if len(labels) < 2 or not all(_HOST_LABEL.match(lab) for lab in labels) or labels[-1].isdigit():
        return None, f"недопустимое имя сайта {host!r}: нужен домен вида example.ru"
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
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [str(value).strip()]


def _budget(value: Any, errors: list[FieldError]) -> float | None:
    if value in (None, ""):
        return None
    try:
        amount = float(str(value).replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except ValueError:
        errors.append(
            FieldError(
                "budget", f"бюджет должен быть числом в рублях, например 30000 (сейчас {value!r})"
            )
        )
        return None
    if amount <= 0:
        errors.append(
            FieldError("budget", "бюджет должен быть больше нуля; уберите поле, если бюджета нет")
        )
        return None
    return amount


def _regions(value: Any, errors: list[FieldError]) -> tuple[list[int], list[str]]:
    items = (
        value
        if isinstance(value, (list, tuple))
        else _str_list(value)
        if isinstance(value, str)
        else ([value] if value is not None else [])
    )
    if not items:
        errors.append(
            FieldError(
                "region", f"укажите регион: название или geo id Яндекса ({known_region_names()})"
            )
        )
        return [], []
    ids: list[int] = []
    names: list[str] = []
    for item in items:
        region = find_region(item)
        if region is None:
            errors.append(
                FieldError(
                    "region",
                    f"неизвестный регион {item!r}; напишите одно из: {known_region_names()} — "
                    "или числовой geo id Яндекса",
                )
            )
        elif region.id not in ids:
            ids.append(region.id)
            names.append(region.name)
    return ids, names


def _phrase_problem(phrase: str) -> str | None:
    """Why Direct would refuse a base phrase (no words, > 7 significant words, a word > 35 letters)."""
    from tgassist.campaigns.keywords import check_phrase, sanitise

    clean, _ = sanitise(phrase)
    if not clean.strip('"[]!+ '):
        return "в ней нет ни одного слова"
    return check_phrase(clean)


def validate_brief(data: Mapping[str, Any]) -> Brief:
    """Check every field; raise BriefError naming each bad field and what to type."""
    errors: list[FieldError] = []
    name = str(data.get("name") or "").strip()
    if not name:
        errors.append(FieldError("name", "дайте кампании название, например «Диваны — Москва»"))
    elif len(name) > 200:
        errors.append(
            FieldError("name", f"название длиннее 200 символов ({len(name)}); сократите его")
        )
    product = str(data.get("product") or "").strip()
    if len(product) < 3:
        errors.append(
            FieldError(
                "product", "опишите товар или услугу хотя бы парой слов, например «угловые диваны»"
            )
        )
    phrases = list(dict.fromkeys(_str_list(data.get("base_phrases", data.get("keywords")))))
    if not phrases:
        errors.append(
            FieldError("base_phrases", "нужна хотя бы одна базовая фраза, например «купить диван»")
        )
    elif len(phrases) > MAX_BASE_PHRASES:
        errors.append(
            FieldError(
                "base_phrases",
                f"слишком много базовых фраз: {len(phrases)}; оставьте не больше {MAX_BASE_PHRASES} "
                "(остальные загрузите файлом keywords_file)",
            )
        )
    for p in phrases:
        if len(p) > 200:
            errors.append(FieldError("base_phrases", f"фраза длиннее 200 символов: {p[:40]!r}…"))
        elif problem := _phrase_problem(p):
            errors.append(
                FieldError(
                    "base_phrases",
                    f"фраза «{p}» не подойдёт Директу: {problem}; напишите "
                    "от 1 до 7 слов, например «купить угловой диван»",
                )
            )
    region_ids, region_names = _regions(data.get("region", data.get("regions")), errors)
    url, url_error = normalise_url(data.get("url"))
    if url_error:
        errors.append(FieldError("url", url_error))
    budget = _budget(data.get("budget"), errors)
    keywords_file = data.get("keywords_file")
    if keywords_file is not None and not str(keywords_file).strip():
        keywords_file = None
    per_group = data.get("ads_per_group")
    if per_group is not None and (not str(per_group).isdigit() or not 1 <= int(per_group) <= 5):
        errors.append(FieldError("ads_per_group", "число объявлений на группу: от 1 до 5"))
        per_group = None
    sitelinks = []
    for i, s in enumerate(data.get("sitelinks") or []):
        if not isinstance(s, Mapping) or not s.get("title"):
            errors.append(FieldError("sitelinks", f"быстрая ссылка №{i + 1}: нужны title и url"))
            continue
        link, link_err = normalise_url(s.get("url") or url or "")
        if link_err:
            errors.append(FieldError("sitelinks", f"быстрая ссылка №{i + 1}: {link_err}"))
            continue
        sitelinks.append(
            {
                "title": str(s["title"]).strip(),
                "description": str(s.get("description") or "").strip(),
                "url": link or "",
            }
        )
    callouts = _str_list(data.get("callouts"))
    for c in callouts:
        for v in check_text(LIMITS["callouts"], c):
            errors.append(FieldError("callouts", f"{v}; сократите уточнение «{c}»"))
    for i, s in enumerate(sitelinks):
        for v in check_text(LIMITS["sitelink_title"], s["title"], f" {i + 1}") + check_text(
            LIMITS["sitelink_description"], s["description"], f" {i + 1}"
        ):
            errors.append(FieldError("sitelinks", f"{v}; сократите текст"))
    if len(sitelinks) > 8:
        errors.append(
            FieldError(
                "sitelinks", f"быстрых ссылок {len(sitelinks)}, Директ принимает не больше 8"
            )
        )
    for start in range(0, len(sitelinks), 4):
        total = sum(len(s["title"]) for s in sitelinks[start : start + 4])
        if total > 66:
            errors.append(
                FieldError(
                    "sitelinks",
                    f"заголовки быстрых ссылок {start + 1}–{start + 4} вместе {total} "
                    "символов, можно 66; сократите их",
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
        ads_per_group=int(per_group) if per_group is not None else None,
    )


def load_brief_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML (or JSON) brief; relative `keywords_file` paths resolve against the brief's folder."""
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise BriefError([FieldError("brief", f"файл брифа не найден: {p}")]) from err
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise BriefError([FieldError("brief", f"файл брифа не читается как YAML: {err}")]) from err
    if not isinstance(data, dict):
        raise BriefError(
            [
                FieldError(
                    "brief", "бриф должен быть словарём полей (name, product, base_phrases, …)"
                )
            ]
        )
    kf = data.get("keywords_file")
    if kf and not Path(str(kf)).is_absolute():
        data["keywords_file"] = str((p.parent / str(kf)).resolve())
    return data
