"""Input files are recognised, not guessed (issue 11 item 4; issue 12 item 14)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from tests.campaigns.helpers import campaign_of
from tgassist.app import App
from tgassist.campaigns import ImportFileError, service
from tgassist.campaigns.models import Keyword
from tgassist.campaigns.sources import imports
from tgassist.campaigns.sources.direct_import import parse_direct
from tgassist.campaigns.sources.imports import parse_keywords, read_keyword_file
from tgassist.campaigns.summary import summary_lines

HEADER = [
    "Доп. объявление группы",
    "Тип объявления",
    "Мобильное объявление",
    "ID группы",
    "Название группы",
    "Номер группы",
    "Статус",
    "ID фразы",
    "Фраза (с минус-словами)",
    "Продуктивность",
    "ID объявления",
    "Заголовок 1",
    "Заголовок 2",
    "Текст",
    "Ссылка",
    "Регион",
    "Ставка",
]
PHRASES = [
    ("создание лендинга", "Лендинг"),
    ("создание лендинга под ключ", None),
    ("разработка лендинга", None),
    ("лендинг цена", None),
    ("заказать лендинг", "Заказ"),
    ("заказать лендинг недорого", None),
    ("заказать landing page", None),
]


def commander_xlsx(group_cells: str) -> bytes:
    """A filled Direct template as people really keep it: the group number only on a group's first row,
    the rows below blank («blank») or a formula pointing up («formula», saved without cached values)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Тексты"
    ws.cell(7, 4, "Тип кампании:")
    ws.cell(7, 5, "Текстово-графическая кампания")
    ws.cell(8, 4, "Название кампании:")
    ws.cell(8, 5, "Лендинги под ключ")
    for j, name in enumerate(HEADER, start=1):
        ws.cell(10, j, name)
    row, number = 12, 0
    for phrase, group in PHRASES:
        if group:
            number += 1
            ws.cell(row, 5, group)
            ws.cell(row, 6, number)
            ws.cell(row, 12, f"{group} под ключ")
            ws.cell(row, 14, "Продающие лендинги за 3 дня. Без предоплаты!")
            ws.cell(row, 15, "https://example.ru")
        elif group_cells == "formula":
            ws.cell(row, 5, f"=E{row - 1}")
            ws.cell(row, 6, f"=$F${row - 1}")
        ws.cell(row, 1, "-")
        ws.cell(row, 9, phrase)
        ws.cell(row, 16, "Москва")
        ws.cell(row, 17, f"{10 + row},5")
        row += 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("cells", ["blank", "formula"])
def test_commander_group_cells_blank_or_formulas_keep_every_phrase(cells: str) -> None:
    # Issue 11: a real filled template kept 1 of 147 phrases and reported success.
    parsed = parse_direct(commander_xlsx(cells), "direct.xlsx")
    assert parsed.phrases_read == len(PHRASES)
    assert [len(g.keywords) for g in parsed.groups] == [4, 3]
    assert parsed.name == "Лендинги под ключ"
    assert parsed.groups[0].bids["создание лендинга"] == 22.5
    assert not parsed.skipped


async def test_import_keeps_bids_name_and_reports_read_vs_stored(app: App, tmp_path: Path) -> None:
    path = tmp_path / "direct.xlsx"
    path.write_bytes(commander_xlsx("formula"))
    cid = await service.import_direct(app, 5, path)
    camp = await campaign_of(app, cid)
    assert camp.name == "Лендинги под ключ" and camp.keywords_count == len(PHRASES)
    assert camp.report["import"]["phrases_read"] == camp.report["import"]["stored"] == 7
    assert summary_lines(camp.report, "ru")[0] == "Фраз в файле: 7, сохранено: 7"
    async with app.db.session() as s:
        bids = dict(
            (
                await s.execute(
                    service.select(Keyword.phrase, Keyword.bid).where(Keyword.campaign_id == cid)
                )
            ).all()
        )
    assert bids["заказать лендинг"] == 26.5
    res = await service.export_campaign(app, 5, cid, "xlsx")
    from tgassist.campaigns.sources.direct_import import load_direct_file

    again = load_direct_file(res.path)
    assert again.groups[1].bids["заказать лендинг"] == 26.5  # bids go back to Commander


