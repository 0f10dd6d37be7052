"""core faults: the stream id each outbox row got when it was published

Lets a worker see that Redis is behind what the outbox published (a failover to a lagging
replica, an AOF that lost its last second) and re-drive exactly those rows.

Revision ID: 0500_core_faults
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0500_core_faults"
down_revision = "0001_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("stream_id", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("stream_id")
