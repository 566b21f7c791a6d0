"""assistant jobs: citizen messages still to be answered by the assistant (durable replies)

Revision ID: 0009_assistant_jobs
Revises: 0008_reports
Create Date: 2026-11-28 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ventanilla.core.db

revision = "0009_assistant_jobs"
down_revision = "0008_reports"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "assistant_jobs",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=120), nullable=True),
        sa.Column("lease_until", ventanilla.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_assistant_jobs_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistant_jobs")),
        sa.UniqueConstraint(
            "conversation_id", "seq", name=op.f("uq_assistant_jobs_conversation_id")
        ),
    )
    with op.batch_alter_table("assistant_jobs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assistant_jobs_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("assistant_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assistant_jobs_created_at"))
    op.drop_table("assistant_jobs")
