"""Migration 0100_core_bot on a database that already has campaign tasks: each keeps pointing
at its campaign (generically), users get `is_blocked`, and the downgrade restores the old shape."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from tgassist.core.db import _alembic_config, upgrade_sync


def test_campaign_tasks_become_generic_subjects_and_back(tmp_path: Path) -> None:
    from alembic import command

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade_sync(url, "0001_core")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO tasks (id, user_id, campaign_id, type, status, percent, message, "
                "cancel_requested, created_at, updated_at) VALUES "
                "('t1', 1, 12, 'campaign.build', 'completed', 100, 'Кампания готова', 0, "
                "'2026-11-30 10:00:00', '2026-11-30 10:00:00'), "
                "('t2', NULL, NULL, 'other', 'pending', 0, NULL, 0, "
                "'2026-11-30 10:00:00', '2026-11-30 10:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO users (telegram_id, language, is_admin, is_active, limits, counters, "
                "created_at) VALUES (5, 'ru', 0, 1, '{}', '{}', '2026-11-30 10:00:00')"
            )
        )
    upgrade_sync(url)  # every head, as the app does
    with engine.begin() as conn:
        rows = conn.execute(
            text("SELECT id, subject_type, subject_id, params FROM tasks ORDER BY id")
        ).all()
        assert [tuple(r) for r in rows] == [
            ("t1", "campaign", "12", "{}"),
            ("t2", None, None, "{}"),
        ]
        assert conn.execute(text("SELECT is_blocked FROM users")).scalar() == 0
        columns = {c["name"] for c in inspect(conn).get_columns("tasks")}
        assert "campaign_id" not in columns and {"key", "params", "subject_type"} <= columns
        assert {"outgoing_deliveries", "broadcasts"} <= set(inspect(conn).get_table_names())
    command.downgrade(_alembic_config(url), "0100_core_bot@-1")
    with engine.begin() as conn:
        assert conn.execute(text("SELECT campaign_id FROM tasks WHERE id = 't1'")).scalar() == 12
        assert "is_blocked" not in {c["name"] for c in inspect(conn).get_columns("users")}
    engine.dispose()
