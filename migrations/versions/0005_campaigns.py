"""campaigns tables: campaigns, keywords, ad groups, ads, stage results

Revision ID: 0005_campaigns
Revises: 0001_core
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import tgassist.core.db

revision = "0005_campaigns"
down_revision = "0001_core"
branch_labels = ("campaigns",)
depends_on = None


def upgrade() -> None:
    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('product', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('base_phrases', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('region_names', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('region_ids', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('budget', sa.Float(), nullable=True),
    sa.Column('brief', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('brief_hash', sa.String(length=64), nullable=False),
    sa.Column('imported_keywords', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('minus_words', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=30), nullable=True),
    sa.Column('keywords_count', sa.Integer(), nullable=False),
    sa.Column('groups_count', sa.Integer(), nullable=False),
    sa.Column('ads_count', sa.Integer(), nullable=False),
    sa.Column('report', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('file_path', sa.String(length=1000), nullable=True),
    sa.Column('spreadsheet_url', sa.String(length=1000), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', tgassist.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', tgassist.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', tgassist.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_campaigns_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    op.create_index(op.f('ix_campaigns_brief_hash'), 'campaigns', ['brief_hash'], unique=False)
    op.create_index(op.f('ix_campaigns_user_id'), 'campaigns', ['user_id'], unique=False)
    op.create_table('campaign_ad_groups',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('main_phrase', sa.String(length=300), nullable=False),
    sa.Column('minus_phrases', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('external_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_ad_groups_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_ad_groups')),
    sa.UniqueConstraint('campaign_id', 'number', name=op.f('uq_campaign_ad_groups_campaign_id_number'))
    )
    op.create_index(op.f('ix_campaign_ad_groups_campaign_id'), 'campaign_ad_groups', ['campaign_id'], unique=False)
    op.create_table('campaign_stage_results',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=30), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('finished_at', tgassist.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_stage_results_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_stage_results')),
    sa.UniqueConstraint('campaign_id', 'stage', name=op.f('uq_campaign_stage_results_campaign_id_stage'))
    )
    op.create_table('campaign_ads',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('ad_group_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('title2', sa.String(length=200), nullable=False),
    sa.Column('text', sa.String(length=400), nullable=False),
    sa.Column('extra_titles', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('extra_texts', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('display_link', sa.String(length=100), nullable=False),
    sa.Column('sitelinks', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('callouts', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('generator', sa.String(length=30), nullable=False),
    sa.Column('external_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['ad_group_id'], ['campaign_ad_groups.id'], name=op.f('fk_campaign_ads_ad_group_id_campaign_ad_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_ads_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_ads'))
    )
    op.create_index(op.f('ix_campaign_ads_ad_group_id'), 'campaign_ads', ['ad_group_id'], unique=False)
    op.create_index(op.f('ix_campaign_ads_campaign_id'), 'campaign_ads', ['campaign_id'], unique=False)
    op.create_table('campaign_keywords',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('phrase', sa.String(length=500), nullable=False),
    sa.Column('lemma_key', sa.String(length=500), nullable=False),
    sa.Column('frequency', sa.BigInteger(), nullable=True),
    sa.Column('source', sa.String(length=30), nullable=False),
    sa.Column('ad_group_id', sa.Integer(), nullable=True),
    sa.Column('minus_words', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('external_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['ad_group_id'], ['campaign_ad_groups.id'], name=op.f('fk_campaign_keywords_ad_group_id_campaign_ad_groups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_keywords_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_keywords')),
    sa.UniqueConstraint('campaign_id', 'lemma_key', name=op.f('uq_campaign_keywords_campaign_id_lemma_key'))
    )
    op.create_index(op.f('ix_campaign_keywords_ad_group_id'), 'campaign_keywords', ['ad_group_id'], unique=False)
    op.create_index('ix_campaign_keywords_campaign', 'campaign_keywords', ['campaign_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_campaign_keywords_campaign', table_name='campaign_keywords')
    op.drop_index(op.f('ix_campaign_keywords_ad_group_id'), table_name='campaign_keywords')
    op.drop_table('campaign_keywords')
    op.drop_index(op.f('ix_campaign_ads_campaign_id'), table_name='campaign_ads')
    op.drop_index(op.f('ix_campaign_ads_ad_group_id'), table_name='campaign_ads')
    op.drop_table('campaign_ads')
    op.drop_table('campaign_stage_results')
    op.drop_index(op.f('ix_campaign_ad_groups_campaign_id'), table_name='campaign_ad_groups')
    op.drop_table('campaign_ad_groups')
    op.drop_index(op.f('ix_campaigns_user_id'), table_name='campaigns')
    op.drop_index(op.f('ix_campaigns_brief_hash'), table_name='campaigns')
    op.drop_table('campaigns')
