"""unanswered questions a supervisor taught the assistant: when, and as which entry

Revision ID: 0010_taught_questions
Revises: 0009_assistant_jobs
Create Date: 2026-11-29 19:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import ventanilla.core.db

revision = "0010_taught_questions"
down_revision = "0009_assistant_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assistant_unanswered", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("taught_at", ventanilla.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("taught_as", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assistant_unanswered", schema=None) as batch_op:
        batch_op.drop_column("taught_as")
        batch_op.drop_column("taught_at")
