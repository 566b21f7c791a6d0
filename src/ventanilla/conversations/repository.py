"""Every query of the conversations domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, and_, bindparam, exists, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.agents.models import User
from ventanilla.conversations.models import CitizenAccess, Conversation, Event
from ventanilla.satisfaction.models import Rating


async def get(session: AsyncSession, conversation_id: str) -> Conversation | None:
    return await session.get(Conversation, conversation_id)


async def lock(session: AsyncSession, conversation_id: str) -> Conversation | None:
    """Load and lock the row, so sequence numbers are handed out one at a time."""
    return await session.scalar(
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def by_token(session: AsyncSession, digest: str) -> Conversation | None:
    conv = await session.scalar(select(Conversation).where(Conversation.token_digest == digest))
    if conv is not None:
        return conv
    return await session.scalar(
        select(Conversation)
        .join(CitizenAccess, CitizenAccess.conversation_id == Conversation.id)
        .where(CitizenAccess.token_digest == digest)
    )


async def event_by_client_id(
    session: AsyncSession, conversation_id: str, client_id: str
) -> Event | None:
    return await session.scalar(
        select(Event).where(Event.conversation_id == conversation_id, Event.client_id == client_id)
    )


async def events_after(
    session: AsyncSession,
    conversation_id: str,
    after_seq: int,
    *,
    include_internal: bool,
    limit: int = 500,
) -> list[Event]:
    query = select(Event).where(Event.conversation_id == conversation_id, Event.seq > after_seq)
    if not include_internal:
        query = query.where(Event.internal.is_(False))
    rows = await session.scalars(query.order_by(Event.seq).limit(limit))
    return list(rows)


async def claim(session: AsyncSession, conversation_id: str, agent_id: int, now: datetime) -> bool:
    """Assign a waiting conversation; False if someone else got it first (one UPDATE wins)."""
    result = await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.status == "waiting")
        .values(status="active", agent_id=agent_id, taken_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def active_count(session: AsyncSession, agent_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.agent_id == agent_id, Conversation.status == "active")
        )
        or 0
    )


async def active_counts(session: AsyncSession) -> dict[int, int]:
    rows = await session.execute(
        select(Conversation.agent_id, func.count())
        .where(Conversation.status == "active", Conversation.agent_id.is_not(None))
        .group_by(Conversation.agent_id)
    )
    return {int(a): int(n) for a, n in rows.all() if a is not None}


async def lock_user(session: AsyncSession, user_id: int) -> User | None:
    return await session.scalar(select(User).where(User.id == user_id).with_for_update())


async def waiting(session: AsyncSession, limit: int = 200) -> list[Conversation]:
    rows = await session.scalars(
        select(Conversation)
        .where(Conversation.status == "waiting")
        .order_by(Conversation.created_at)
        .limit(limit)
    )
    return list(rows)


async def assigned_to(session: AsyncSession, agent_id: int) -> list[Conversation]:
    rows = await session.scalars(
        select(Conversation)
        .where(Conversation.agent_id == agent_id, Conversation.status == "active")
        .order_by(Conversation.taken_at)
    )
    return list(rows)


async def agent_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {int(i): str(n) for i, n in rows.all()}


@dataclass(frozen=True)
class HistoryFilter:
    q: str | None = None
    email: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    agent_id: int | None = None
    request_type: str | None = None
    status: str | None = None
    rating: int | None = None  # 1..5, or 0 for "not rated"
    resolved: bool | None = None  # as the citizen answered in the survey
    rated_agent: int | None = None  # rating filters only over this agent's conversations


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(
    session: AsyncSession, f: HistoryFilter, *, offset: int, limit: int
) -> tuple[list[Conversation], int]:
    conds = []
    if f.email:
        conds.append(
            func.lower(Conversation.citizen_email).contains(f.email.lower(), autoescape=True)
        )
    if f.date_from:
        conds.append(Conversation.created_at >= f.date_from)
    if f.date_to:
        conds.append(Conversation.created_at < f.date_to)
    if f.agent_id is not None:
        conds.append(
            or_(
                Conversation.agent_id == f.agent_id,
                exists().where(
                    Event.conversation_id == Conversation.id, Event.author_id == f.agent_id
                ),
            )
        )
    if f.request_type:
        conds.append(Conversation.request_type == f.request_type)
    if f.status:
        conds.append(Conversation.status == f.status)
    rated = Rating.conversation_id == Conversation.id
    if f.rated_agent is not None and (f.rating is not None or f.resolved is not None):
        conds.append(Conversation.agent_id == f.rated_agent)
        rated = and_(rated, Rating.agent_id == f.rated_agent)
    if f.rating == 0:
        conds.append(~exists().where(rated))
    elif f.rating is not None:
        conds.append(exists().where(rated, Rating.score == f.rating))
    if f.resolved is not None:
        conds.append(exists().where(rated, Rating.resolved.is_(f.resolved)))
    if f.q:
        pattern = f"%{_escape_like(f.q.lower())}%"
        conds.append(
            or_(
                func.lower(Conversation.citizen_name).like(pattern, escape="\\"),
                func.lower(Conversation.citizen_email).like(pattern, escape="\\"),
                func.lower(func.coalesce(Conversation.topic, "")).like(pattern, escape="\\"),
                exists().where(
                    Event.conversation_id == Conversation.id,
                    func.lower(Event.body).like(pattern, escape="\\"),
                ),
            )
        )
    where = and_(true(), *conds)
    total = int(
        await session.scalar(select(func.count()).select_from(Conversation).where(where)) or 0
    )
    rows = await session.scalars(
        select(Conversation)
        .where(where)
        .order_by(Conversation.created_at.desc(), Conversation.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


async def seen_state(session: AsyncSession, ids: list[str]) -> dict[str, tuple[int, int, int]]:
    """(last_seq, citizen_seen_seq, agent_seen_seq) of many conversations (``seen.py``), each
    row locked until the commit, leaving out those another transaction holds right now
    (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite has one writer at a time and no row locks):
    ``seen`` marks never wait for the chat writer, nor it for them beyond their own rows, so
    the two can't deadlock."""
    rows = await session.execute(
        select(
            Conversation.id,
            Conversation.last_seq,
            Conversation.citizen_seen_seq,
            Conversation.agent_seen_seq,
        )
        .where(Conversation.id.in_(ids))
        .order_by(Conversation.id)
        .with_for_update(skip_locked=True)
    )
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


async def existing_ids(session: AsyncSession, ids: list[str]) -> set[str]:
    rows = await session.scalars(select(Conversation.id).where(Conversation.id.in_(ids)))
    return set(rows)


async def raise_seen(session: AsyncSession, role: str, marks: list[tuple[str, int]]) -> None:
    """Raise ``citizen_seen_seq`` or ``agent_seen_seq`` of many conversations in one
    statement; never lowers it (another process may have stored a higher one meanwhile)."""
    table = cast(Table, Conversation.__table__)
    column = table.c.citizen_seen_seq if role == "citizen" else table.c.agent_seen_seq
    stmt = (
        update(table)
        .where(table.c.id == bindparam("b_id"), column < bindparam("b_seq"))
        .values({column: bindparam("b_seq")})
    )
    await session.execute(stmt, [{"b_id": i, "b_seq": s} for i, s in marks])
