"""`tgassist channels …` through the real CLI (Typer runner, settings from the environment)."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis as syncredis
from typer.testing import CliRunner

from tgassist.cli import app as cli
from tgassist.settings import Settings

runner = CliRunner()


@pytest.fixture
def env(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    """The CLI reads TGASSIST_* from the environment: point it at this test's backends."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("TGASSIST_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TGASSIST_DATABASE_URL", str(settings.database_url))
    monkeypatch.setenv("TGASSIST_REDIS_URL", str(settings.redis_url))
    monkeypatch.setenv("TGASSIST_LANGUAGE", "en")  # the CLI speaks TGASSIST_LANGUAGE
    for name in ("TGASSIST_TELEGRAM_API_ID", "TGASSIST_TELEGRAM_API_HASH"):
        monkeypatch.delenv(name, raising=False)
    client = syncredis.Redis.from_url(str(settings.redis_url))
    client.flushdb()
    yield settings
    client.flushdb()
    client.close()


def invoke(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


def test_import_twice_then_list_and_remove(env: Settings, fixtures_dir: Path) -> None:
    export = str(fixtures_dir / "telegram-desktop" / "trantor")
    code, out = invoke("channels", "import", export)
    assert code == 0, out
    assert "posts:         53 (new 53, edited 0, unchanged 0)" in out
    assert "albums:        5 in the export (5 new or updated)" in out
    assert "skipped:       4 (service 4" in out
    assert "missing media: 12" in out
    assert "events:        58 published" in out

    code, out = invoke("channels", "import", export)
    assert (
        code == 0
        and "(new 0, edited 0, unchanged 53)" in out
        and "events:        0 published" in out
    )

    code, out = invoke("channels", "add", "@Some_Channel")
    assert code == 0 and "added @some_channel" in out
    code, out = invoke("channels", "list")
    assert code == 0 and "some_channel" in out and "53" in out

    code, out = invoke("channels", "remove", "1878264527")
    assert code == 0 and "removed channel" in out
    code, out = invoke("channels", "remove", "1878264527")
    assert code == 1 and "error:" in out and "No channel" in out


def test_bad_export_is_one_red_line(env: Settings, tmp_path: Path) -> None:
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "result.json").write_text(
        '{"name": "x", "messages": [{"id": 1,', encoding="utf-8"
    )
    code, out = invoke("channels", "import", str(tmp_path / "broken"))
    assert code == 1
    assert out.strip().startswith("error:") and "result.json is not valid JSON" in out
    assert "Traceback" not in out


def test_parse_without_telegram_settings_says_what_to_set(env: Settings) -> None:
    code, out = invoke("channels", "parse")
    assert code == 1 and "TGASSIST_TELEGRAM_API_ID" in out and "my.telegram.org" in out


def test_parse_rejects_unknown_mode(env: Settings) -> None:
    code, out = invoke("channels", "parse", "--mode", "sideways")
    assert code == 1 and "--mode must be" in out
