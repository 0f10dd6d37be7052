"""channels errors: why a channel's parse stopped, as a message key with parameters

`channels.last_error` held English exception text that the bot showed to a channel's followers.
The reason is now `error_key` + `error_params` (rendered in the reader's language); `last_error`
keeps the raw detail for operators. Rows written before get a reason: "interrupted" for the note
the process left when it died, the generic one for any other text.

Revision ID: 0210_channels_errors
Revises: 0200_channels_read
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "0210_channels_errors"
down_revision = "0200_channels_read"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("channels") as b:
        b.add_column(sa.Column("error_key", sa.String(length=200), nullable=True))
        b.add_column(sa.Column("error_params", JSON, nullable=True))
    op.execute(
        "UPDATE channels SET error_key = CASE WHEN last_error LIKE 'interrupted:%' "
        "THEN 'channels.error.interrupted' ELSE 'channels.error.unknown' END, "
        "error_params = '{}' WHERE last_error IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("channels") as b:
        b.drop_column("error_params")
        b.drop_column("error_key")
