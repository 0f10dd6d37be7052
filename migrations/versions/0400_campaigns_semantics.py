"""campaigns semantics: a search bid per keyword (kept from imported Direct files, exported back)

Revision ID: 0400_campaigns_semantics
Revises: 0005_campaigns
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0400_campaigns_semantics"
down_revision = "0005_campaigns"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("campaign_keywords", sa.Column("bid", sa.Float(), nullable=True))


def downgrade() -> None:
    op.drop_column("campaign_keywords", "bid")
