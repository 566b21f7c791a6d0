"""PQRSD cases, their event history, the entity's types and closed days, and the yearly
filing-number sequences."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ventanilla.conversations.models import BigId
from ventanilla.core.db import Base, UTCDateTime, utcnow

# The life of a case (docs/protocol.md 5b; cases/workflow.py holds the allowed transitions).
CASE_STATUSES = ("filed", "on_hold", "extended", "forwarded", "answered", "closed")


class FilingSequence(Base):
    """The last filing number given in a year. Incremented inside the filing's transaction, so a
    rolled-back filing gives its number back: the sequence has no gaps."""

    __tablename__ = "filing_sequences"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("year", "seq", name="uq_cases_year_seq"),
        Index("ix_cases_status_due", "status", "due_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12), default="filed")
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    petitioner_name: Mapped[str] = mapped_column(String(120))
    petitioner_email: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(Text)
    reasons: Mapped[str] = mapped_column(Text, default="")
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    received_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    received_by_name: Mapped[str] = mapped_column(String(120))
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    filed_on: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)  # None while on hold
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    constancia: Mapped[str] = mapped_column(Text)
    # The term (business days) and area in force when the case was filed: later changes to the
    # entity's types do not move the deadlines of cases already filed.
    term_days: Mapped[int] = mapped_column(Integer, default=15)
    area: Mapped[str] = mapped_column(String(80), default="")
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    # Incomplete petition (Ley 1755 art. 17): the clock stops while the citizen completes it.
    hold_requested_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Not competent (art. 21): forwarded to the competent entity, within 5 business days.
    competent_entity: Mapped[str] = mapped_column(String(200), default="")
    forward_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The answer, its email (the outbox row is the delivery proof) and whether it was on time.
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    answered_by_name: Mapped[str] = mapped_column(String(120), default="")
    answered_on_time: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    answer_email_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("outbox_emails.id", ondelete="SET NULL"), nullable=True
    )
    closed_reason: Mapped[str] = mapped_column(String(20), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseEvent(Base):
    """One step in a case's life, with who did it and the details (dates, notices, emails)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))  # the case's status after this step
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor_name: Mapped[str] = mapped_column(String(120), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    email_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("outbox_emails.id", ondelete="SET NULL"), nullable=True
    )


class CaseTypeSetting(Base):
    """The entity's own name, term and area for a type of the typology (defaults: the law)."""

    __tablename__ = "case_type_settings"

    code: Mapped[str] = mapped_column(String(30), primary_key=True)
    label: Mapped[str] = mapped_column(String(120), default="")
    term_days: Mapped[int] = mapped_column(Integer)
    area: Mapped[str] = mapped_column(String(80), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)


class ClosedDay(Base):
    """A day the entity does not attend (besides weekends and holidays): it does not count."""

    __tablename__ = "closed_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
