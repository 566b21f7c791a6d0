"""ratings

Revision ID: 0005_ratings
Revises: 0004
Create Date: 2026-11-28 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ventanilla.core.db

revision = "0005_ratings"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("score >= 1 AND score <= 5", name=op.f("ck_ratings_score_range")),
        sa.CheckConstraint("channel IN ('chat', 'email')", name=op.f("ck_ratings_channel")),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["users.id"],
            name=op.f("fk_ratings_agent_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_ratings_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_ratings_conversation_id")),
    )
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.create_index("ix_ratings_agent_created", ["agent_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_ratings_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ratings_created_at"))
        batch_op.drop_index("ix_ratings_agent_created")
    op.drop_table("ratings")
