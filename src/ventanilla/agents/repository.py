"""Queries of the agents domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.agents.models import AgentSession, User


async def by_email(session: AsyncSession, email: str) -> User | None:
    return await session.scalar(select(User).where(func.lower(User.email) == email.lower()))


async def by_id(session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def active_users(session: AsyncSession) -> list[User]:
    rows = await session.scalars(select(User).where(User.is_active).order_by(User.display_name))
    return list(rows)


async def add_session(session: AsyncSession, row: AgentSession) -> None:
    session.add(row)
    await session.flush()


async def session_user(
    session: AsyncSession, digest: str, now: datetime
) -> tuple[AgentSession, User] | None:
    row = (
        await session.execute(
            select(AgentSession, User)
            .join(User, User.id == AgentSession.user_id)
            .where(AgentSession.token_digest == digest, AgentSession.expires_at > now)
            .where(User.is_active)
        )
    ).first()
    return (row[0], row[1]) if row else None


async def delete_session(session: AsyncSession, digest: str) -> None:
    await session.execute(delete(AgentSession).where(AgentSession.token_digest == digest))


async def delete_expired_sessions(session: AsyncSession, now: datetime) -> None:
    await session.execute(delete(AgentSession).where(AgentSession.expires_at <= now))


async def any_available(session: AsyncSession, connected_ids: list[int]) -> bool:
    """Is one of the connected agents marked available?"""
    if not connected_ids:
        return False
    found = await session.scalar(
        select(User.id)
        .where(User.id.in_(connected_ids), User.presence == "available", User.is_active)
        .limit(1)
    )
    return found is not None
