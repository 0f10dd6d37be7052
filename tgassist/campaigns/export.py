"""Export in the Direct Commander import layout: XLSX (sheet «Тексты», metadata above the header) and CSV.

Columns follow today's Commander file for a unified performance campaign with combinatorial ads
(`COLUMNS`, in the order of a real import file). One keyword per row with "-" in the first column;
additional ads of a group are "+" rows; multi-value cells are joined with "||".
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tgassist.ai.text import STOP_WORDS
from tgassist.campaigns.exceptions import ExportError
from tgassist.campaigns.limits import AdDraft
from tgassist.core.i18n import Msg

CAMPAIGN_TYPE = "Единая перфоманс-кампания"
AD_TYPE = "Комбинаторное"
SHEET = "Тексты"
COLUMNS: tuple[str, ...] = (
    "Доп. объявление группы",
    "Тип объявления",
    "ID группы",
    "Название группы",
    "Номер группы",
    "Тип кампании",
    "Валюта",
    "ID фразы",
    "Фраза (с минус-словами)",
    "ID объявления",
    "Заголовок 1",
    "Заголовок 2",
    "Текст",
    "Заголовок 1",
    "Заголовок 2",
    "Заголовок 3",
    "Заголовок 4",
    "Заголовок 5",
    "Заголовок 6",
    "Заголовок 7",
    "Текст 1",
    "Текст 2",
    "Текст 3",
    "Изображение 1",
    "Изображение 2",
    "Изображение 3",
    "Изображение 4",
    "Изображение 5",
    "Статус модерации ассетов",
    "Ссылка",
    "Отображаемая ссылка",
    "Регион",
    "Ставка",
    "Ставка в сетях",
    "Организация Яндекс Бизнеса",
    "Статус объявления",
    "Статус фразы",
    "Заголовки быстрых ссылок",
    "Описания быстрых ссылок",
    "Адреса быстрых ссылок",
    "Параметр 1",
    "Параметр 2",
    "Метки",
    "Изображение",
    "Креатив",
    "Статус модерации креатива",
    "Уточнения",
    "Минус-фразы на группу",
    "Возрастные ограничения",
)
HEADER_ROW = 10  # 1-based, as in Direct's own export; the metadata block sits above it
# The first "Заголовок 1 / Заголовок 2 / Текст" belong to the old text-image block and stay empty.
HEADLINE_COLS = tuple(13 + i for i in range(7))
TEXT_COLS = (20, 21, 22)
_INDEX = {name: i for i, name in reversed(list(enumerate(COLUMNS)))}  # first occurrence


@dataclass
class ExportGroup:
    """One ad group as exported: keywords (phrase, minus words), ads, group minus phrases."""

    number: int
    name: str
    keywords: list[tuple[str, list[str]]]
    ads: list[tuple[AdDraft, str]]  # (ad, its link)
    minus_phrases: list[str] = field(default_factory=list)
    bids: dict[str, float] = field(default_factory=dict)  # phrase → search bid («Ставка»)


@dataclass
class ExportCampaign:
    """A campaign as exported."""

    name: str
    regions: list[str]
    groups: list[ExportGroup]
    minus_words: list[str] = field(default_factory=list)
    currency: str = "RUB"
    warnings: list[Msg] = field(default_factory=list)  # what the user must still do in Commander


def minus_text(words: Sequence[str]) -> str:
    """«-бесплатно -своими руками -!как»: a stop word works as a minus word only with «!» (Direct ignores or
    refuses a bare «-как»), as Direct's own export writes it."""
    out = []
    for w in words:
        w = w.strip().lstrip("-")
        if w:
            out.append(f"-!{w}" if w.lower() in STOP_WORDS else f"-{w}")
    return " ".join(out)


