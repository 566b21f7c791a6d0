"""Queries of the cases domain."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.cases.models import Case, CaseEvent, FilingSequence
from ventanilla.conversations.models import Event
from ventanilla.notifications.models import OutboxEmail

RUNNING = ("filed", "extended")  # the term is running: these can be due soon or overdue
LIST_LIMIT = 200


async def next_number(session: AsyncSession, year: int) -> int:
    """Take the next number of ``year``; the row stays locked until the transaction ends."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(insert(FilingSequence).values(year=year, last=0).on_conflict_do_nothing())
    result = await session.execute(
        update(FilingSequence)
        .where(FilingSequence.year == year)
        .values(last=FilingSequence.last + 1)
        .returning(FilingSequence.last)
    )
    return int(result.scalar_one())


async def by_number(session: AsyncSession, number: str) -> Case | None:
    return await session.scalar(select(Case).where(func.upper(Case.number) == number.upper()))


async def lock_by_number(session: AsyncSession, number: str) -> Case | None:
    """The case locked until the transaction ends: two transitions never interleave."""
    return await session.scalar(
        select(Case)
        .where(func.upper(Case.number) == number.strip().upper())
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def for_conversation(session: AsyncSession, conversation_id: str) -> Case | None:
    return await session.scalar(select(Case).where(Case.conversation_id == conversation_id))


async def events(session: AsyncSession, case_id: int) -> list[CaseEvent]:
    return list(
        await session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )
    )


async def emails(session: AsyncSession, ids: list[int]) -> dict[int, OutboxEmail]:
    if not ids:
        return {}
    rows = await session.scalars(select(OutboxEmail).where(OutboxEmail.id.in_(ids)))
    return {r.id: r for r in rows}


async def last_event(session: AsyncSession, case_id: int, kind: str) -> CaseEvent | None:
    return await session.scalar(
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id, CaseEvent.kind == kind)
        .order_by(CaseEvent.id.desc())
        .limit(1)
    )


async def first_citizen_reply(
    session: AsyncSession, case: Case, since: datetime
) -> datetime | None:
    """When the citizen first wrote (chat, or email added to the chat) after ``since``."""
    if case.conversation_id is None:
        return None
    return await session.scalar(
        select(func.min(Event.created_at)).where(
            Event.conversation_id == case.conversation_id,
            Event.kind == "message",
            Event.author_role == "citizen",
            Event.created_at > since,
        )
    )


def _filtered(
    query: Select[tuple[Case]], view: str, today: date, soon: date, type_code: str | None
) -> Select[tuple[Case]]:
    if type_code:
        query = query.where(Case.type == type_code)
    if view == "open":
        query = query.where(Case.status.in_(RUNNING))
    elif view == "due_soon":
        query = query.where(Case.status.in_(RUNNING), Case.due_date >= today, Case.due_date <= soon)
    elif view == "overdue":
        query = query.where(Case.status.in_(RUNNING), Case.due_date < today)
    elif view in ("on_hold", "answered", "forwarded", "closed"):
        query = query.where(Case.status == view)
    return query


async def listing(
    session: AsyncSession,
    *,
    view: str,
    today: date,
    soon: date,
    type_code: str | None = None,
    search: str = "",
    limit: int = LIST_LIMIT,
) -> list[Case]:
    query = _filtered(select(Case), view, today, soon, type_code)
    if search:
        like = f"%{search.lower()}%"
        query = query.where(
            or_(func.lower(Case.number).like(like), func.lower(Case.petitioner_name).like(like))
        )
    if view in ("answered", "forwarded", "closed"):
        query = query.order_by(Case.updated_at.desc())
    else:
        query = query.order_by(Case.due_date.is_(None), Case.due_date, Case.id)
    return list(await session.scalars(query.limit(limit)))


async def counters(session: AsyncSession, today: date, soon: date) -> dict[str, int]:
    """How many cases are in each list of the console (one query per kind of count)."""
    by_status = dict(
        (str(s), int(n))
        for s, n in await session.execute(select(Case.status, func.count()).group_by(Case.status))
    )
    due = (
        await session.execute(
            select(
                func.count().filter(Case.due_date < today),
                func.count().filter(Case.due_date >= today, Case.due_date <= soon),
            ).where(Case.status.in_(RUNNING))
        )
    ).one()
    return {
        "open": by_status.get("filed", 0) + by_status.get("extended", 0),
        "overdue": int(due[0] or 0),
        "due_soon": int(due[1] or 0),
        "on_hold": by_status.get("on_hold", 0),
        "answered": by_status.get("answered", 0),
        "forwarded": by_status.get("forwarded", 0),
        "closed": by_status.get("closed", 0),
    }


async def due_for_summary(session: AsyncSession, soon: date) -> list[Case]:
    """Running cases due on or before ``soon`` (overdue ones included), oldest due first."""
    return list(
        await session.scalars(
            select(Case)
            .where(Case.status.in_(RUNNING), Case.due_date <= soon)
            .order_by(Case.due_date, Case.id)
            .limit(500)
        )
    )


async def for_rates(
    session: AsyncSession, since: date | None, until: date | None
) -> list[tuple[str, str, str, str, bool | None, date | None]]:
    """(type, area, answered_by_name, status, answered_on_time, due_date) of the cases filed in
    the period: what the on-time rates are computed from."""
    query = select(
        Case.type,
        Case.area,
        Case.answered_by_name,
        Case.status,
        Case.answered_on_time,
        Case.due_date,
    )
    if since is not None:
        query = query.where(Case.filed_on >= since)
    if until is not None:
        query = query.where(Case.filed_on < until + timedelta(days=1))
    return [tuple(r) for r in await session.execute(query)]  # type: ignore[misc]
