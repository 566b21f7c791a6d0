"""Conversations and their events (messages, notes, joins, transfers, closes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ventanilla.core.db import Base, UTCDateTime, utcnow

# BIGINT on PostgreSQL, INTEGER (the rowid alias, so it autoincrements) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")

STATUSES = ("assistant", "waiting", "active", "closed")


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_status_created", "status", "created_at"),
        Index("ix_conversations_agent_status", "agent_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="waiting")
    channel: Mapped[str] = mapped_column(String(12), default="chat")
    citizen_name: Mapped[str] = mapped_column(String(120))
    citizen_email: Mapped[str] = mapped_column(String(254), index=True)
    request_type: Mapped[str] = mapped_column(String(30))
    page_url: Mapped[str] = mapped_column(String(1000), default="")
    lang: Mapped[str] = mapped_column(String(10), default="es")
    consent_version: Mapped[str] = mapped_column(ForeignKey("privacy_notices.version"))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # When it first entered the agents' queue (at start, or at the assistant's handover): reports.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(10), nullable=True)
    topic: Mapped[str | None] = mapped_column(String(120), nullable=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    citizen_seen_seq: Mapped[int] = mapped_column(Integer, default=0)
    agent_seen_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_message: Mapped[str] = mapped_column(String(200), default="")
    transcript_opt_out: Mapped[bool] = mapped_column(default=False)
    # Email continuity: the last agent message, and the last seq already emailed to the citizen.
    last_agent_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_agent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    notified_seq: Mapped[int] = mapped_column(Integer, default=0)


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_events_conversation_seq"),
        UniqueConstraint("conversation_id", "client_id", name="uq_events_conversation_client"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    internal: Mapped[bool] = mapped_column(default=False)
    author_role: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    author_name: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    client_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CitizenAccess(Base):
    """Extra citizen tokens for one conversation, e.g. issued when an emailed link is opened.

    The widget's first token stays in ``Conversation.token_digest``; each of these opens the same
    conversation and nothing else. Only digests are stored.
    """

    __tablename__ = "citizen_access"

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
