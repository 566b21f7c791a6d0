"""case workflow: states and history, the entity's types and closed days, answers

Revision ID: 0007_case_workflow
Revises: 0006_job_leases
Create Date: 2026-11-28 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ventanilla.core.db

revision = "0007_case_workflow"
down_revision = "0006_job_leases"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "case_type_settings",
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("term_days", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=80), nullable=False),
        sa.Column("updated_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_case_type_settings_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_case_type_settings")),
    )
    op.create_table(
        "closed_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_closed_days_created_by_users")
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_closed_days")),
    )
    with op.batch_alter_table("cases", schema=None) as batch:
        batch.alter_column("due_date", existing_type=sa.Date(), nullable=True)
        batch.add_column(sa.Column("term_days", sa.Integer(), nullable=False, server_default="15"))
        batch.add_column(sa.Column("area", sa.String(length=80), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("extended", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("hold_requested_on", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("competent_entity", sa.String(length=200), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("forward_due", sa.Date(), nullable=True))
        batch.add_column(sa.Column("answer", sa.Text(), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("answered_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("answered_by", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("answered_by_name", sa.String(length=120), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("answered_on_time", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("answer_email_id", BigId, nullable=True))
        batch.add_column(
            sa.Column("closed_reason", sa.String(length=20), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column(
                "updated_at",
                ventanilla.core.db.UTCDateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch.create_foreign_key(
            batch.f("fk_cases_answered_by_users"), "users", ["answered_by"], ["id"]
        )
        batch.create_foreign_key(
            batch.f("fk_cases_answer_email_id_outbox_emails"),
            "outbox_emails",
            ["answer_email_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index("ix_cases_status_due", ["status", "due_date"], unique=False)
    # The first part of the issue called a running case "open"; the state machine says "filed".
    op.execute("UPDATE cases SET status = 'filed' WHERE status = 'open'")
    op.execute("UPDATE cases SET extended = true WHERE status = 'extended'")
    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("email_id", BigId, nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_case_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_events_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["email_id"],
            ["outbox_emails.id"],
            name=op.f("fk_case_events_email_id_outbox_emails"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch:
        batch.create_index(batch.f("ix_case_events_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_events", schema=None) as batch:
        batch.drop_index(batch.f("ix_case_events_case_id"))
    op.drop_table("case_events")
    op.execute("UPDATE cases SET status = 'open' WHERE status = 'filed'")
    with op.batch_alter_table("cases", schema=None) as batch:
        batch.drop_index("ix_cases_status_due")
        batch.drop_constraint(batch.f("fk_cases_answer_email_id_outbox_emails"), type_="foreignkey")
        batch.drop_constraint(batch.f("fk_cases_answered_by_users"), type_="foreignkey")
        for column in (
            "updated_at",
            "closed_reason",
            "answer_email_id",
            "answered_on_time",
            "answered_by_name",
            "answered_by",
            "answered_at",
            "answer",
            "forward_due",
            "competent_entity",
            "hold_requested_on",
            "extended",
            "area",
            "term_days",
        ):
            batch.drop_column(column)
        batch.alter_column("due_date", existing_type=sa.Date(), nullable=False)
    op.drop_table("closed_days")
    op.drop_table("case_type_settings")
