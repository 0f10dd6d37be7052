"""core for the bot: generic task subjects and message keys, users.is_blocked, outgoing
deliveries and broadcasts

Revision ID: 0100_core_bot
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import tgassist.core.db

revision = "0100_core_bot"
down_revision = "0001_core"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("users") as b:
        b.add_column(
            sa.Column("is_blocked", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("tasks") as b:
        b.add_column(sa.Column("subject_type", sa.String(length=50), nullable=True))
        b.add_column(sa.Column("subject_id", sa.String(length=64), nullable=True))
        b.add_column(sa.Column("key", sa.String(length=200), nullable=True))
        b.add_column(sa.Column("params", JSON, nullable=True))
    # A campaign task keeps pointing at its campaign; its free-text message cannot become a key.
    op.execute(
        "UPDATE tasks SET subject_type = 'campaign', subject_id = CAST(campaign_id AS VARCHAR(64)) "
        "WHERE campaign_id IS NOT NULL"
    )
    op.execute("UPDATE tasks SET params = '{}' WHERE params IS NULL")
    with op.batch_alter_table("tasks") as b:
        b.drop_index("ix_tasks_campaign_id")
        b.drop_column("campaign_id")
        b.drop_column("message")
        b.create_index("ix_tasks_subject", ["subject_type", "subject_id"], unique=False)
        b.alter_column("params", existing_type=JSON, nullable=False)

    op.create_table(
        "outgoing_deliveries",
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.Column("broadcast_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", tgassist.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("dedupe_key", name=op.f("pk_outgoing_deliveries")),
    )
    op.create_index(
        "ix_outgoing_deliveries_broadcast", "outgoing_deliveries", ["broadcast_id", "status"]
    )
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("params", JSON, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("enqueued", sa.Integer(), nullable=False),
        sa.Column("created_at", tgassist.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", tgassist.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )


def downgrade() -> None:
    op.drop_table("broadcasts")
    op.drop_index("ix_outgoing_deliveries_broadcast", table_name="outgoing_deliveries")
    op.drop_table("outgoing_deliveries")
    with op.batch_alter_table("tasks") as b:
        b.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        b.add_column(sa.Column("message", sa.Text(), nullable=True))
    op.execute(
        "UPDATE tasks SET campaign_id = CAST(subject_id AS INTEGER) WHERE subject_type = 'campaign'"
    )
    with op.batch_alter_table("tasks") as b:
        b.drop_index("ix_tasks_subject")
        b.drop_column("params")
        b.drop_column("key")
        b.drop_column("subject_id")
        b.drop_column("subject_type")
        b.create_index("ix_tasks_campaign_id", ["campaign_id"], unique=False)
    with op.batch_alter_table("users") as b:
        b.drop_column("is_blocked")
