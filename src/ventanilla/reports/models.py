"""Report tables: one row of facts per conversation, daily sums, agents' presence intervals and
the targets admins set. Formulas: docs/metrics.md."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ventanilla.conversations.models import BigId
from ventanilla.core.db import Base, UTCDateTime, utcnow

CHANNEL_KINDS = ("chat", "email", "offline")


class ConversationFacts(Base):
    """What a closed conversation was, worked out once from its events when it closes.

    ``day``/``hour``/``weekday`` are the entity's local time (America/Bogota by default) of the
    moment the conversation started: a conversation that crosses midnight counts on its first day.
    """

    __tablename__ = "conversation_facts"
    __table_args__ = (
        Index("ix_conversation_facts_day_agent", "day", "agent_id"),
        Index("ix_conversation_facts_agent_day", "agent_id", "day"),
    )

    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date)
    hour: Mapped[int] = mapped_column(Integer)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    agent_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # who attended last
    first_agent_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    request_type: Mapped[str] = mapped_column(String(30))
    category: Mapped[str] = mapped_column(String(60), default="")
    channel: Mapped[str] = mapped_column(String(8))  # chat | email | offline
    citizen_key: Mapped[str] = mapped_column(String(254))
    queued: Mapped[bool] = mapped_column(default=False)
    attended: Mapped[bool] = mapped_column(default=False)
    assistant_only: Mapped[bool] = mapped_column(default=False)
    handed_over: Mapped[bool] = mapped_column(default=False)
    abandoned: Mapped[bool] = mapped_column(default=False)
    missed: Mapped[bool] = mapped_column(default=False)
    transfers: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    wait_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    first_response_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    first_response_within: Mapped[bool | None] = mapped_column(nullable=True)
    response_sum: Mapped[float] = mapped_column(Float, default=0.0)
    response_count: Mapped[int] = mapped_column(Integer, default=0)
    handling_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    citizen_messages: Mapped[int] = mapped_column(Integer, default=0)
    agent_messages: Mapped[int] = mapped_column(Integer, default=0)
    assistant_answers: Mapped[int] = mapped_column(Integer, default=0)


class DailyFigures(Base):
    """Sums of conversation facts per local day and dimension, kept up to date as each
    conversation closes (its old contribution, if reopened, is taken away first).

    ``agent_id`` is 0 for conversations no person attended (a key cannot be null)."""

    __tablename__ = "report_daily"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    agent_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_type: Mapped[str] = mapped_column(String(30), primary_key=True)
    category: Mapped[str] = mapped_column(String(60), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)
    conversations: Mapped[int] = mapped_column(Integer, default=0)
    queued: Mapped[int] = mapped_column(Integer, default=0)
    attended: Mapped[int] = mapped_column(Integer, default=0)
    assistant_only: Mapped[int] = mapped_column(Integer, default=0)
    handed_over: Mapped[int] = mapped_column(Integer, default=0)
    abandoned: Mapped[int] = mapped_column(Integer, default=0)
    missed: Mapped[int] = mapped_column(Integer, default=0)
    transfers: Mapped[int] = mapped_column(Integer, default=0)
    reopened: Mapped[int] = mapped_column(Integer, default=0)
    wait_sum: Mapped[float] = mapped_column(Float, default=0.0)
    wait_n: Mapped[int] = mapped_column(Integer, default=0)
    frt_sum: Mapped[float] = mapped_column(Float, default=0.0)
    frt_n: Mapped[int] = mapped_column(Integer, default=0)
    frt_within: Mapped[int] = mapped_column(Integer, default=0)
    response_sum: Mapped[float] = mapped_column(Float, default=0.0)
    response_n: Mapped[int] = mapped_column(Integer, default=0)
    handling_sum: Mapped[float] = mapped_column(Float, default=0.0)
    handling_n: Mapped[int] = mapped_column(Integer, default=0)


class PresenceInterval(Base):
    """A stretch of time an agent spent in one effective presence: ``available``, ``away`` or
    ``disconnected``. The open one has no ``ended_at``."""

    __tablename__ = "presence_intervals"
    __table_args__ = (Index("ix_presence_intervals_user_started", "user_id", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(12))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ReportSettingsRow(Base):
    """One row: the quality targets and score weights admins set (``reports.schemas.Targets``)."""

    __tablename__ = "report_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
