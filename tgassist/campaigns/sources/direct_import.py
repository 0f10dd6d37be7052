"""Import of an existing Yandex Direct campaign file (XLS export or XLSX template) for edit and re-export."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tgassist.campaigns.exceptions import ImportFileError
from tgassist.campaigns.keywords import sanitise
from tgassist.campaigns.limits import AdDraft

PHRASE_COL = "Фраза (с минус-словами)"


@dataclass
class DirectGroup:
    """A group read from a Direct file, with the Direct ids when the file carries them."""

    key: str
    name: str
    external_id: int | None = None
    minus_phrases: list[str] = field(default_factory=list)
    keywords: list[tuple[str, list[str], int | None]] = field(default_factory=list)
    ads: list[tuple[AdDraft, str, int | None]] = field(default_factory=list)


@dataclass
class DirectFile:
    """A whole campaign file: campaign minus words, regions, groups."""

    name: str
    campaign_type: str = ""
    minus_words: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    groups: list[DirectGroup] = field(default_factory=list)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    s = str(v).strip()
    return "" if s.startswith("=") else s  # formulas (length counters) are not data


def minus_list(text: str) -> list[str]:
    """«-бесплатно -своими руками -!как» → ["бесплатно", "своими руками", "!как"]: a phrase runs to the next «-»."""
    return [" ".join(p.split()) for p in re.split(r"(?:^|\s)-", text) if p.strip()]


def _as_id(v: str) -> int | None:
    return int(v) if v.isdigit() else None


def read_rows(data: bytes, filename: str) -> list[list[str]]:
    ext = Path(filename).suffix.lower()
    if not data:
        raise ImportFileError(
            f"файл {filename} пустой: выгрузите кампанию из Директа заново (XLS или XLSX)"
        )
    if ext == ".xls" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        import xlrd

        try:
            book = xlrd.open_workbook(file_contents=data)
            sheet = (
                book.sheet_by_name("Тексты")
                if "Тексты" in book.sheet_names()
                else book.sheet_by_index(0)
            )
            return [[_cell(v) for v in sheet.row_values(i)] for i in range(sheet.nrows)]
        except (
            Exception
        ) as err:  # xlrd raises many kinds (CompDocError, struct.error …) on a broken file
            raise ImportFileError(
                f"файл XLS не читается ({type(err).__name__}: {err}); выгрузите кампанию из "
                "Директа заново или сохраните её как XLSX"
            ) from err
    if ext == ".xlsx" or data[:2] == b"PK":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
            try:
                ws = wb["Тексты"] if "Тексты" in wb.sheetnames else wb.worksheets[0]
                return [[_cell(v) for v in r] for r in ws.iter_rows(values_only=True)]
            finally:
                wb.close()
        except Exception as err:  # zip, XML and openpyxl errors: the file is broken, not our state
            raise ImportFileError(
                f"файл XLSX повреждён или это не XLSX ({type(err).__name__}: {err}); "
                "выгрузите кампанию из Директа заново"
            ) from err
    raise ImportFileError(
        f"для импорта из Директа нужен файл .xls или .xlsx (получен {ext or 'файл без расширения'})"
    )


def parse_direct(data: bytes, filename: str) -> DirectFile:
    """Read sheet «Тексты»: the metadata block, the header row, then group/phrase/ad rows."""
    rows = read_rows(data, filename)
    header_at = next((i for i, r in enumerate(rows) if PHRASE_COL in r), None)
    if header_at is None:
        raise ImportFileError(
            f"это не выгрузка Директа: на листе «Тексты» нет строки заголовков с «{PHRASE_COL}»"
        )
    out = DirectFile(name=Path(filename).stem)
    for r in rows[:header_at]:
        for j, v in enumerate(r):
            nxt = next((x for x in r[j + 1 :] if x), "")
            if v == "Минус-фразы на кампанию:":
                out.minus_words = minus_list(nxt)
            elif v == "Тип кампании:":
                out.campaign_type = nxt
    header = rows[header_at]
    cols: dict[str, list[int]] = {}
    for j, name in enumerate(header):
        cols.setdefault(name, []).append(j)

    def get(r: list[str], name: str, nth: int = 0) -> str:
        idx = cols.get(name, [])
        return r[idx[nth]] if len(idx) > nth and idx[nth] < len(r) else ""

    epk = "Заголовок 3" in cols or "Текст 1" in cols
    groups: dict[str, DirectGroup] = {}
    for r in rows[header_at + 1 :]:
        gid, gnum, gname = get(r, "ID группы"), get(r, "Номер группы"), get(r, "Название группы")
        phrase = get(r, PHRASE_COL)
        key = gid or gnum or gname
        if not key:
            continue  # the sub-header row and blank rows
        g = groups.get(key)
        if g is None:
            g = groups[key] = DirectGroup(key=key, name=gname, external_id=_as_id(gid))
            g.minus_phrases = minus_list(get(r, "Минус-фразы на группу"))
        if not out.regions and get(r, "Регион"):
            out.regions = [x.strip() for x in get(r, "Регион").split(",") if x.strip()]
        if phrase:
            clean, minus = sanitise(phrase)
            if clean:
                g.keywords.append((clean, minus, _as_id(get(r, "ID фразы"))))
        ad = _ad(r, get, epk)
        if ad is not None:
            ad_id = _as_id(get(r, "ID объявления"))
            link = get(r, "Ссылка")
            same = [a for a in g.ads if (ad_id and a[2] == ad_id) or (a[0] == ad and a[1] == link)]
            if not same:
                g.ads.append((ad, link, ad_id))
    for g in groups.values():
        if not g.name or g.name.isdigit():
            g.name = (
                g.keywords[0][0]
                if g.keywords
                else (g.ads[0][0].title if g.ads else f"Группа {g.key}")
            )
    out.groups = [g for g in groups.values() if g.keywords or g.ads]
    if not out.groups:
        raise ImportFileError(
            "в файле Директа не нашлось ни одной группы с фразами или объявлениями"
        )
    return out


def _ad(r: list[str], get: Any, epk: bool) -> AdDraft | None:
    heads = [get(r, "Заголовок 1", 1), get(r, "Заголовок 2", 1)] + [
        get(r, f"Заголовок {i}") for i in range(3, 8)
    ]
    texts = [get(r, f"Текст {i}") for i in (1, 2, 3)]
    if epk and (any(heads) or any(texts)):
        title, title2, *extra = heads
        text, *extra_texts = texts
    else:
        title, title2, text, extra, extra_texts = (
            get(r, "Заголовок 1"),
            get(r, "Заголовок 2"),
            get(r, "Текст"),
            [],
            [],
        )
    if not (title or text):
        return None
    titles = get(r, "Заголовки быстрых ссылок").split("||")
    descs = get(r, "Описания быстрых ссылок").split("||")
    urls = get(r, "Адреса быстрых ссылок").split("||")
    sitelinks = [
        {
            "title": t.strip(),
            "description": (descs[i] if i < len(descs) else "").strip(),
            "url": (urls[i] if i < len(urls) else "").strip(),
        }
        for i, t in enumerate(titles)
        if t.strip()
    ]
    return AdDraft(
        title=title,
        title2=title2,
        text=text,
        extra_titles=[t for t in extra if t],
        extra_texts=[t for t in extra_texts if t],
        display_link=get(r, "Отображаемая ссылка"),
        sitelinks=sitelinks,
        callouts=[c.strip() for c in get(r, "Уточнения").split("||") if c.strip()],
    )


def load_direct_file(path: str | Path) -> DirectFile:
    p = Path(path)
    if not p.is_file():
        raise ImportFileError(f"файл Директа не найден: {p}")
    return parse_direct(p.read_bytes(), p.name)
