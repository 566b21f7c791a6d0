"""Writes of the reports domain: facts, daily sums, presence intervals, targets; and the reads
the recorder needs. Dashboard reads are in ``queries.py``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.conversations.models import Conversation, Event
from ventanilla.kb.models import KbEntry
from ventanilla.reports.facts import ConvInfo, EventInfo, Facts
from ventanilla.reports.models import (
    ConversationFacts,
    DailyFigures,
    PresenceInterval,
    ReportSettingsRow,
)

DAILY_KEYS = ("day", "agent_id", "request_type", "category", "channel")
DAILY_SUMS = (
    "conversations",
    "queued",
    "attended",
    "assistant_only",
    "handed_over",
    "abandoned",
    "missed",
    "transfers",
    "reopened",
    "wait_sum",
    "wait_n",
    "frt_sum",
    "frt_n",
    "frt_within",
    "response_sum",
    "response_n",
    "handling_sum",
    "handling_n",
)


def conv_info(conv: Conversation) -> ConvInfo:
    assert conv.closed_at is not None
    return ConvInfo(
        id=conv.id,
        created_at=conv.created_at,
        queued_at=conv.queued_at,
        closed_at=conv.closed_at,
        channel=conv.channel,
        agent_id=conv.agent_id,
        request_type=conv.request_type,
        topic=conv.topic,
        citizen_email=conv.citizen_email,
    )


async def events_of(session: AsyncSession, conversation_id: str) -> list[EventInfo]:
    """The events facts are made of (the columns only, not the bodies)."""
    rows = await session.execute(
        select(
            Event.seq,
            Event.kind,
            Event.author_role,
            Event.author_id,
            Event.created_at,
            Event.internal,
            Event.data,
        )
        .where(
            Event.conversation_id == conversation_id,
            Event.kind.in_(("joined", "transferred", "handover", "reopened", "closed", "message")),
        )
        .order_by(Event.seq)
    )
    return [EventInfo(s, k, r, a, c, i, d or {}) for s, k, r, a, c, i, d in rows.all()]


async def entry_categories(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = await session.execute(select(KbEntry.id, KbEntry.category).where(KbEntry.id.in_(ids)))
    return {str(i): str(c or "") for i, c in rows.all()}


async def facts_of(session: AsyncSession, conversation_id: str) -> ConversationFacts | None:
    return await session.get(ConversationFacts, conversation_id)


def daily_delta(f: ConversationFacts | Facts, sign: int) -> dict[str, Any]:
    """The contribution of one conversation's facts to its day's sums (``sign`` -1 removes it)."""

    def b(v: bool | None) -> int:
        return sign if v else 0

    def n(v: float | None) -> float:
        return sign * v if v is not None else 0.0

    return {
        "day": f.day,
        "agent_id": f.agent_id or 0,
        "request_type": f.request_type,
        "category": f.category,
        "channel": f.channel,
        "conversations": sign,
        "queued": b(f.queued),
        "attended": b(f.attended),
        "assistant_only": b(f.assistant_only),
        "handed_over": b(f.handed_over),
        "abandoned": b(f.abandoned),
        "missed": b(f.missed),
        "transfers": sign * f.transfers,
        "reopened": sign * f.reopened,
        "wait_sum": n(f.wait_seconds),
        "wait_n": b(f.wait_seconds is not None),
        "frt_sum": n(f.first_response_seconds),
        "frt_n": b(f.first_response_seconds is not None),
        "frt_within": b(f.first_response_within),
        "response_sum": n(f.response_sum),
        "response_n": sign * f.response_count,
        "handling_sum": n(f.handling_seconds),
        "handling_n": b(f.handling_seconds is not None),
    }


def _insert(session: AsyncSession, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql if dialect == "postgresql" else sqlite).insert(table)


async def add_to_daily(session: AsyncSession, deltas: list[dict[str, Any]]) -> None:
    """Add sums to their rows, creating them when new: one statement, safe when two
    conversations of the same day close at once (the row is locked by the upsert)."""
    if not deltas:
        return
    stmt = _insert(session, DailyFigures.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(DAILY_KEYS),
        set_={k: getattr(DailyFigures, k) + getattr(stmt.excluded, k) for k in DAILY_SUMS},
    )
    await session.execute(stmt, deltas)


async def save_facts(session: AsyncSession, facts: Facts) -> None:
    row = facts.as_row()
    stmt = _insert(session, ConversationFacts.__table__).values(**row)
    stmt = stmt.on_conflict_do_update(
        index_elements=["conversation_id"],
        set_={k: v for k, v in row.items() if k != "conversation_id"},
    )
    await session.execute(stmt)


async def clear_all(session: AsyncSession, since: date | None = None) -> None:
    """Forget facts and daily sums (from ``since`` on) before a rebuild."""
    if since is None:
        await session.execute(delete(DailyFigures))
        await session.execute(delete(ConversationFacts))
    else:
        await session.execute(delete(DailyFigures).where(DailyFigures.day >= since))
        await session.execute(delete(ConversationFacts).where(ConversationFacts.day >= since))


async def closed_ids(session: AsyncSession, since: datetime | None) -> list[str]:
    query = select(Conversation.id).where(Conversation.status == "closed")
    if since is not None:
        query = query.where(Conversation.created_at >= since)
    return list(await session.scalars(query.order_by(Conversation.created_at)))


# ---- presence -----------------------------------------------------------------------------


async def open_interval(session: AsyncSession, user_id: int) -> PresenceInterval | None:
    return await session.scalar(
        select(PresenceInterval)
        .where(PresenceInterval.user_id == user_id, PresenceInterval.ended_at.is_(None))
        .order_by(PresenceInterval.started_at.desc())
        .limit(1)
    )


async def end_open_intervals(session: AsyncSession, user_id: int, at: datetime) -> None:
    await session.execute(
        update(PresenceInterval)
        .where(PresenceInterval.user_id == user_id, PresenceInterval.ended_at.is_(None))
        .values(ended_at=at)
        .execution_options(synchronize_session=False)
    )


# ---- targets ------------------------------------------------------------------------------


async def load_settings(session: AsyncSession) -> ReportSettingsRow | None:
    return await session.get(ReportSettingsRow, 1)


async def save_settings(session: AsyncSession, data: dict[str, Any], user_id: int | None) -> None:
    row = await session.get(ReportSettingsRow, 1)
    if row is None:
        session.add(ReportSettingsRow(id=1, data=data, updated_by=user_id))
    else:
        row.data, row.updated_by = data, user_id
    await session.flush()
