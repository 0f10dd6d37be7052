"""Keys that make rows comparable: cross-source dedupe key, content hash, search text."""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from dataclasses import asdict

from tgassist.events.sources.base import RawEvent

_NON_WORD = re.compile(r"[\W_]+", re.U)
# Words that differ between sources for the same event ("концерт «X»" vs "X").
_NOISE = frozenset(
    {
        "концерт",
        "выставка",
        "спектакль",
        "фестиваль",
        "шоу",
        "вечеринка",
        "лекция",
        "concert",
        "exhibition",
        "show",
        "festival",
        "party",
        "lecture",
        "the",
    }
)


def normalise_title(title: str) -> str:
    text = unicodedata.normalize("NFKC", title).casefold().replace("ё", "е")
    words = [w for w in _NON_WORD.sub(" ", text).split() if w not in _NOISE]
    return " ".join(words)


def dedupe_key(ev: RawEvent) -> str:
    """Same normalised title, same start minute, same city → the same real event."""
    start = ev.starts_at.strftime("%Y%m%d%H%M")
    basis = f"{normalise_title(ev.title)}|{start}|{(ev.city or '').casefold()}"
    return hashlib.sha1(basis.encode()).hexdigest()


def content_hash(ev: RawEvent) -> str:
    """A hash of everything the source said; equal hashes mean nothing to update."""
    data = asdict(ev)
    return hashlib.sha1(
        json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def search_text(*parts: str | None) -> str:
    """Lower-cased text for LIKE search (SQLite's lower() knows ASCII only)."""
    return " ".join(p for p in parts if p).casefold().replace("ё", "е")


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def same_place(
    a_lat: float | None,
    a_lng: float | None,
    a_name: str | None,
    b_lat: float | None,
    b_lng: float | None,
    b_name: str | None,
    radius_km: float,
) -> bool:
    """Geo within `radius_km` when both have it; else equal normalised names; unknown = same."""
    if None not in (a_lat, a_lng, b_lat, b_lng):
        return haversine_km(a_lat, a_lng, b_lat, b_lng) <= radius_km  # type: ignore[arg-type]
    if a_name and b_name:
        return normalise_title(a_name) == normalise_title(b_name)
    return True
