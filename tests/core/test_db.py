"""Migrations: processes that start together on a fresh database all come up."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.test_cli import base_env, tgassist
from tests.util import empty_database

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with empty_database(request.param, tmp_path, "tgassist_race") as url:
        yield url


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