def commander_csv(sep: str) -> bytes:
    lines = ["example-new", "Лендинги под ключ", "", sep.join(HEADER)]
    number = 0
    for phrase, group in PHRASES:
        if group:
            number += 1
        cells = ["-", "", "-", "", group or "", str(number) if group else "", "", "", phrase]
        cells += ["", "", f"{group} под ключ" if group else "", "", "", "", "Москва", "12,5"]
        lines.append(sep.join(cells))
    return "\n".join(lines).encode("cp1251")


@pytest.mark.parametrize(("sep", "name"), [(";", "export.csv"), ("\t", "export.tsv")])
def test_commander_csv_and_tsv_export(sep: str, name: str) -> None:
    parsed = parse_direct(commander_csv(sep), name)
    assert parsed.name == "Лендинги под ключ"
    assert [len(g.keywords) for g in parsed.groups] == [4, 3]
    assert parsed.groups[1].bids["заказать лендинг"] == 12.5


def test_a_direct_file_given_as_a_keyword_file_gives_its_phrases() -> None:
    # Issue 11: a Direct template became the keyword «id группы».
    found = read_keyword_file(commander_xlsx("blank"), "campaign.xlsx")
    assert found.kind == "direct"
    assert [k.phrase for k in found.keywords] == [p for p, _ in PHRASES]
    csv_found = read_keyword_file(commander_csv(";"), "campaign.csv")
    assert csv_found.kind == "direct" and len(csv_found.keywords) == len(PHRASES)


def test_a_budget_table_is_not_a_keyword_list() -> None:
    # Issue 11: a budget table became the keyword «месяц» and the ad «Закажите месяц!».
    table = "Месяц;Бюджет, руб.;Клики;CTR\n" + "".join(
        f"{m};{1000 * i} ;{50 * i};1,{i}%\n"
        for i, m in enumerate(["январь", "февраль", "март", "апрель"], 1)
    )
    with pytest.raises(ImportFileError) as err:
        parse_keywords(table.encode(), "budget.csv")
    text = err.value.render("ru")
    assert "budget.csv" in text and "Месяц" in text
    dates = "Дата;Показы\n01.02.2024;100\n02.02.2024;120\n03.02.2024;90\n"
    with pytest.raises(ImportFileError):
        parse_keywords(dates.encode(), "dates.csv")


def test_csv_errors_never_escape_and_long_files_are_cut_with_a_count(monkeypatch: Any) -> None:
    huge_field = ('"' + "а" * 200_000 + '"\n').encode()  # over csv.field_size_limit: _csv.Error
    with pytest.raises(ImportFileError) as err:
        parse_keywords(b"\xd1\x84\xd1\x80\xd0\xb0\xd0\xb7\xd0\xb0\n" + huge_field, "huge.csv")
    assert err.value.key == "campaigns_report.import.csv_broken"
    monkeypatch.setattr(imports, "MAX_ROWS", 1000)
    data = (
        "Фраза;Частота\n" + "".join(f"купить диван {i};{i}\n" for i in range(1_000_000))
    ).encode()
    found = read_keyword_file(data, "million.csv")
    assert len(found.keywords) == 999 and found.rows_cut == 1_000_000 - 999
    assert found.notes()["rows_cut"] == found.rows_cut


CELL = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["купить диван", "Фраза", "Частота", "=SUM(A1:A3)", "12 345", "0,3%", '"', "\x00"]
    ),
)


@seed(20261201)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(CELL, max_size=5), max_size=12), sep=st.sampled_from([";", "\t", ","])
)
def test_keyword_readers_fuzz(rows: list[list[str]], sep: str) -> None:
    """Any text table: either keywords or an ImportFileError, never another exception."""
    data = "\n".join(sep.join(r) for r in rows).encode("utf-8", errors="replace")
    for name in ("kw.csv", "kw.tsv", "kw.txt"):
        try:
            found = read_keyword_file(data, name)
        except ImportFileError as err:
            assert err.key.startswith("campaigns_report.import.")
        else:
            assert found.keywords and all(k.phrase.strip() for k in found.keywords)
