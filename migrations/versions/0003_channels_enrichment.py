"""channels enrichment: media_vision (per-image vision results)

Revision ID: 0003_channels_enrichment
Revises: 0002_channels
Create Date: 2026-11-22 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401
from sqlalchemy.dialects import postgresql

import tgassist.core.db

revision = '0003_channels_enrichment'
down_revision = '0002_channels'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('media_vision',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('params_hash', sa.String(length=64), nullable=False),
    sa.Column('provider', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('ocr_text', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('labels', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('created_at', tgassist.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_vision')),
    sa.UniqueConstraint('sha256', 'params_hash', name=op.f('uq_media_vision_sha256_params_hash'))
    )


def downgrade() -> None:
    op.drop_table('media_vision')
