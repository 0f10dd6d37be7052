"""`tgassist campaign …` through Typer, on the test backends (env vars, as a user would run it)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import redis as syncredis
from typer.testing import CliRunner

from tgassist.cli import app as cli
from tgassist.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "brief.yaml"


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    syncredis.Redis.from_url(settings.redis_url).flushdb()
    monkeypatch.setenv("TGASSIST_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TGASSIST_DATABASE_URL", str(settings.database_url))
    monkeypatch.setenv("TGASSIST_REDIS_URL", str(settings.redis_url))
    monkeypatch.setenv("TGASSIST_BUS_BLOCK_MS", "100")
    monkeypatch.setenv("COLUMNS", "200")
    return settings


def test_new_from_example_brief_then_manage(env: Settings) -> None:
    runner = CliRunner()
    queued = runner.invoke(cli, ["campaign", "new", "--brief", str(EXAMPLE), "--no-wait"])
    assert queued.exit_code == 0, queued.output  # enqueued; nobody runs it (as if the worker was killed)
    res = runner.invoke(cli, ["campaign", "new", "--brief", str(EXAMPLE)])
    assert res.exit_code == 0, res.output
    assert "Продолжаю незавершённую сборку кампании №1" in res.output
    assert "completed" in res.output and "100 %" in res.output
    xlsx = next((env.data_dir / "exports").glob("campaign_1_*.xlsx"))
    ws = openpyxl.load_workbook(xlsx)["Тексты"]
    assert ws.cell(10, 9).value == "Фраза (с минус-словами)"
    assert next((env.data_dir / "exports").glob("campaign_1_*.csv")).is_file()
    listed = runner.invoke(cli, ["campaign", "list"])
    assert "Угловые диваны" in listed.output and listed.output.count("completed") == 1
    assert "export" in runner.invoke(cli, ["campaign", "show", "1"]).output
    sheets = runner.invoke(cli, ["campaign", "export", "1", "--format", "sheets"])
    assert sheets.exit_code == 0 and ".xlsx" in sheets.output
    assert runner.invoke(cli, ["campaign", "delete", "1", "--yes"]).exit_code == 0
    missing = runner.invoke(cli, ["campaign", "show", "1"])
    assert missing.exit_code == 1 and "не найдена" in missing.output


def test_bad_brief_flags_fail_with_field_errors(env: Settings) -> None:
    res = CliRunner().invoke(cli, ["campaign", "new", "--name", "Тест", "--product", "окна", "--phrase", "окна пвх",
                                   "--region", "Атлантида", "--url", "htp://окна"])
    assert res.exit_code == 1
    assert "region" in res.output and "url" in res.output and "Traceback" not in res.output
