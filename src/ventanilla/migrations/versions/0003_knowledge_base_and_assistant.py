"""knowledge base and assistant

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 16:18:23.210782
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ventanilla.core.db

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kb_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("active_entries", sa.Integer(), nullable=False),
        sa.Column("calibration", sa.JSON(), nullable=False),
        sa.Column("updated_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_state")),
    )
    op.create_table(
        "kb_changes",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("entry_id", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_kb_changes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_changes")),
    )
    with op.batch_alter_table("kb_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_changes_entry_id"), ["entry_id"], unique=False)

    op.create_table(
        "kb_entries",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("alternatives", sa.JSON(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_by_name", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_kb_entries_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_entries")),
    )
    with op.batch_alter_table("kb_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kb_entries_active"), ["active"], unique=False)

    op.create_table(
        "assistant_unanswered",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("best_entry_id", sa.String(length=80), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("created_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_assistant_unanswered_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistant_unanswered")),
    )
    with op.batch_alter_table("assistant_unanswered", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_assistant_unanswered_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_assistant_unanswered_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("assistant_unanswered", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assistant_unanswered_created_at"))
        batch_op.drop_index(batch_op.f("ix_assistant_unanswered_conversation_id"))

    op.drop_table("assistant_unanswered")
    with op.batch_alter_table("kb_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_entries_active"))

    op.drop_table("kb_entries")
    with op.batch_alter_table("kb_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_changes_entry_id"))

    op.drop_table("kb_changes")
    op.drop_table("kb_state")
