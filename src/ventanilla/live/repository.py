"""Queries of the live view."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.conversations.models import Conversation


async def in_progress(session: AsyncSession, limit: int = 1000) -> list[Conversation]:
    """Conversations being attended now, oldest first (uses ix_conversations_status_created)."""
    rows = await session.scalars(
        select(Conversation)
        .where(Conversation.status == "active")
        .order_by(Conversation.created_at)
        .limit(limit)
    )
    return list(rows)
