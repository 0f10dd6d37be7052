"""Import of keyword lists: Wordstat and Key Collector exports, hand-made sheets (CSV/XLSX).

Tolerant by design: ';', tab or ',' separators, UTF-8 or cp1251, Russian headers or none, thousands
separated by spaces, percentage rows, empty separator rows, formulas and stray URLs are all handled.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tgassist.campaigns.exceptions import ImportFileError
from tgassist.campaigns.keywords import KeywordCandidate

PHRASE_HEADER = re.compile(
    r"^(?!минус)(?:.*(?:фраз|ключ|запрос(?!ов)|keyword|phrase|query|слово))", re.I
)
# A keyword multiplication matrix (object × action × attribute, minus words): not a phrase list.
SEED_MATRIX = re.compile(r"^(объект|действие|признак|минус[- ]?слова|продукт|модификатор)", re.I)
FREQ_HEADER = re.compile(
    r"частот|показ|кол-?во|количеств|число|запросов|count|freq|impressions|shows|\[ws\]|\[yw\]",
    re.I,
)
MONTH_HEADER = re.compile(
    r"^(янв|фев|мар|апр|ма[йя]|июн|июл|авг|сен|окт|ноя|дек)[а-я]*\.?-?\s*\d{2,4}$", re.I
)
_NUMBER = re.compile(r"^-?\d[\d\s\u00a0\u202f]*(?:[.,]\d+)?$")
MAX_BYTES = 50 * 1024 * 1024
MAX_ROWS = 200_000  # rows read from one file; the rest are counted and reported as cut
_MONTH_OR_DATE = re.compile(
    r"^(январ[ья]|феврал[ья]|март|апрел[ья]|ма[йя]|июн[ья]|июл[ья]|август|сентябр[ья]|октябр[ья]|"
    r"ноябр[ья]|декабр[ья]|месяц|итого|всего|сумма|total)$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$",
    re.I,
)
DIRECT_MARKERS = ("Фраза (с минус-словами)", "Номер группы", "ID группы")


@dataclass
class KeywordFile:
    """What a keyword file held: its phrases, what kind of file it was, and what was not taken."""

    keywords: list[KeywordCandidate]
    kind: str = "keywords"  # or "direct": a Direct/Commander campaign file given as a keyword list
    rows_read: int = 0
    rows_cut: int = 0  # rows past MAX_ROWS, never read
    skipped: list[str] = field(
        default_factory=list
    )  # cells of the phrase column that are no phrase

    def notes(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "rows_read": self.rows_read,
            "rows_cut": self.rows_cut,
            "row_cap": MAX_ROWS,
            "skipped": len(self.skipped),
            "skipped_examples": self.skipped[:5],
            "phrases": len(self.keywords),
        }


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
        and not _MONTH_OR_DATE.match(s.rstrip(".:"))
    )


def rows_to_keywords(
    rows: Sequence[Sequence[Any]], source: str = "import", filename: str = "файл"
) -> KeywordFile:
    """Find the phrase and frequency columns (by header or by content) and read the keywords.

    The phrase column must look like one: most of its cells below the header are word phrases (not
    numbers, dates, months or totals); a budget table or another format is refused by name."""
    rows = [list(r) for r in rows if any(c not in (None, "") and str(c).strip() for c in r)]
    if not rows:
        raise ImportFileError("campaigns_report.import.empty", file=filename)
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
            raise ImportFileError(
                "campaigns_report.import.no_phrase_column", file=filename, found=_found(rows)
            )
        width = max(len(r) for r in rows)
        freq_cols = [
            j
            for j in range(width)
            if j != phrase_col and any(parse_number(r[j]) is not None for r in rows if j < len(r))
        ][:1]
    out: list[KeywordCandidate] = []
    skipped: list[str] = []
    data_rows = 0
    for row in rows[start:]:
        cell = row[phrase_col] if phrase_col < len(row) else None
        if cell is None or not str(cell).strip():
            continue
        data_rows += 1
        if not _is_phrase(cell):
            skipped.append(str(cell).strip()[:60])
            continue
        numeric = [row[j] for j in freq_cols if j < len(row) and row[j] not in (None, "")]
        if numeric and all(isinstance(v, str) and "%" in v for v in numeric):
            continue  # a share row ("Доля, %") under the keyword it describes
        freq = next((n for n in (parse_number(v) for v in numeric) if n is not None), None)
        out.append(KeywordCandidate(" ".join(str(row[phrase_col]).split()), freq, source))
    if not out or (len(out) < 0.5 * data_rows):
        raise ImportFileError(
            "campaigns_report.import.not_keywords",
            file=filename,
            phrases=len(out),
            rows=data_rows,
            found=_found(rows),
        )
    return KeywordFile(out, rows_read=len(rows), skipped=skipped)


def _found(rows: Sequence[Sequence[Any]]) -> str:
    """What the file holds, for an error: the first non-empty row's cells."""
    cells = [str(c).strip() for c in rows[0] if c not in (None, "") and str(c).strip()]
    return "; ".join(c[:30] for c in cells[:6]) or "—"


