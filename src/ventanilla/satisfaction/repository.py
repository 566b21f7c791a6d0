"""Every query of the satisfaction domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.agents.models import User
from ventanilla.conversations.models import Conversation
from ventanilla.satisfaction.models import Rating


async def for_conversation(session: AsyncSession, conversation_id: str) -> Rating | None:
    return await session.scalar(select(Rating).where(Rating.conversation_id == conversation_id))


async def add(session: AsyncSession, rating: Rating) -> None:
    session.add(rating)
    await session.flush()


async def counts(
    session: AsyncSession, agent_id: int | None, since: datetime | None
) -> list[tuple[int, bool, int]]:
    """``(score, resolved, how many)`` for the period, one row per pair that occurs."""
    query = select(Rating.score, Rating.resolved, func.count()).group_by(
        Rating.score, Rating.resolved
    )
    if agent_id is not None:
        query = query.where(Rating.agent_id == agent_id)
    if since is not None:
        query = query.where(Rating.created_at >= since)
    rows = await session.execute(query)
    return [(int(s), bool(r), int(n)) for s, r, n in rows.all()]


async def recent(
    session: AsyncSession,
    agent_id: int | None,
    since: datetime | None,
    *,
    with_comment: bool,
    limit: int,
) -> list[tuple[Rating, str, str | None]]:
    """The latest ratings with the conversation's request type and the agent's name."""
    query = (
        select(Rating, Conversation.request_type, User.display_name)
        .join(Conversation, Conversation.id == Rating.conversation_id)
        .outerjoin(User, User.id == Rating.agent_id)
        .order_by(Rating.created_at.desc(), Rating.id.desc())
        .limit(limit)
    )
    if agent_id is not None:
        query = query.where(Rating.agent_id == agent_id)
    if since is not None:
        query = query.where(Rating.created_at >= since)
    if with_comment:
        query = query.where(Rating.comment.is_not(None))
    rows = await session.execute(query)
    return [(r, str(t), n) for r, t, n in rows.all()]


async def per_agent(
    session: AsyncSession, since: datetime | None
) -> list[tuple[int, str, int, float | None, int]]:
    """``(agent id, name, count, mean score, resolved count)`` for every agent with ratings."""
    query = (
        select(
            Rating.agent_id,
            User.display_name,
            func.count(),
            func.avg(Rating.score),
            func.sum(cast(Rating.resolved, Integer)),
        )
        .join(User, User.id == Rating.agent_id)
        .group_by(Rating.agent_id, User.display_name)
        .order_by(User.display_name)
    )
    if since is not None:
        query = query.where(Rating.created_at >= since)
    rows = await session.execute(query)
    return [
        (int(a), str(name), int(n), float(avg) if avg is not None else None, int(res or 0))
        for a, name, n, avg, res in rows.all()
    ]


async def brief_for(session: AsyncSession, conversation_ids: list[str]) -> dict[str, Rating]:
    """The ratings of these conversations (for the history list), by conversation id."""
    if not conversation_ids:
        return {}
    rows = await session.scalars(select(Rating).where(Rating.conversation_id.in_(conversation_ids)))
    return {r.conversation_id: r for r in rows}
