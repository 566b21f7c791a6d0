"""Queries of the live view."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.conversations.models import Conversation, Event


async def in_progress(session: AsyncSession, limit: int = 1000) -> list[Conversation]:
    """Conversations being attended now, oldest first (uses ix_conversations_status_created)."""
    rows = await session.scalars(
        select(Conversation)
        .where(Conversation.status == "active")
        .order_by(Conversation.created_at)
        .limit(limit)
    )
    return list(rows)


async def with_assistant(
    session: AsyncSession, started_since: datetime, active_since: datetime, limit: int = 200
) -> list[Conversation]:
    """Conversations the assistant attends now, oldest first.

    A citizen who leaves the assistant's chat leaves it in status ``assistant`` (nothing closes
    it: the citizen may come back), so "now" means started after ``started_since`` (a range of
    ix_conversations_status_created, which bounds the work) and started or had a message after
    ``active_since``."""
    recent = exists().where(
        Event.conversation_id == Conversation.id, Event.created_at >= active_since
    )
    rows = await session.scalars(
        select(Conversation)
        .where(
            Conversation.status == "assistant",
            Conversation.created_at >= started_since,
            or_(Conversation.created_at >= active_since, recent),
        )
        .order_by(Conversation.created_at)
        .limit(limit)
    )
    return list(rows)
