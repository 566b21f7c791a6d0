"""Every query of the assistant: its events in a conversation and the unanswered questions."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, delete, insert, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ventanilla.assistant.models import AssistantJob, UnansweredQuestion
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
        select(UnansweredQuestion)
        .where(UnansweredQuestion.taught_at.is_(None))
        .order_by(UnansweredQuestion.created_at.desc())
        .limit(limit)
    )
    return list(rows)


async def untaught_by_ids(session: AsyncSession, ids: Collection[int]) -> list[UnansweredQuestion]:
    rows = await session.scalars(
        select(UnansweredQuestion).where(
            UnansweredQuestion.id.in_(list(ids)), UnansweredQuestion.taught_at.is_(None)
        )
    )
    return list(rows)


# ---- pending replies (assistant/jobs.py) ----------------------------------------------------


async def add_jobs(
    executor: AsyncSession | AsyncConnection, rows: Sequence[dict[str, Any]]
) -> None:
    """Queue replies (``conversation_id``, ``seq``, ``text``, ``created_at``): one Core
    statement, on the caller's session or connection (the chat writer's batch transaction)."""
    if rows:
        table = cast(Table, AssistantJob.__table__)
        await executor.execute(insert(table), [{"attempts": 0, **r} for r in rows])


async def claim_job(
    session: AsyncSession,
    token: str,
    now: datetime,
    until: datetime,
    *,
    job_id: int | None = None,
    message: tuple[str, int] | None = None,
) -> AssistantJob | None:
    """Take a job nobody holds (or whose holder's lease ran out): one conditional update, so of
    several claimants exactly one wins. Returns the job, or None if it is gone or held."""
    if job_id is not None:
        which = AssistantJob.id == job_id
    elif message is not None:
        which = and_(AssistantJob.conversation_id == message[0], AssistantJob.seq == message[1])
    else:
        raise ValueError("job_id or message")
    free = or_(AssistantJob.lease_until.is_(None), AssistantJob.lease_until < now)
    result = await session.execute(
        update(AssistantJob)
        .where(which, free)
        .values(claimed_by=token, lease_until=until, attempts=AssistantJob.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        return None
    return await session.scalar(select(AssistantJob).where(which, AssistantJob.claimed_by == token))


async def finish_job(session: AsyncSession, job_id: int, token: str) -> bool:
    """Delete the job if this claim still holds it (in the reply's own transaction)."""
    result = await session.execute(
        delete(AssistantJob)
        .where(AssistantJob.id == job_id, AssistantJob.claimed_by == token)
        .execution_options(synchronize_session=False)
    )
    return _rowcount(result) == 1


async def due_jobs(session: AsyncSession, now: datetime, orphaned: datetime) -> list[int]:
    """Jobs to pick up: never claimed since ``orphaned`` (their process died before it could
    start), or claimed under a lease that ran out (it died while replying)."""
    rows = await session.scalars(
        select(AssistantJob.id)
        .where(
            or_(
                and_(AssistantJob.lease_until.is_(None), AssistantJob.created_at < orphaned),
                AssistantJob.lease_until < now,
            )
        )
        .order_by(AssistantJob.id)
        .limit(100)
    )
    return list(rows)


def _rowcount(result: Any) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0
