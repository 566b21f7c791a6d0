"""reports

Revision ID: 0008_reports
Revises: 0007_case_workflow
Create Date: 2026-11-28 18:35:05.795518
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ventanilla.core.db

revision = "0008_reports"
down_revision = "0007_case_workflow"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "report_daily",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("request_type", sa.String(length=30), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("conversations", sa.Integer(), nullable=False),
        sa.Column("queued", sa.Integer(), nullable=False),
        sa.Column("attended", sa.Integer(), nullable=False),
        sa.Column("assistant_only", sa.Integer(), nullable=False),
        sa.Column("handed_over", sa.Integer(), nullable=False),
        sa.Column("abandoned", sa.Integer(), nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("wait_sum", sa.Float(), nullable=False),
        sa.Column("wait_n", sa.Integer(), nullable=False),
        sa.Column("frt_sum", sa.Float(), nullable=False),
        sa.Column("frt_n", sa.Integer(), nullable=False),
        sa.Column("frt_within", sa.Integer(), nullable=False),
        sa.Column("response_sum", sa.Float(), nullable=False),
        sa.Column("response_n", sa.Integer(), nullable=False),
        sa.Column("handling_sum", sa.Float(), nullable=False),
        sa.Column("handling_n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "agent_id", "request_type", "category", "channel", name=op.f("pk_report_daily")
        ),
    )
    op.create_table(
        "presence_intervals",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("started_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_presence_intervals_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_presence_intervals")),
    )
    with op.batch_alter_table("presence_intervals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_presence_intervals_started_at"), ["started_at"], unique=False
        )
        batch_op.create_index(
            "ix_presence_intervals_user_started", ["user_id", "started_at"], unique=False
        )

    op.create_table(
        "report_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_report_settings_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_settings")),
    )
    op.create_table(
        "conversation_facts",
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("started_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("first_agent_id", sa.Integer(), nullable=True),
        sa.Column("request_type", sa.String(length=30), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("citizen_key", sa.String(length=254), nullable=False),
        sa.Column("queued", sa.Boolean(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=False),
        sa.Column("assistant_only", sa.Boolean(), nullable=False),
        sa.Column("handed_over", sa.Boolean(), nullable=False),
        sa.Column("abandoned", sa.Boolean(), nullable=False),
        sa.Column("missed", sa.Boolean(), nullable=False),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("wait_seconds", sa.Float(), nullable=True),
        sa.Column("first_response_seconds", sa.Float(), nullable=True),
        sa.Column("first_response_within", sa.Boolean(), nullable=True),
        sa.Column("response_sum", sa.Float(), nullable=False),
        sa.Column("response_count", sa.Integer(), nullable=False),
        sa.Column("handling_seconds", sa.Float(), nullable=True),
        sa.Column("citizen_messages", sa.Integer(), nullable=False),
        sa.Column("agent_messages", sa.Integer(), nullable=False),
        sa.Column("assistant_answers", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_facts_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_conversation_facts")),
    )
    with op.batch_alter_table("conversation_facts", schema=None) as batch_op:
        batch_op.create_index("ix_conversation_facts_agent_day", ["agent_id", "day"], unique=False)
        batch_op.create_index("ix_conversation_facts_day_agent", ["day", "agent_id"], unique=False)

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("queued_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("queued_at")

    with op.batch_alter_table("conversation_facts", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_facts_day_agent")
        batch_op.drop_index("ix_conversation_facts_agent_day")

    op.drop_table("conversation_facts")
    op.drop_table("report_settings")
    with op.batch_alter_table("presence_intervals", schema=None) as batch_op:
        batch_op.drop_index("ix_presence_intervals_user_started")
        batch_op.drop_index(batch_op.f("ix_presence_intervals_started_at"))

    op.drop_table("presence_intervals")
    op.drop_table("report_daily")
