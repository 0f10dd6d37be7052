from __future__ import annotations

import csv
import re
from pathlib import Path

import openpyxl
import pytest

from tgassist.campaigns.export import (
    COLUMNS,
    HEADER_ROW,
    SHEET,
    ExportCampaign,
    ExportGroup,
    write_csv,
    write_xlsx,
)
from tgassist.campaigns.limits import AdDraft
from tgassist.campaigns.sources.direct_import import load_direct_file, parse_direct


def commander_columns(fixtures_dir: Path) -> list[str]:
    text = (fixtures_dir / "yandex-direct" / "commander_epk_columns.txt").read_text(
        encoding="utf-8"
    )
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def campaign() -> ExportCampaign:
    ad1 = AdDraft(
        title="Ремонт холодильников",
        title2="От 990 ₽",
        text="Выезд за час.",
        extra_titles=["Т3"],
        extra_texts=["Текст два."],
        display_link="Ремонт",
        sitelinks=[
            {"title": "Цены", "description": "Прайс", "url": "https://a.ru/p"},
            {"title": "Контакты", "description": "", "url": "https://a.ru/c"},
        ],
        callouts=["Без выходных", "Гарантия"],
    )
    ad2 = AdDraft(title="Мастер по холодильникам", text="Гарантия год.")
    g = ExportGroup(
        1,
        "ремонт холодильников",
        [("ремонт холодильников", ["samsung"]), ("холодильник ремонт", [])],
        [(ad1, "https://a.ru/"), (ad2, "https://a.ru/")],
        ["бесплатно"],
    )
    return ExportCampaign("Холодильники", ["Москва"], [g], ["своими руками", "как"])


def test_xlsx_matches_the_commander_layout(tmp_path: Path, fixtures_dir: Path) -> None:
    path = write_xlsx(campaign(), tmp_path / "c.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [SHEET] == ["Тексты"]
    ws = wb[SHEET]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header = rows[HEADER_ROW - 1]
    assert header == commander_columns(fixtures_dir) == list(COLUMNS)
    assert rows[6][3:5] == ["Тип кампании:", "Единая перфоманс-кампания"]
    assert rows[8][3:5] == [
        "Минус-фразы на кампанию:",
        "-своими руками -!как",
    ]  # «!»: «как» is a stop word
    data = [dict(zip(range(len(header)), r, strict=False)) for r in rows[HEADER_ROW:]]
    col = {name: i for i, name in reversed(list(enumerate(header)))}
    assert [d[0] for d in data] == ["-", "-", "+"]
    assert data[0][col["Фраза (с минус-словами)"]] == "ремонт холодильников -samsung"
    assert data[0][col["Тип объявления"]] == "Комбинаторное"
    assert (
        data[0][13] == "Ремонт холодильников" and data[0][14] == "От 990 ₽" and data[0][15] == "Т3"
    )
    assert data[0][col["Заголовок 1"]] is None  # the old text-image block stays empty
    assert data[0][col["Текст 1"]] == "Выезд за час." and data[0][col["Текст 2"]] == "Текст два."
    assert data[0][col["Заголовки быстрых ссылок"]] == "Цены||Контакты"
    assert data[0][col["Адреса быстрых ссылок"]] == "https://a.ru/p||https://a.ru/c"
    assert data[0][col["Уточнения"]] == "Без выходных||Гарантия"
    assert data[0][col["Минус-фразы на группу"]] == "-бесплатно"
    assert (
        data[2][col["Фраза (с минус-словами)"]] is None and data[2][13] == "Мастер по холодильникам"
    )


def test_csv_is_utf8_tab(tmp_path: Path) -> None:
    path = write_csv(campaign(), tmp_path / "c.csv")
    rows = list(csv.reader(path.open(encoding="utf-8"), delimiter="\t"))
    assert rows[0] == ["Холодильники"] and rows[3] == list(COLUMNS)
    assert rows[4][0] == "-" and rows[4][8] == "ремонт холодильников -samsung" and len(rows) == 7


def test_import_real_direct_export_xls(fixtures_dir: Path) -> None:
    d = load_direct_file(fixtures_dir / "yandex-direct" / "direct_campaign_export_37817530.xls")
    assert d.campaign_type == "Текстово-графическая кампания" and d.regions == ["Россия"]
    assert "wordpress" in d.minus_words and len(d.groups) == 2
    g = d.groups[1]
    assert g.external_id == 3524022654 and len(g.keywords) == 3 and len(g.ads) == 2
    assert g.keywords[0] == ("разработка лендинга", ["пейдж"], 14660078221)
    ad, link, ad_id = g.ads[0]
    assert ad_id == 6450895108 and link == "http://qfenix.ru" and ad.display_link == "landing"
    assert [s["title"] for s in ad.sitelinks] == [
        "Настройка рекламы",
        "Без предоплаты",
        "Цены",
        "За 10 дней",
    ]


def test_import_filled_template_xlsx(fixtures_dir: Path) -> None:
    d = load_direct_file(fixtures_dir / "yandex-direct" / "direct_import_filled.xlsx")
    assert len(d.groups) == 145 and d.regions == ["Республика Башкортостан"]
    first = d.groups[0]
    assert first.name == "стоимость создания лендинг пейдж"
    assert first.ads[0][0].title == "Стоимость создания лендинг пейдж"
    assert first.ads[0][0].text.startswith("Создаем продающие Лендинги")  # formulas are ignored


def test_reexport_of_an_import_round_trips(tmp_path: Path, fixtures_dir: Path) -> None:
    d = load_direct_file(fixtures_dir / "yandex-direct" / "direct_campaign_export_37817530.xls")
    camp = ExportCampaign(
        d.name,
        d.regions,
        [
            ExportGroup(
                i + 1,
                g.name,
                [(p, m) for p, m, _ in g.keywords],
                [(a, link) for a, link, _ in g.ads],
            )
            for i, g in enumerate(d.groups)
        ],
        d.minus_words,
    )
    path = write_xlsx(camp, tmp_path / "re.xlsx")
    again = parse_direct(path.read_bytes(), "re.xlsx")
    assert [len(g.keywords) for g in again.groups] == [len(g.keywords) for g in d.groups]
    assert again.groups[1].ads[0][0].title == d.groups[1].ads[0][0].title
    assert again.minus_words == d.minus_words


def test_not_a_direct_file(tmp_path: Path, fixtures_dir: Path) -> None:
    import pytest

    from tgassist.campaigns import ImportFileError

    with pytest.raises(ImportFileError) as err:
        load_direct_file(fixtures_dir / "yandex-direct" / "wordstat_phrases_small.xlsx")
    assert re.search("Фраза", err.value.render("ru"))
    with pytest.raises(ImportFileError):
        parse_direct(b"garbage", "x.csv")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
            "broken.xls",
            "XLS не читается",
        ),  # was CompDocError
        (b"", "empty.xls", "пустой"),  # was a TypeError deep in xlrd
        (b"PK\x05\x06" + b"\x00" * 18, "empty_zip.xlsx", "XLSX"),
    ],
)
def test_broken_direct_files_get_a_clear_message(data: bytes, name: str, message: str) -> None:
    from tgassist.campaigns import ImportFileError

    with pytest.raises(ImportFileError) as err:
        parse_direct(data, name)
    assert re.search(message, err.value.render("ru"))


