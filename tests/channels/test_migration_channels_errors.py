"""Migration 0210_channels_errors on a database whose channels hold English error text: each gets
a reason key (the process-died note → "interrupted", anything else → the generic one), the text
stays as the operators' detail, and the downgrade restores the old shape. SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tests.util import empty_database
from tgassist.core.db import _alembic_config, upgrade_sync


@pytest.fixture(params=["sqlite", "postgresql"])
def old_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with empty_database(request.param, tmp_path, "tgassist_errkeys") as url:
        yield url


def test_stored_english_errors_get_reason_keys_and_back(old_db_url: str) -> None:
    from alembic import command

    upgrade_sync(old_db_url, "0200_channels_read")
    engine = create_engine(make_url(old_db_url).set(drivername=_driver(old_db_url)))
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO channels (id, username, source, mode, is_active, status, last_error, "
                "hwm, historical_done, created_at, updated_at) VALUES "
                "(1, 'a', 'telegram', 'auto', true, 'error', "
                "'interrupted: the process running it stopped before it finished', 0, false, "
                "'2026-11-30 10:00:00', '2026-11-30 10:00:00'), "
                "(2, 'b', 'telegram', 'auto', true, 'error', 'ConnectionError: reset by peer', "
                "0, false, '2026-11-30 10:00:00', '2026-11-30 10:00:00'), "
                "(3, 'c', 'telegram', 'auto', true, 'ok', NULL, 0, true, "
                "'2026-11-30 10:00:00', '2026-11-30 10:00:00')"
            )
        )
    upgrade_sync(old_db_url)  # every head, as the app does
    with engine.begin() as conn:
        rows = conn.execute(
            text("SELECT id, error_key, error_params, last_error FROM channels ORDER BY id")
        ).all()
    params = [p if p is None or isinstance(p, dict) else json.loads(p) for _, _, p, _ in rows]
    assert [(r[0], r[1]) for r in rows] == [
        (1, "channels.error.interrupted"),
        (2, "channels.error.unknown"),
        (3, None),
    ]
    assert params == [{}, {}, None]
    assert rows[1][3] == "ConnectionError: reset by peer"  # the detail stays for operators
    command.downgrade(_alembic_config(old_db_url), "0210_channels_errors@-1")
    with engine.begin() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("channels")}
        assert "error_key" not in columns and "error_params" not in columns
        assert conn.execute(text("SELECT last_error FROM channels WHERE id = 2")).scalar() == (
            "ConnectionError: reset by peer"
        )
    engine.dispose()


def _driver(url: str) -> str:
    return "postgresql+psycopg2" if url.startswith("postgresql") else "sqlite"