def _row(
    group: ExportGroup,
    camp: ExportCampaign,
    extra_ad: bool,
    phrase: str,
    ad: AdDraft | None,
    link: str,
) -> list[str]:
    row = [""] * len(COLUMNS)

    def put(col: str, value: object) -> None:
        row[_INDEX[col]] = "" if value is None else str(value)

    put("Доп. объявление группы", "+" if extra_ad else "-")
    put("Тип объявления", AD_TYPE)
    put("Название группы", group.name)
    put("Номер группы", group.number)
    put("Тип кампании", CAMPAIGN_TYPE)
    put("Валюта", camp.currency)
    put("Фраза (с минус-словами)", phrase)
    put("Регион", ", ".join(camp.regions))
    put("Минус-фразы на группу", minus_text(group.minus_phrases))
    if ad is not None:
        for col, text in zip(HEADLINE_COLS, ad.headlines()[:7], strict=False):
            row[col] = text
        for col, text in zip(TEXT_COLS, ad.texts()[:3], strict=False):
            row[col] = text
        put("Ссылка", link)
        put("Отображаемая ссылка", ad.display_link)
        if ad.sitelinks:
            put("Заголовки быстрых ссылок", "||".join(s.get("title", "") for s in ad.sitelinks))
            put(
                "Описания быстрых ссылок", "||".join(s.get("description", "") for s in ad.sitelinks)
            )
            put("Адреса быстрых ссылок", "||".join(s.get("url", "") for s in ad.sitelinks))
        put("Уточнения", "||".join(ad.callouts))
    return row


def build_rows(camp: ExportCampaign) -> list[list[str]]:
    """Data rows: each keyword of a group with its first ad, then "+" rows for the other ads."""
    rows: list[list[str]] = []
    for g in camp.groups:
        first = g.ads[0] if g.ads else (None, "")
        for phrase, minus in g.keywords or [("", [])]:
            text = f"{phrase} {minus_text(minus)}".strip()
            row = _row(g, camp, False, text, first[0], first[1])
            if phrase in g.bids:
                row[_INDEX["Ставка"]] = f"{g.bids[phrase]:g}"
            rows.append(row)
        for ad, link in g.ads[1:]:
            rows.append(_row(g, camp, True, "", ad, link))
    return rows


def metadata_rows(camp: ExportCampaign) -> list[list[str]]:
    """The block above the header row, laid out as in Direct's own export (header on row 10)."""
    width = len(COLUMNS)
    blank = [""] * width
    rows = [list(blank) for _ in range(HEADER_ROW - 1)]
    rows[5][0] = "Предложение текстовых блоков для рекламной кампании"
    rows[6][3], rows[6][4] = "Тип кампании:", CAMPAIGN_TYPE
    rows[7][3], rows[7][4], rows[7][6], rows[7][7] = "№ заказа:", "", "Валюта:", camp.currency
    rows[8][3], rows[8][4] = "Минус-фразы на кампанию:", minus_text(camp.minus_words)
    rows[0][0] = camp.name
    return rows


def safe_name(name: str) -> str:
    return re.sub(r"[^0-9A-Za-zА-Яа-яЁё_-]+", "_", name).strip("_")[:60] or "campaign"


def write_xlsx(camp: ExportCampaign, path: Path) -> Path:
    """Write the Commander XLSX (one campaign, sheet «Тексты»); streamed, so 10,000 rows stay fast."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    widths = {
        "Название группы": 28,
        "Фраза (с минус-словами)": 40,
        "Ссылка": 30,
        "Текст 1": 45,
        "Текст 2": 45,
    }
    for i, name in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = widths.get(
            name, 32 if i in (14, 15) else 16
        )
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    for r in metadata_rows(camp):
        ws.append([v or None for v in r])
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    header = []
    for name in COLUMNS:
        cell = WriteOnlyCell(ws, value=name)
        cell.font, cell.alignment = bold, wrap
        header.append(cell)
    ws.append(header)
    for r in build_rows(camp):
        ws.append([v if v != "" else None for v in r])
    return _save(lambda p: wb.save(p), path)


def write_csv(camp: ExportCampaign, path: Path) -> Path:
    """The same layout as CSV, UTF-8, tab-separated: campaign name, minus words, blank, header, rows."""

    def save(p: Path) -> None:
        with p.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, delimiter="\t", lineterminator="\n")
            w.writerow([camp.name])
            w.writerow(["Минус-фразы на кампанию:", minus_text(camp.minus_words)])
            w.writerow([])
            w.writerow(COLUMNS)
            w.writerows(build_rows(camp))

    return _save(save, path)


def _save(write: object, path: Path) -> Path:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        write(tmp)  # type: ignore[operator]
        tmp.replace(path)  # a crash never leaves half a file under the final name
    except OSError as err:
        raise ExportError(
            "campaigns.export.write_failed", path=str(path), error=str(err)[:200]
        ) from err
    return path
