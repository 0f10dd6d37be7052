"""Migrations: processes that start together on a fresh database all come up."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.core.test_cli import base_env, tgassist

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("TGASSIST_TEST_DATABASE_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    if not PG_URL:
        if os.environ.get("TGASSIST_TEST_REQUIRE_SERVERS") == "1":
            pytest.fail("TGASSIST_TEST_REQUIRE_SERVERS=1 but TGASSIST_TEST_DATABASE_URL is not set")
        pytest.skip("TGASSIST_TEST_DATABASE_URL is not set (CI sets it; this test then runs)")
    admin = create_engine(
        make_url(PG_URL).set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT"
    )
    name = f"tgassist_race_{os.getpid()}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_concurrent_migrations_on_a_fresh_database_all_succeed(fresh_db_url: str) -> None:
    code = "import sys; from tgassist.core.db import upgrade_sync; upgrade_sync(sys.argv[1])"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, fresh_db_url], cwd=ROOT, stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, errors[0][-2000:]


def test_db_upgrade_to_an_unknown_revision_is_one_line(tmp_path: Path) -> None:
    r = tgassist("db", "upgrade", "no_such_revision", env=base_env(tmp_path))
    assert r.returncode == 1
    assert "no_such_revision" in r.stderr and "Traceback" not in r.stderr
