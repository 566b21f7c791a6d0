"""email continuity

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 16:12:58.316728
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ventanilla.core.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "citizen_access",
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_citizen_access_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_digest", name=op.f("pk_citizen_access")),
    )
    with op.batch_alter_table("citizen_access", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_citizen_access_conversation_id"), ["conversation_id"], unique=False
        )

    op.create_table(
        "inbound_mail",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("received_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("via", sa.String(length=10), nullable=False),
        sa.Column("from_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("message_id", sa.String(length=250), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_inbound_mail_conversation_id_conversations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_mail")),
    )
    with op.batch_alter_table("inbound_mail", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbound_mail_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "outbox_emails",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("conversation_id", sa.String(length=32), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=False),
        sa.Column("html_body", sa.Text(), nullable=False),
        sa.Column("message_id", sa.String(length=250), nullable=False),
        sa.Column("in_reply_to", sa.String(length=250), nullable=False),
        sa.Column("reply_to", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", ventanilla.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("server_response", sa.String(length=500), nullable=False),
        sa.Column("created_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_outbox_emails_conversation_id_conversations"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_emails")),
        sa.UniqueConstraint("message_id", name=op.f("uq_outbox_emails_message_id")),
    )
    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_emails_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index("ix_outbox_emails_due", ["status", "next_attempt_at"], unique=False)

    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("transcript_opt_out", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("last_agent_seq", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("last_agent_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("notified_seq", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_column("notified_seq")
        batch_op.drop_column("last_agent_at")
        batch_op.drop_column("last_agent_seq")
        batch_op.drop_column("transcript_opt_out")

    with op.batch_alter_table("outbox_emails", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_emails_due")
        batch_op.drop_index(batch_op.f("ix_outbox_emails_conversation_id"))

    op.drop_table("outbox_emails")
    with op.batch_alter_table("inbound_mail", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbound_mail_received_at"))

    op.drop_table("inbound_mail")
    with op.batch_alter_table("citizen_access", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_citizen_access_conversation_id"))

    op.drop_table("citizen_access")
