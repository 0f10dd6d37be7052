"""Cells of a Direct Commander file as Commander itself reads them: XLS, XLSX and CSV/TSV alike.

In a real filled template a cell may hold a formula: its value is the one Excel cached when the file
was saved; a file saved without calculation (openpyxl, scripts) has no cache, so a plain reference
(«=F12», «=$F$12», «=Тексты!F12») is followed to the cell it names. Other uncached formulas count as
unreadable cells, never as text.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tgassist.campaigns.exceptions import ImportFileError

SHEET = "Тексты"
_REF = re.compile(r"^=\s*(?:'?[^'!]+'?!)?\$?([A-Z]{1,3})\$?(\d+)\s*$")
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass
class Sheet:
    """Rows of text cells and what could not be read."""

    rows: list[list[str]]
    unreadable_formulas: int = 0
    unreadable: list[tuple[int, int]] = field(default_factory=list)  # (row, column) of such cells
    notes: list[str] = field(default_factory=list)


def cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def read_xlsx(data: bytes, filename: str) -> Sheet:
    import openpyxl

    try:
        formulas = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
        cached = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # zip, XML and openpyxl errors: the file is broken
        raise ImportFileError(
            "campaigns_report.import.broken", file=filename, error=type(err).__name__
        ) from err
    try:
        ws_f = formulas[SHEET] if SHEET in formulas.sheetnames else formulas.worksheets[0]
        ws_c = cached[SHEET] if SHEET in cached.sheetnames else cached.worksheets[0]
        raw = [list(r) for r in ws_f.iter_rows(values_only=True)]
        values = [list(r) for r in ws_c.iter_rows(values_only=True)]
    finally:
        formulas.close()
        cached.close()
    sheet = Sheet([])
    for i, row in enumerate(raw):
        out = []
        for j, v in enumerate(row):
            if isinstance(v, str) and v.startswith("="):
                c = values[i][j] if i < len(values) and j < len(values[i]) else None
                text = cell_text(c) if c is not None else _follow(raw, v, 0)
                if text is None:
                    sheet.unreadable_formulas += 1
                    sheet.unreadable.append((i, j))
                    text = ""
                out.append(text)
            else:
                out.append(cell_text(v))
        sheet.rows.append(out)
    return sheet


def _follow(raw: list[list[Any]], formula: str, depth: int) -> str | None:
    """The text a plain reference formula points to (up to 5 hops); None for anything else."""
    m = _REF.match(formula)
    if not m or depth > 5:
        return None
    i, j = int(m.group(2)) - 1, _col_index(m.group(1))
    v = raw[i][j] if i < len(raw) and j < len(raw[i]) else None
    if isinstance(v, str) and v.startswith("="):
        return _follow(raw, v, depth + 1)
    return cell_text(v)


def read_xls(data: bytes, filename: str) -> Sheet:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data)
        names = book.sheet_names()
        sheet = book.sheet_by_name(SHEET) if SHEET in names else book.sheet_by_index(0)
        return Sheet([[cell_text(v) for v in sheet.row_values(i)] for i in range(sheet.nrows)])
    except Exception as err:  # xlrd raises many kinds (CompDocError, struct.error …)
        raise ImportFileError(
            "campaigns_report.import.broken", file=filename, error=type(err).__name__
        ) from err


def read_text(data: bytes, filename: str) -> Sheet:
    """Commander's CSV/TSV export: «;» or tab separated, UTF-8 or Windows-1251."""
    from tgassist.campaigns.sources.imports import read_csv_rows

    rows, cut = read_csv_rows(data, filename)
    sheet = Sheet([[cell_text(c) for c in r] for r in rows])
    if cut:
        sheet.notes.append(f"rows_cut:{cut}")
    return sheet


def read_sheet(data: bytes, filename: str) -> Sheet:
    """The «Тексты» sheet (or the first one) of a Commander file of any of its formats."""
    if not data:
        raise ImportFileError("campaigns_report.import.empty", file=filename)
    ext = Path(filename).suffix.lower()
    if ext == ".xls" or data[:8] == XLS_MAGIC:
        return read_xls(data, filename)
    if ext == ".xlsx" or data[:2] == b"PK":
        return read_xlsx(data, filename)
    if ext in (".csv", ".tsv", ".txt"):
        return read_text(data, filename)
    raise ImportFileError("campaigns_report.import.format", file=filename, ext=ext or "—")
