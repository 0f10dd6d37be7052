"""`tgassist channels …` through the real CLI (Typer runner, settings from the environment)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import redis as syncredis
import structlog
from typer.testing import CliRunner

from tgassist.cli import app as cli
from tgassist.core.i18n import t
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
    root = logging.getLogger()
    handlers, level, config = root.handlers[:], root.level, structlog.get_config()
    try:
        result = runner.invoke(cli, list(args))
    finally:
        # the CLI points logging at the runner's (soon closed) stderr: every later log line
        # would then print a "Logging error" traceback and slow the rest of the run down
        root.handlers[:], root.level = handlers, level
        structlog.configure(**config)
    return result.exit_code, result.output


def test_import_twice_then_list_and_remove(
    env: Settings, fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = str(fixtures_dir / "telegram-desktop" / "trantor")
    code, out = invoke("channels", "import", export)
    assert code == 0, out
    out = " ".join(out.split())  # the console wraps long lines
    assert t("channels_import.report.posts", "en", total=53, new=53, edited=0, unchanged=0) in out
    assert t("channels_import.report.albums", "en", in_export=5, changed=5) in out
    skipped = t("channels_import.report.skipped", "en", total=4, service=4, unknown=0, invalid=0)
    assert skipped in out
    assert t("channels_import.report.missing_media", "en", count=12) in out
    assert " ".join(t("channels_import.report.outbox", "en", count=58).split()) in out

    code, out = invoke("channels", "import", export)
    out = " ".join(out.split())
    assert code == 0
    assert t("channels_import.report.posts", "en", total=53, new=0, edited=0, unchanged=53) in out
    # rows this import wrote to the outbox: none, whoever relays the outbox meanwhile
    assert " ".join(t("channels_import.report.outbox", "en", count=0).split()) in out

    # Without Telegram API credentials an @name could never be parsed: refused, nothing added
    code, out = invoke("channels", "add", "@Some_Channel")
    assert code == 1 and "TGASSIST_TELEGRAM_API_ID" in out and "export" in out, out
    code, out = invoke("channels", "list")
    assert "some_channel" not in out
    monkeypatch.setenv("TGASSIST_TELEGRAM_API_ID", "12345")
    monkeypatch.setenv("TGASSIST_TELEGRAM_API_HASH", "0123456789abcdef0123456789abcdef")
    code, out = invoke("channels", "add", "@Some_Channel")
    assert code == 0 and "@some_channel" in out, out
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
    assert out.strip().startswith("error:") and "result.json is cut off" in out
    assert "Traceback" not in out


def test_parse_without_telegram_settings_says_what_to_set(env: Settings) -> None:
    code, out = invoke("channels", "parse")
    assert code == 1 and "TGASSIST_TELEGRAM_API_ID" in out and "my.telegram.org" in out


def test_parse_rejects_unknown_mode(env: Settings) -> None:
    code, out = invoke("channels", "parse", "--mode", "sideways")
    assert code == 1 and "--mode must be" in out


def test_a_file_storage_fault_stops_the_import_with_a_clear_line(
    env: Settings, fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env.data_dir.mkdir(parents=True, exist_ok=True)
    (env.data_dir / "blobs").write_text("not a directory")  # media files cannot be written
    monkeypatch.setenv("TGASSIST_LANGUAGE", "ru")
    code, out = invoke("channels", "import", str(fixtures_dir / "telegram-desktop" / "trantor"))
    out = " ".join(out.split())
    assert code == 1, out
    assert (
        "Импорт остановился после сохранения" in out and "Причина: Не удалось записать файл" in out
    )
    assert str(env.data_dir / "blobs") in out and "Traceback" not in out
