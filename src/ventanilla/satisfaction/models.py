"""Ratings: one per conversation, given by its citizen in the widget or from the emailed survey."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ventanilla.core.db import Base, UTCDateTime, utcnow

CHANNELS = ("chat", "email")
MIN_SCORE = 1
MAX_SCORE = 5
COMMENT_MAX = 1000


class Rating(Base):
    """The citizen's rating of one conversation.

    ``agent_id`` is the agent who attended (the conversation's agent when it was rated), or null
    when only the assistant answered. ``channel`` says where the survey was answered: ``chat``
    (the widget) or ``email`` (the link in the transcript email). Stable columns: the reports
    read them directly.
    """

    __tablename__ = "ratings"
    __table_args__ = (
        CheckConstraint("score >= 1 AND score <= 5", name="score_range"),
        CheckConstraint("channel IN ('chat', 'email')", name="channel"),
        Index("ix_ratings_agent_created", "agent_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), unique=True
    )
    score: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[bool] = mapped_column()
    comment: Mapped[str | None] = mapped_column(String(COMMENT_MAX), nullable=True)
    channel: Mapped[str] = mapped_column(String(8))
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
