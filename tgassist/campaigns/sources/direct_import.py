"""Import of an existing Yandex Direct campaign file (XLS export or XLSX template) for edit and re-export."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tgassist.campaigns.exceptions import ImportFileError
from tgassist.campaigns.keywords import sanitise
from tgassist.campaigns.limits import AdDraft
from tgassist.campaigns.sources.commander import read_sheet

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
    bids: dict[str, float] = field(default_factory=dict)  # phrase → search bid from «Ставка»


@dataclass
class DirectFile:
    """A whole campaign file: campaign minus words, regions, groups."""

    name: str
    campaign_type: str = ""
    minus_words: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    groups: list[DirectGroup] = field(default_factory=list)
    phrases_read: int = 0  # rows with a phrase, whatever became of them
    skipped: list[dict[str, object]] = field(default_factory=list)  # {"row", "phrase", "reason"}
    unreadable_formulas: int = 0


def minus_list(text: str) -> list[str]:
    """«-бесплатно -своими руками -!как» → ["бесплатно", "своими руками", "!как"]: a phrase runs to the next «-»."""
    return [" ".join(p.split()) for p in re.split(r"(?:^|\s)-", text) if p.strip()]


def _as_id(v: str) -> int | None:
    return int(v) if v.isdigit() else None


def read_rows(data: bytes, filename: str) -> list[list[str]]:
    return read_sheet(data, filename).rows


def parse_bid(value: str) -> float | None:
    """«12,50» / «12.5» → 12.5; empty or text → None."""
    try:
        bid = float(value.replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except ValueError:
        return None
    return bid if bid > 0 else None


def _campaign_name(rows: list[list[str]], header_at: int, filename: str) -> str:
    """«Название кампании:» of the metadata block; in a CSV export the campaign name is the last
    one-cell line above the header (line 1 is the template marker); else the file name."""
    for r in rows[:header_at]:
        for j, v in enumerate(r):
            if v.rstrip(":").strip().lower() in ("название кампании", "кампания"):
                nxt = next((x for x in r[j + 1 :] if x), "")
                if nxt:
                    return nxt
    singles = [
        [c for c in r if c][0]
        for r in rows[:header_at]
        if len([c for c in r if c]) == 1 and not [c for c in r if c][0].endswith(":")
    ]
    if Path(filename).suffix.lower() in (".csv", ".tsv", ".txt") and singles:
        return singles[-1]
    return Path(filename).stem


def parse_direct(data: bytes, filename: str) -> DirectFile:
    """Read sheet «Тексты»: the metadata block, the header row, then group/phrase/ad rows.

    A row without a group (blank, or a formula that could not be read) belongs to the group above it,
    as in Commander. Every phrase row is counted, so a caller can tell read from stored."""
    sheet = read_sheet(data, filename)
    rows = sheet.rows
    header_at = next((i for i, r in enumerate(rows) if PHRASE_COL in r), None)
    if header_at is None:
        raise ImportFileError(
            "campaigns_report.import.not_direct", file=filename, column=PHRASE_COL
        )
    out = DirectFile(name=_campaign_name(rows, header_at, filename))
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

    # Only formulas in the columns read here matter (length counters of a template do not).
    data_cols = {
        j
        for name in ("ID группы", "Номер группы", "Название группы", PHRASE_COL, "Ставка")
        for j in cols.get(name, [])
    }
    out.unreadable_formulas = sum(
        1 for i, j in sheet.unreadable if i > header_at and j in data_cols
    )
    epk = "Заголовок 3" in cols or "Текст 1" in cols
    groups: dict[str, DirectGroup] = {}
    current: DirectGroup | None = None
    for n, r in enumerate(rows[header_at + 1 :], start=header_at + 2):
        gid, gnum, gname = get(r, "ID группы"), get(r, "Номер группы"), get(r, "Название группы")
        phrase = get(r, PHRASE_COL)
        ad = _ad(r, get, epk)
        key = gid or gnum or gname
        if not key and not phrase and ad is None:
            continue  # the sub-header row and blank rows
        if phrase:
            out.phrases_read += 1
        if not key:
            if current is None:
                out.skipped.append({"row": n, "phrase": phrase, "reason": "no_group"})
                continue
            g = current  # a blank group cell: the same group as the row above
        else:
            g = groups.get(key) or groups.setdefault(
                key, DirectGroup(key=key, name=gname, external_id=_as_id(gid))
            )
            if not g.minus_phrases:
                g.minus_phrases = minus_list(get(r, "Минус-фразы на группу"))
        current = g
        if not out.regions and get(r, "Регион"):
            out.regions = [x.strip() for x in get(r, "Регион").split(",") if x.strip()]
        if phrase:
            clean, minus = sanitise(phrase)
            if clean:
                g.keywords.append((clean, minus, _as_id(get(r, "ID фразы"))))
                bid = parse_bid(get(r, "Ставка"))
                if bid is not None:
                    g.bids[clean] = bid
            else:
                out.skipped.append({"row": n, "phrase": phrase, "reason": "invalid"})
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
        raise ImportFileError("campaigns_report.import.no_groups", file=filename)
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
        raise ImportFileError("campaigns_report.import.not_found", file=str(p))
    return parse_direct(p.read_bytes(), p.name)