def _text_column(rows: Sequence[Sequence[Any]], limit: int) -> int | None:
    counts: dict[int, int] = {}
    for r in rows[:200]:
        for j, c in enumerate(r[:limit]):
            if _is_phrase(c):
                counts[j] = counts.get(j, 0) + 1
    return max(counts, key=lambda j: (counts[j], -j)) if counts else None


def _decode(data: bytes, filename: str) -> str:
    for enc in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("campaigns_report.import.encoding", file=filename)


def read_csv_rows(data: bytes, filename: str = "файл") -> tuple[list[list[str]], int]:
    """Rows of a CSV/TSV (separator guessed from the first 8 KB), at most MAX_ROWS of them, and how
    many rows were cut. A malformed file is an ImportFileError naming the line, never `_csv.Error`."""
    if b"\x00" in data[:4096]:
        raise ImportFileError("campaigns_report.import.binary", file=filename)
    text = _decode(data, filename)
    sample = text[:8192]
    counts = {d: sample.count(d) for d in (";", "\t", ",")}
    delim = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ";"
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    rows: list[list[str]] = []
    cut = 0
    try:
        for row in reader:
            if len(rows) < MAX_ROWS:
                rows.append(row)
            elif any(c.strip() for c in row):
                cut += 1
    except csv.Error as err:
        raise ImportFileError(
            "campaigns_report.import.csv_broken",
            file=filename,
            line=reader.line_num,
            error=str(err),
        ) from err
    return rows, cut


def read_xlsx_rows(data: bytes, filename: str = "файл") -> tuple[list[list[Any]], int]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # zip, XML and openpyxl errors alike: the file is broken
        raise ImportFileError(
            "campaigns_report.import.broken", file=filename, error=type(err).__name__
        ) from err
    try:
        rows: list[list[Any]] = []
        cut = 0
        for r in wb.worksheets[0].iter_rows(values_only=True):
            if len(rows) < MAX_ROWS:
                rows.append(list(r))
            elif any(c not in (None, "") for c in r):
                cut += 1
        return rows, cut
    finally:
        wb.close()


def load_keywords(path: str | Path, source: str = "import") -> list[KeywordCandidate]:
    """Read a keyword export (.csv, .tsv, .txt, .xlsx); ImportFileError says what is wrong."""
    return load_keyword_file(path, source).keywords


def load_keyword_file(path: str | Path, source: str = "import") -> KeywordFile:
    p = Path(path)
    if not p.is_file():
        raise ImportFileError("campaigns_report.import.not_found", file=str(p))
    if p.stat().st_size > MAX_BYTES:
        raise ImportFileError(
            "campaigns_report.import.too_big", file=p.name, limit_mb=MAX_BYTES // 2**20
        )
    return read_keyword_file(p.read_bytes(), p.name, source)


def parse_keywords(data: bytes, filename: str, source: str = "import") -> list[KeywordCandidate]:
    return read_keyword_file(data, filename, source).keywords


def _looks_direct(rows: Sequence[Sequence[Any]]) -> bool:
    return any(
        sum(1 for c in r if isinstance(c, str) and c.strip() in DIRECT_MARKERS) >= 2
        for r in rows[:40]
    )


def read_keyword_file(data: bytes, filename: str, source: str = "import") -> KeywordFile:
    """Parse file bytes by extension (or content: XLSX is a zip, XLS a compound file). A Direct or
    Commander campaign file is recognised and its phrases are used (kind «direct»)."""
    ext = Path(filename).suffix.lower()
    if ext == ".xls" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return _direct_keywords(data, filename, source, 0)
    if ext == ".xlsx" or data[:2] == b"PK":
        rows, cut = read_xlsx_rows(data, filename)
    elif ext in (".csv", ".tsv", ".txt", ""):
        rows, cut = read_csv_rows(data, filename)  # type: ignore[assignment]
    else:
        raise ImportFileError("campaigns_report.import.format", file=filename, ext=ext)
    if _looks_direct(rows):
        return _direct_keywords(data, filename, source, cut)
    titles = [str(c).strip() for c in (rows[0] if rows else []) if c not in (None, "")]
    if sum(1 for c in titles if SEED_MATRIX.match(c)) >= 2:
        raise ImportFileError(
            "campaigns_report.import.seed_matrix", file=filename, found="; ".join(titles[:6])
        )
    found = rows_to_keywords(rows, source, filename)
    found.rows_cut = cut
    return found


def _direct_keywords(data: bytes, filename: str, source: str, cut: int) -> KeywordFile:
    from tgassist.campaigns.sources.direct_import import parse_direct

    parsed = parse_direct(data, filename)
    kws = [
        KeywordCandidate(p, None, source, list(m)) for g in parsed.groups for p, m, _ in g.keywords
    ]
    if not kws:
        raise ImportFileError("campaigns_report.import.no_groups", file=filename)
    return KeywordFile(
        kws,
        kind="direct",
        rows_read=parsed.phrases_read,
        rows_cut=cut,
        skipped=[str(s["phrase"]) for s in parsed.skipped],
    )
