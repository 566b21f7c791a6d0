"""PQRSD cases and their yearly filing-number sequences."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ventanilla.core.db import Base, UTCDateTime, utcnow

CASE_STATUSES = ("open", "extended", "answered")


class FilingSequence(Base):
    """The last filing number given in a year. Incremented inside the filing's transaction, so a
    rolled-back filing gives its number back: the sequence has no gaps."""

    __tablename__ = "filing_sequences"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("year", "seq", name="uq_cases_year_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12), default="open")
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
    due_date: Mapped[date] = mapped_column(Date)
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    constancia: Mapped[str] = mapped_column(Text)
