"""Questions the assistant could not answer, kept for supervisors to turn into entries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ventanilla.core.db import Base, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer(), "sqlite")


class UnansweredQuestion(Base):
    __tablename__ = "assistant_unanswered"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(16))  # not_confident | not_helpful
    best_entry_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # a supervisor taught it to the assistant (``kb/teaching.py``): it leaves the list, and stays
    # for the reports of its period; ``taught_as`` is the entry, or "" (not for the assistant)
    taught_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    taught_as: Mapped[str | None] = mapped_column(String(80), nullable=True)


class AssistantJob(Base):
    """A citizen message the assistant still has to reply to.

    Written in the same transaction as the message, deleted in the same transaction as the
    reply: a process that dies in between leaves the row, and another run picks it up. A run
    claims a row by setting ``lease_until`` (a conditional update, so one claimant wins) and
    deletes it only while it still holds the claim, so a reply is stored at most once.
    """

    __tablename__ = "assistant_jobs"
    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # the citizen message's seq
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
