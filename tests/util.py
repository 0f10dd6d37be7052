"""Test helpers shared by every product's tests."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tgassist.app import App
from tgassist.core.product import Stage
from tgassist.core.worker import Worker


async def run_pipeline(app: App, stages: Sequence[Stage], max_rounds: int = 50) -> Worker:
    """Relay the outbox and run `stages` until nothing moves (no network, no sleeps)."""
    worker = Worker(app, stages, name="test-worker")
    for _ in range(max_rounds):
        published = await app.outbox.drain()
        before = (
            worker.stats.processed
            + worker.stats.failed
            + worker.stats.dead_lettered
            + worker.stats.skipped
        )
        await worker.run_until_idle()
        after = (
            worker.stats.processed
            + worker.stats.failed
            + worker.stats.dead_lettered
            + worker.stats.skipped
        )
        if not published and after == before and not await app.outbox.pending():
            return worker
    raise AssertionError("pipeline did not settle")


@contextlib.contextmanager
def scratch_postgres(server_url: str, name: str) -> Iterator[str]:
    """A new, empty PostgreSQL database `name` on `server_url`'s server (one left over from a
    killed run is dropped first), dropped afterwards; yields its URL."""
    admin = create_engine(
        make_url(server_url).set(drivername="postgresql+psycopg2"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def empty_database(backend: str, tmp_path: Path, name: str) -> Iterator[str]:
    """A sync URL of an empty database (no schema): a SQLite file in `tmp_path`, or a PostgreSQL
    database `name`_<pid> on TGASSIST_TEST_DATABASE_URL's server (`scratch_postgres`; the test
    skips without that server, and fails in CI, which requires it)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
        return
    pg_url = os.environ.get("TGASSIST_TEST_DATABASE_URL")
    if not pg_url:
        if os.environ.get("TGASSIST_TEST_REQUIRE_SERVERS") == "1":
            pytest.fail("TGASSIST_TEST_REQUIRE_SERVERS=1 but TGASSIST_TEST_DATABASE_URL is not set")
        pytest.skip("TGASSIST_TEST_DATABASE_URL is not set (CI sets it; this test then runs)")
    with scratch_postgres(pg_url, f"{name}_{os.getpid()}") as url:
        yield url
