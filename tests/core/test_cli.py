"""The CLI as a user meets it: clear one-line errors, status, DLQ, and `tgassist run` end to end."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tgassist.settings import Settings

BIN = [sys.executable, "-m", "tgassist.cli"]


def tgassist(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["tgassist", *args] if _has_script() else [*BIN, *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=timeout,
    )


def _has_script() -> bool:
    return (Path(sys.executable).parent / "tgassist").exists()


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TGASSIST_")}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    env["TGASSIST_DATA_DIR"] = str(tmp_path / "data")
    env["TGASSIST_LANGUAGE"] = "en"  # the CLI speaks TGASSIST_LANGUAGE
    env.update(extra)
    return env


def test_unreachable_redis_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    r = tgassist("status", env=base_env(tmp_path, TGASSIST_REDIS_URL="redis://127.0.0.1:1/0"))
    assert r.returncode == 1
    assert "TGASSIST_REDIS_URL" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) <= 2


def test_unreachable_postgres_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    env = base_env(tmp_path, TGASSIST_DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    r = tgassist("db", "upgrade", env=env)
    assert r.returncode == 1
    assert "TGASSIST_DATABASE_URL" in r.stderr and "Traceback" not in r.stderr


def test_bad_setting_value_is_named(tmp_path: Path) -> None:
    r = tgassist("status", env=base_env(tmp_path, TGASSIST_API_PORT="eighty"))
    assert r.returncode == 1 and "TGASSIST_API_PORT" in r.stderr


def test_unusable_data_dir_is_one_line_naming_the_setting(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    r = tgassist(
        "status", env=base_env(tmp_path, TGASSIST_DATA_DIR=str(tmp_path / "a-file" / "data"))
    )
    assert r.returncode == 1
    assert "TGASSIST_DATA_DIR" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "cannot be used as a directory"), ("ru", "нельзя использовать как каталог")],
)
def test_a_config_error_speaks_the_operators_language(
    tmp_path: Path, lang: str, words: str
) -> None:
    (tmp_path / "a-file").write_text("")
    env = base_env(
        tmp_path, TGASSIST_DATA_DIR=str(tmp_path / "a-file" / "data"), TGASSIST_LANGUAGE=lang
    )
    r = tgassist("status", env=env)
    assert r.returncode == 1
    assert words in r.stderr and "TGASSIST_DATA_DIR" in r.stderr


def test_block_time_zero_is_refused(tmp_path: Path) -> None:
    # XREADGROUP BLOCK 0 waits forever: a worker on an idle stream could never stop.
    r = tgassist("status", env=base_env(tmp_path, TGASSIST_BUS_BLOCK_MS="0"))
    assert r.returncode == 1 and "TGASSIST_BUS_BLOCK_MS" in r.stderr


def test_status_and_dlq_list_on_embedded_defaults(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    r = tgassist("status", env=env)
    assert r.returncode == 0, r.stderr
    for title in ("backends", "streams", "scheduler"):
        assert title in r.stdout
    r = tgassist("dlq", "list", env=env)
    assert r.returncode == 0, r.stderr
    r = tgassist("dlq", "replay", "posts.parsed", env=env)
    assert r.returncode == 0 and "replayed 0" in r.stdout
    r = tgassist("status", env={**env, "TGASSIST_LANGUAGE": "ru"})
    assert r.returncode == 0, r.stderr
    for title in ("хранилища", "потоки", "планировщик (не запущен)", "работает", "нет группы"):
        assert title in r.stdout
    assert "backends" not in r.stdout and "not running" not in r.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_run_serves_health_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    env = base_env(tmp_path, TGASSIST_API_PORT=str(port), TGASSIST_ADMIN_TOKEN="test-admin-token")
    proc = subprocess.Popen(
        ["tgassist", "run"] if _has_script() else [*BIN, "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                details = urllib.request.Request(
                    f"http://127.0.0.1:{port}/health/details",
                    headers={"Authorization": "Bearer test-admin-token"},  # admins only
                )
                with urllib.request.urlopen(details, timeout=5) as resp:
                    body = json.loads(resp.read())
                    if body.get("scheduler", {}).get("status") == "ok" and body["workers"]["items"]:
                        break
            except OSError:
                pass
            time.sleep(0.5)
        assert body is not None, "API never answered"
        assert body["status"] == "ok"
        assert body["db"]["status"] == "ok" and body["redis"]["status"] == "ok"
        assert body["redis"]["embedded"] is True
        assert body["scheduler"]["status"] == "ok" and body["scheduler"]["jobs"]
        assert body["workers"]["items"], "the all-in-one process runs a worker"
        assert body["streams"]["status"] == "ok"
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0, out
        assert "Traceback" not in out
        assert not (tmp_path / "data" / "redis" / "redis.sock").exists(), (
            "embedded Redis left running"
        )
    finally:
        if proc.poll() is None:
            proc.kill()


def test_settings_table_in_readme_lists_every_setting() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    missing = [
        f"TGASSIST_{n.upper()}"
        for n in Settings.model_fields
        if f"`TGASSIST_{n.upper()}`" not in readme
    ]
    assert not missing, (
        f"README configuration table lacks: {missing} (regenerate: python -m tgassist.settings)"
    )


@pytest.mark.slow
def test_a_worker_alone_exposes_its_metrics(tmp_path: Path) -> None:
    port = _free_port()
    env = base_env(tmp_path, TGASSIST_METRICS_PORT=str(port))
    proc = subprocess.Popen(
        ["tgassist", "worker"] if _has_script() else [*BIN, "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        text = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "tgassist_bus_messages_total" not in text:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
                    text = resp.read().decode()
            except OSError:
                time.sleep(0.3)
        for name in (
            "tgassist_bus_messages_total",
            "tgassist_handler_seconds",
            "tgassist_job_runs_total",
        ):
            assert name in text
        import redis as syncredis

        sock = tmp_path / "data" / "redis" / "redis.sock"
        while (
            time.monotonic() < deadline
        ):  # started up (heartbeat written): Ctrl-C stops it cleanly
            try:
                if syncredis.Redis(unix_socket_path=str(sock)).keys("worker:*"):
                    break
            except syncredis.RedisError:
                pass
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
        assert proc.returncode == 0 and "Traceback" not in out, out
        assert not sock.exists(), "embedded Redis left running"
    finally:
        if proc.poll() is None:
            proc.kill()


async def test_a_worker_that_dies_stops_the_process(tmp_path: Path) -> None:
    # The stage's stream key holds a string: the worker cannot create its group. The process
    # must exit with an error (a supervisor restarts it), not run on without a worker.
    from tgassist.core.redis import connect
    from tgassist.products import all_stages

    stage = all_stages()[0]
    client, server = await connect(None, tmp_path / "data")
    try:
        await client.set(stage.stream, "not a stream")
        proc = await asyncio.create_subprocess_exec(
            *(["tgassist"] if _has_script() else BIN),
            "worker",
            "--stages",
            stage.name,
            env=base_env(tmp_path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            _out, err = await asyncio.wait_for(proc.communicate(), 60)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        assert proc.returncode == 1
        assert "worker failed" in err.decode() and "Traceback" not in err.decode()
    finally:
        assert server is not None
        await server.stop_if_unused(client)
        await client.aclose()


def test_an_unexpected_error_is_one_line_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import typer

    from tgassist.cli.common import run
    from tgassist.core.i18n import default_language, set_default_language

    async def broken() -> None:
        raise KeyError("boom")

    before = default_language()
    try:
        for lang, words in (("en", "error: unexpected KeyError"), ("ru", "ошибка: непредвиденная")):
            set_default_language(lang)  # what load_settings does with TGASSIST_LANGUAGE
            with pytest.raises(typer.Exit) as exit_info:
                run(broken)
            assert exit_info.value.exit_code == 1
            err = capsys.readouterr().err
            assert words in err and "TGASSIST_LOG_LEVEL=DEBUG" in err and "Traceback" not in err
    finally:
        set_default_language(before)
