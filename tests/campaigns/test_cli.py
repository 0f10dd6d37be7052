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
    assert queued.exit_code == 0, (
        queued.output
    )  # enqueued; nobody runs it (as if the worker was killed)
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
    res = CliRunner().invoke(
        cli,
        [
            "campaign",
            "new",
            "--name",
            "Тест",
            "--product",
            "окна",
            "--phrase",
            "окна пвх",
            "--region",
            "Атлантида",
            "--url",
            "htp://окна",
        ],
    )
    assert res.exit_code == 1
    assert "region" in res.output and "url" in res.output and "Traceback" not in res.output


def test_sigkill_mid_build_then_rerun_resumes(env: Settings, tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    import yaml

    from benchmarks.campaigns import keyword_file

    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["keywords_file"] = str(
        keyword_file(tmp_path / "kw.csv")
    )  # 2,000 phrases: a build of a few seconds
    brief = tmp_path / "brief.yaml"
    brief.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out.txt"
    with out.open("w") as f:
        proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "tgassist"),
                "campaign",
                "new",
                "--brief",
                str(brief),
            ],
            stdout=f,
            stderr=subprocess.STDOUT,
            env={**os.environ, "TGASSIST_LOG_LEVEL": "INFO"},
        )
    try:
        deadline = time.monotonic() + 120
        while (
            "stage=cluster" not in out.read_text() and '"stage": "cluster"' not in out.read_text()
        ):
            assert proc.poll() is None and time.monotonic() < deadline, out.read_text()[-2000:]
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    res = CliRunner().invoke(cli, ["campaign", "new", "--brief", str(brief)])
    assert res.exit_code == 0, res.output
    assert "Продолжаю незавершённую сборку кампании №1" in res.output and "completed" in res.output
    assert stage_times_before_resume(env) >= {
        "wordstat",
        "filter",
    }  # kept from the killed run, not redone


def stage_times_before_resume(settings: Settings) -> set[str]:
    """Stages whose results were saved before the second (resuming) task was created."""
    import asyncio

    from sqlalchemy import select

    from tgassist.app import App
    from tgassist.campaigns.models import StageResult
    from tgassist.core.models import Task

    async def go() -> set[str]:
        app = await App.start(settings)
        try:
            async with app.db.session() as s:
                tasks = (
                    await s.scalars(
                        select(Task)
                        .where(Task.subject_type == "campaign", Task.subject_id == "1")
                        .order_by(Task.created_at)
                    )
                ).all()
                assert len(tasks) == 2 and tasks[0].status == "failed" and tasks[1].status == "done"
                rows = (
                    await s.scalars(select(StageResult).where(StageResult.campaign_id == 1))
                ).all()
            return {r.stage for r in rows if r.finished_at < tasks[1].created_at}
        finally:
            await app.close()

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "Файл брифа не найден"),
        ("name: [unclosed\n  - x: y", "YAML"),
        ("- a\n- b\n", "набором полей"),
    ],
)
def test_missing_or_broken_brief_file_is_one_line_not_a_traceback(
    env: Settings, tmp_path: Path, content: str | None, message: str
) -> None:
    path = tmp_path / "brief.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    res = CliRunner().invoke(cli, ["campaign", "new", "--brief", str(path)])
    assert res.exit_code == 1
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "brief" in res.output and message in res.output and "Traceback" not in res.output
    assert not (env.data_dir / "exports").exists()


def test_broken_keywords_file_names_the_field(env: Settings, tmp_path: Path) -> None:
    bad = tmp_path / "kw.xlsx"
    bad.write_text("not a zip", encoding="utf-8")
    res = CliRunner().invoke(
        cli,
        [
            "campaign",
            "new",
            "--name",
            "Тест",
            "--product",
            "пластиковые окна",
            "--phrase",
            "окна пвх",
            "--region",
            "Москва",
            "--url",
            "okna.ru",
            "--keywords-file",
            str(bad),
        ],
    )
    assert res.exit_code == 1 and "keywords_file" in res.output and "XLSX" in res.output
    assert (
        "кампаний пока нет" in CliRunner().invoke(cli, ["campaign", "list"]).output
    )  # nothing half-saved


def test_summary_prints_whole_file_paths_on_a_narrow_terminal(
    env: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tgassist.cli import common

    monkeypatch.setattr(
        common.console, "width", 80
    )  # the table used to cut the paths to «…/campaign_1_Угл…»
    res = CliRunner().invoke(cli, ["campaign", "new", "--brief", str(EXAMPLE)])
    assert res.exit_code == 0, res.output
    paths = {
        line.split(": ", 1)[0]: Path(line.split(": ", 1)[1])
        for line in res.output.splitlines()
        if line.startswith(("XLSX: ", "CSV: "))
    }
    assert set(paths) == {"XLSX", "CSV"} and all(p.is_file() for p in paths.values()), res.output


def test_show_lists_limit_violations_of_an_imported_campaign(
    env: Settings, fixtures_dir: Path
) -> None:
    res = CliRunner().invoke(
        cli,
        ["campaign", "import", str(fixtures_dir / "yandex-direct" / "direct_import_filled.xlsx")],
    )
    assert res.exit_code == 0, res.output
    assert (
        "нарушение лимитов Директа:" in res.output and "Текст: пусто" in res.output
    )  # not just «18 %»


def test_zero_budget_flag_is_refused_not_ignored(env: Settings) -> None:
    res = CliRunner().invoke(
        cli,
        [
            "campaign",
            "new",
            "--name",
            "Тест",
            "--product",
            "пластиковые окна",
            "--phrase",
            "окна пвх",
            "--region",
            "Москва",
            "--url",
            "okna.ru",
            "--budget",
            "0",
            "--no-wait",
        ],
    )
    assert res.exit_code == 1 and "budget" in res.output and "больше нуля" in res.output
