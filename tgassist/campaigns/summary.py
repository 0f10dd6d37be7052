"""The drop summary: what a build or an import left out and why, as data (codes + parameters) that
every door renders in its user's language (message domain `campaigns_report`).

Entries are dicts `{"reason": code, **params}`; long lists are cut to EXAMPLES items with the full
count kept in `count`, so a report never grows with the list and never hides how much was left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tgassist.core.i18n import t

EXAMPLES = 20
REASONS = (
    "minus_word",
    "minus_word_not_applied",
    "duplicates",
    "over_limits",
    "low_frequency",
    "keyword_limit",
    "rows_cut",
    "not_phrase",
    "import_skipped",
    "import_merged",
    "unreadable_formulas",
)


def drop(reason: str, **params: Any) -> dict[str, Any]:
    """One summary entry; lists longer than EXAMPLES are cut (their length is in `count`)."""
    assert reason in REASONS, reason
    out: dict[str, Any] = {"reason": reason}
    for k, v in params.items():
        out[k] = list(v[:EXAMPLES]) if isinstance(v, (list, tuple)) else v
    return out


def import_summary(parsed: Any, *, stored: int, merged: Sequence[str]) -> dict[str, Any]:
    """Phrases read from a Direct file against phrases stored, and the reasons for every difference."""
    drops = []
    if parsed.skipped:
        drops.append(drop("import_skipped", count=len(parsed.skipped), items=parsed.skipped))
    if merged:
        drops.append(drop("import_merged", count=len(merged), phrases=list(merged)))
    if parsed.unreadable_formulas:
        drops.append(drop("unreadable_formulas", count=parsed.unreadable_formulas))
    return {"phrases_read": parsed.phrases_read, "stored": stored, "drops": drops}


def file_drops(notes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Entries for what a keyword file held but did not give (rows past the cap, non-phrase cells)."""
    out = []
    if notes.get("rows_cut"):
        out.append(drop("rows_cut", count=notes["rows_cut"], limit=notes.get("row_cap", 0)))
    if notes.get("skipped"):
        out.append(
            drop("not_phrase", count=notes["skipped"], examples=notes.get("skipped_examples", []))
        )
    return out


def _examples(entry: Mapping[str, Any]) -> str:
    for key in ("phrases", "examples"):
        if entry.get(key):
            return ", ".join(f"«{p}»" for p in entry[key][:5])
    if entry.get("pairs"):
        return ", ".join(
            f"«{p[1]}» → «{p[0]}»" if len(p) == 2 else f"«{p[0]}» ×2" for p in entry["pairs"][:5]
        )
    if entry.get("items"):
        return ", ".join(f"«{i.get('phrase')}»" for i in entry["items"][:5])
    return ""


def summary_lines(report: Mapping[str, Any], lang: str | None = None) -> list[str]:
    """Rendered lines of a campaign report's drop summary (build and import), most important first."""
    lines = []
    imp = report.get("import") or {}
    if "phrases_read" in imp:
        lines.append(
            t(
                "campaigns_report.import.read_stored",
                lang,
                read=imp["phrases_read"],
                stored=imp.get("stored", 0),
            )
        )
    entries = [
        *file_drops(imp),
        *imp.get("drops", []),
        *(report.get("filter") or {}).get("drops", []),
    ]
    for e in entries:
        params = {k: v for k, v in e.items() if not isinstance(v, (list, dict))}
        params.setdefault("count", 0)
        text = t(f"campaigns_report.drop.{e['reason']}", lang, **params)
        examples = _examples(e)
        lines.append(f"{text}: {examples}" if examples else text)
    return lines
