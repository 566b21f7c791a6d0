"""Every query of the assistant: its events in a conversation and the unanswered questions."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.assistant.models import UnansweredQuestion
from ventanilla.conversations.models import Event


async def event_at(session: AsyncSession, conversation_id: str, seq: int) -> Event | None:
    return await session.scalar(
        select(Event).where(Event.conversation_id == conversation_id, Event.seq == seq)
    )


async def recent_events(
    session: AsyncSession, conversation_id: str, kinds: Collection[str], limit: int = 50
) -> list[Event]:
    """The latest events of these kinds, newest first."""
    rows = await session.scalars(
        select(Event)
        .where(Event.conversation_id == conversation_id, Event.kind.in_(tuple(kinds)))
        .order_by(Event.seq.desc())
        .limit(limit)
    )
    return list(rows)


async def unanswered(session: AsyncSession, limit: int = 500) -> list[UnansweredQuestion]:
    rows = await session.scalars(
        select(UnansweredQuestion).order_by(UnansweredQuestion.created_at.desc()).limit(limit)
    )
    return list(rows)
