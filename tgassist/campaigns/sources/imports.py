"""Import of keyword lists: Wordstat and Key Collector exports, hand-made sheets (CSV/XLSX).

Tolerant by design: ';', tab or ',' separators, UTF-8 or cp1251, Russian headers or none, thousands
separated by spaces, percentage rows, empty separator rows, formulas and stray URLs are all handled.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tgassist.campaigns.exceptions import ImportFileError
from tgassist.campaigns.keywords import KeywordCandidate

PHRASE_HEADER = re.compile(r"фраз|ключ|запрос(?!ов)|keyword|phrase|query|слово", re.I)
FREQ_HEADER = re.compile(
    r"частот|показ|кол-?во|количеств|число|запросов|count|freq|impressions|shows|\[ws\]|\[yw\]",
    re.I,
)
MONTH_HEADER = re.compile(
    r"^(янв|фев|мар|апр|ма[йя]|июн|июл|авг|сен|окт|ноя|дек)[а-я]*\.?-?\s*\d{2,4}$", re.I
)
_NUMBER = re.compile(r"^-?\d[\d\s\u00a0\u202f]*(?:[.,]\d+)?$")
MAX_BYTES = 50 * 1024 * 1024


def parse_number(value: Any) -> int | None:
    """'432 027' → 432027; percentages, text and formulas → None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    s = str(value).strip()
    if not s or "%" in s or s.startswith("=") or not _NUMBER.match(s):
        return None
    s = re.sub(r"[\s\u00a0\u202f]", "", s).replace(",", ".")
    try:
        return int(float(s))
    except ValueError:
        return None


def _is_phrase(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    s = value.strip()
    return (
        bool(s)
        and not s.startswith(("=", "http://", "https://"))
        and parse_number(s) is None
        and bool(re.search(r"[A-Za-zА-Яа-яЁё]", s))
        and "%" not in s
    )


def rows_to_keywords(
    rows: Sequence[Sequence[Any]], source: str = "import"
) -> list[KeywordCandidate]:
    """Find the phrase and frequency columns (by header or by content) and read the keywords."""
    rows = [list(r) for r in rows if any(c not in (None, "") and str(c).strip() for c in r)]
    if not rows:
        raise ImportFileError("campaigns.import.empty")
    phrase_col: int | None = None
    freq_cols: list[int] = []
    start = 0
    for i, row in enumerate(rows[:20]):
        cells = [str(c).strip() if c is not None else "" for c in row]
        p = next(
            (
                j
                for j, c in enumerate(cells)
                if PHRASE_HEADER.search(c) and not MONTH_HEADER.match(c)
            ),
            None,
        )
        months = [j for j, c in enumerate(cells) if MONTH_HEADER.match(c)]
        f = [j for j, c in enumerate(cells) if FREQ_HEADER.search(c) and j != p]
        if months:
            # A month-by-month sheet: the phrase sits left of the first month; take the latest month.
            phrase_col = (
                p if p is not None and p < months[0] else _text_column(rows[i + 1 :], months[0])
            )
            freq_cols, start = list(reversed(months)), i + 1
            break
        if p is not None or f:
            phrase_col = p if p is not None else _text_column(rows[i + 1 :], len(cells))
            freq_cols, start = f, i + 1
            break
    if phrase_col is None:
        phrase_col = _text_column(rows, max(len(r) for r in rows))
        if phrase_col is None:
            raise ImportFileError("campaigns.import.no_phrase_column")
        width = max(len(r) for r in rows)
        freq_cols = [
            j
            for j in range(width)
            if j != phrase_col and any(parse_number(r[j]) is not None for r in rows if j < len(r))
        ][:1]
    out: list[KeywordCandidate] = []
    for row in rows[start:]:
        if phrase_col >= len(row) or not _is_phrase(row[phrase_col]):
            continue
        numeric = [row[j] for j in freq_cols if j < len(row) and row[j] not in (None, "")]
        if numeric and all(isinstance(v, str) and "%" in v for v in numeric):
            continue  # a share row ("Доля, %") under the keyword it describes
        freq = next((n for n in (parse_number(v) for v in numeric) if n is not None), None)
        out.append(KeywordCandidate(" ".join(str(row[phrase_col]).split()), freq, source))
    if not out:
        raise ImportFileError("campaigns.import.no_phrases")
    return out


def _text_column(rows: Sequence[Sequence[Any]], limit: int) -> int | None:
    counts: dict[int, int] = {}
    for r in rows[:200]:
        for j, c in enumerate(r[:limit]):
            if _is_phrase(c):
                counts[j] = counts.get(j, 0) + 1
    return max(counts, key=lambda j: (counts[j], -j)) if counts else None


def _decode(data: bytes) -> str:
    for enc in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("campaigns.import.encoding")


def read_csv_rows(data: bytes) -> list[list[str]]:
    if b"\x00" in data[:4096]:
        raise ImportFileError("campaigns.import.binary")
    text = _decode(data)
    sample = text[:8192]
    counts = {d: sample.count(d) for d in (";", "\t", ",")}
    delim = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ";"
    return list(csv.reader(io.StringIO(text), delimiter=delim))


def read_xlsx_rows(data: bytes) -> list[list[Any]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        try:
            ws = wb.worksheets[0]
            return [list(r) for r in ws.iter_rows(values_only=True)]
        finally:
            wb.close()
    except Exception as err:  # zip, XML and openpyxl errors alike: the file is broken
        raise ImportFileError(
            "campaigns.import.xlsx_broken", reason=f"{type(err).__name__}: {err}"
        ) from err


def load_keywords(path: str | Path, source: str = "import") -> list[KeywordCandidate]:
    """Read a keyword export (.csv, .tsv, .txt, .xlsx); ImportFileError says what is wrong."""
    p = Path(path)
    if not p.is_file():
        raise ImportFileError("campaigns.import.not_found", path=str(p))
    if p.stat().st_size > MAX_BYTES:
        raise ImportFileError("campaigns.import.too_big", mb=MAX_BYTES // 2**20)
    data = p.read_bytes()
    return parse_keywords(data, p.name, source)


def parse_keywords(data: bytes, filename: str, source: str = "import") -> list[KeywordCandidate]:
    """Parse file bytes by extension (or content: XLSX is a zip)."""
    ext = Path(filename).suffix.lower()
    if ext == ".xls":
        raise ImportFileError("campaigns.import.xls_unsupported")
    if ext == ".xlsx" or data[:2] == b"PK":
        rows: Iterable[Sequence[Any]] = read_xlsx_rows(data)
    elif ext in (".csv", ".tsv", ".txt", ""):
        rows = read_csv_rows(data)
    else:
        raise ImportFileError("campaigns.import.unknown_format", ext=ext or "-")
    return rows_to_keywords(list(rows), source)