def test_broken_xml_inside_a_direct_xlsx(tmp_path: Path) -> None:
    import zipfile

    from tgassist.campaigns import ImportFileError

    with zipfile.ZipFile(tmp_path / "d.xlsx", "w") as z:
        z.writestr("[Content_Types].xml", "<bad")
    with pytest.raises(ImportFileError) as err:
        load_direct_file(tmp_path / "d.xlsx")
    assert re.search("XLSX", err.value.render("ru"))


def test_minus_phrases_round_trip_as_phrases(tmp_path: Path) -> None:
    # «-своими руками» used to come back as two minus words, «своими» and «руками», which block far more.
    camp = campaign()
    camp.groups[0].minus_phrases = ["б у", "бесплатно"]
    again = parse_direct(write_xlsx(camp, tmp_path / "c.xlsx").read_bytes(), "c.xlsx")
    assert again.minus_words == ["своими руками", "!как"]
    assert again.groups[0].minus_phrases == ["б у", "бесплатно"]
    camp.minus_words = again.minus_words
    rows = list(
        openpyxl.load_workbook(write_xlsx(camp, tmp_path / "d.xlsx"))[SHEET].iter_rows(
            values_only=True
        )
    )
    assert rows[8][4] == "-своими руками -!как"  # stable on the second trip


def test_every_shipped_region_name_is_one_commander_knows(fixtures_dir: Path) -> None:
    # Commander matches «Регион» by name; «Москва и Московская область» (Direct: «Москва и область») made the
    # import fail. The real export carries Direct's region list on its «Регионы» sheet.
    import xlrd

    from tgassist.campaigns.brief import validate_brief
    from tgassist.campaigns.regions import REGIONS

    sheet = xlrd.open_workbook(
        fixtures_dir / "yandex-direct" / "direct_campaign_export_37817530.xls"
    ).sheet_by_name("Регионы")
    direct_names = {
        str(v).strip() for i in range(sheet.nrows) for v in sheet.row_values(i) if str(v).strip()
    }
    assert [r.name for r in REGIONS if r.name not in direct_names] == []
    brief = validate_brief(
        {
            "name": "Т",
            "product": "окна",
            "base_phrases": ["окна"],
            "url": "a.ru",
            "region": "Москва и Московская область",
        }
    )  # the long name is still understood
    assert brief.region_ids == (1,) and brief.region_names == ("Москва и область",)
