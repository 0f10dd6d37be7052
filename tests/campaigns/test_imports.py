from __future__ import annotations

import re
from pathlib import Path

import pytest

from tgassist.campaigns import ImportFileError
from tgassist.campaigns.sources.imports import load_keywords, parse_keywords, parse_number


def test_messy_monthly_sheet(fixtures_dir: Path) -> None:
    kws = load_keywords(fixtures_dir / "yandex-direct" / "wordstat_monthly_counts_manual_sheet.csv")
    by = {k.phrase: k.frequency for k in kws}
    assert len(kws) == 13
    assert by["Дебетовые карты (оверолл)"] == 598808  # the latest month, "598 808"
    assert by["кредитная карта Т-Банк"] is not None
    assert not any(
        p.startswith(("Доля", "http")) for p in by
    )  # share rows and the URL row are skipped


def test_small_xlsx_without_header(fixtures_dir: Path) -> None:
    kws = load_keywords(fixtures_dir / "yandex-direct" / "wordstat_phrases_small.xlsx")
    assert len(kws) == 11  # the =SUM row is not a phrase
    assert (kws[0].phrase, kws[0].frequency) == ("Заправка картриджей", 41)
    assert kws[-1].phrase == "ремонт компьютеров +в киселевске"


def test_key_collector_tab_export_in_cp1251() -> None:
    text = '№\tФраза\tЧастота [WS]\t"!Частота" [WS]\n1\tкупить диван\t12\u00a0345\t1 200\n2\tдиван цена\t900\t80\n'
    kws = parse_keywords(text.encode("cp1251", errors="replace"), "kc.tsv")
    assert [(k.phrase, k.frequency) for k in kws] == [("купить диван", 12345), ("диван цена", 900)]


def test_wordstat_semicolon_csv() -> None:
    kws = parse_keywords("Ключевая фраза;Число запросов\nкупить диван;1 000\n".encode(), "ws.csv")
    assert (kws[0].phrase, kws[0].frequency) == ("купить диван", 1000)


def test_example_keyword_file() -> None:
    kws = load_keywords(Path(__file__).resolve().parents[2] / "examples" / "keywords_divany.csv")
    assert len(kws) > 50 and all(k.frequency for k in kws)


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"", "empty.csv", "пустой"),
        (b"\x00\x01\x02binary", "bin.csv", "двоичные"),
        (b"PK\x03\x04broken", "broken.xlsx", "XLSX"),
        (b"whatever", "old.xls", ".xls"),
        (b"123;456\n789;10\n", "numbers.csv", "фраз"),
        (b"x", "file.pdf", "формат"),
    ],
)
def test_malformed_files_get_a_clear_message(data: bytes, name: str, message: str) -> None:
    with pytest.raises(ImportFileError) as err:
        parse_keywords(data, name)
    assert re.search(message, err.value.render("ru"))


def test_numbers() -> None:
    assert parse_number("432 027") == 432027
    assert parse_number("0,300%") is None
    assert parse_number("=SUM(B1:B11)") is None
    assert parse_number(41.0) == 41


def _zip(members: dict[str, str]) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in members.items():
            z.writestr(name, text)
    return buf.getvalue()


@pytest.mark.parametrize(
    "data", [_zip({"[Content_Types].xml": "<bad"}), _zip({"note.txt": "not a workbook"})]
)
def test_broken_xlsx_internals_are_an_import_error_not_a_crash(data: bytes) -> None:
    # A zip whose XML is broken used to escape as lxml's XMLSyntaxError (a traceback in the CLI).
    with pytest.raises(ImportFileError) as err:
        parse_keywords(data, "kw.xlsx")
    assert re.search("XLSX", err.value.render("ru"))
