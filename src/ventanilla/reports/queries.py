"""Reads behind the dashboards and exports. Sums come from ``report_daily``; what cannot be summed
(unique citizens, distributions, the heatmap, ratings) is read from the facts of the period,
one row per conversation, indexed by day."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, case, func, select, true, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.agents.models import User
from ventanilla.reports.models import ConversationFacts, DailyFigures, PresenceInterval
from ventanilla.reports.schemas import Period
from ventanilla.satisfaction.models import Rating

F = ConversationFacts
D = DailyFigures
WAIT_BUCKETS = (30, 60, 120, 300, 600, 1800)  # seconds; the last bucket is "more"

RATINGS = Rating.__table__


def _period_where(table: type[D] | type[F], p: Period) -> ColumnElement[bool]:
    """The period's days and its filters (agent, request type, category, channel) on either
    table: ``report_daily`` and the facts share these columns."""
    conds: list[ColumnElement[bool]] = [table.day >= p.start, table.day <= p.end]
    if p.agent_id is not None:
        conds.append(table.agent_id == p.agent_id)
    if p.request_type:
        conds.append(table.request_type == p.request_type)
    if p.category is not None:
        conds.append(table.category == p.category)
    if p.channel:
        conds.append(table.channel == p.channel)
    return and_(true(), *conds)


def daily_where(p: Period) -> ColumnElement[bool]:
    return _period_where(D, p)


def facts_where(p: Period) -> ColumnElement[bool]:
    return _period_where(F, p)


async def citizens(session: AsyncSession, p: Period) -> int:
    q = select(func.count(func.distinct(F.citizen_key))).where(facts_where(p))
    return int(await session.scalar(q) or 0)


def _ratings_join(p: Period, *cols: Any) -> Select[Any]:
    return (
        select(*cols)
        .select_from(F)
        .join(RATINGS, RATINGS.c.conversation_id == F.conversation_id)
        .where(facts_where(p))
    )


async def heatmap(
    session: AsyncSession, p: Period, *, channel: str | None = None
) -> list[dict[str, Any]]:
    """Per local weekday and hour: conversations, queued, missed, waits (sum and count);
    ``channel`` narrows to one channel when the period has none."""
    where = (
        facts_where(p) if channel is None or p.channel else facts_where(p) & (F.channel == channel)
    )
    rows = await session.execute(
        select(
            F.weekday,
            F.hour,
            func.count(),
            func.sum(case((F.queued.is_(True), 1), else_=0)),
            func.sum(case((F.missed.is_(True), 1), else_=0)),
            func.coalesce(func.sum(F.wait_seconds), 0),
            func.count(F.wait_seconds),
            func.coalesce(func.sum(F.handling_seconds), 0),
            func.count(F.handling_seconds),
        )
        .where(where)
        .group_by(F.weekday, F.hour)
    )
    keys = "weekday hour conversations queued missed wait_sum wait_n handling_sum handling_n"

    return [dict(zip(keys.split(), (float(x or 0) for x in r), strict=True)) for r in rows.all()]


async def wait_distribution(session: AsyncSession, p: Period) -> list[int]:
    """How many conversations were taken within each bucket of ``WAIT_BUCKETS`` (and above)."""
    w = F.wait_seconds
    whens = []
    for i, limit in enumerate(WAIT_BUCKETS):
        whens.append((w <= limit, i))
    bucket = case(*whens, else_=len(WAIT_BUCKETS))
    rows = await session.execute(
        select(bucket, func.count()).where(facts_where(p), w.is_not(None)).group_by(bucket)
    )
    out = [0] * (len(WAIT_BUCKETS) + 1)
    for b, n in rows.all():
        out[int(b)] = int(n)
    return out


async def presence_seconds(
    session: AsyncSession, start: datetime, end: datetime, agent_id: int | None = None
) -> dict[int, float]:
    """Seconds each agent spent available between ``start`` and ``end`` (UTC)."""
    q = select(
        PresenceInterval.user_id, PresenceInterval.started_at, PresenceInterval.ended_at
    ).where(
        PresenceInterval.state == "available",
        PresenceInterval.started_at < end,
        (PresenceInterval.ended_at.is_(None)) | (PresenceInterval.ended_at > start),
    )
    if agent_id is not None:
        q = q.where(PresenceInterval.user_id == agent_id)
    now = datetime.now(start.tzinfo)
    out: dict[int, float] = {}
    for uid, a, b in (await session.execute(q)).all():
        lo, hi = max(a, start), min(b or now, end)
        if hi > lo:
            out[int(uid)] = out.get(int(uid), 0.0) + (hi - lo).total_seconds()
    return out


async def agent_names(session: AsyncSession) -> dict[int, str]:
    rows = await session.execute(select(User.id, User.display_name))
    return {int(i): str(n) for i, n in rows.all()}


async def categories(session: AsyncSession, p: Period) -> list[str]:
    rows = await session.scalars(
        select(D.category).where(D.day >= p.start, D.day <= p.end).distinct().order_by(D.category)
    )
    return [c for c in rows if c]


# How a conversation went: flags and counts, the same name in the facts and in the exports.
OUTCOME_COLUMNS = (
    "assistant_only",
    "handed_over",
    "attended",
    "missed",
    "abandoned",
    "transfers",
    "reopened",
)
EXPORT_COLUMNS = (
    "conversation_id",
    "weekday",
    "hour",
    "agent_id",
    "request_type",
    "category",
    "channel",
    *OUTCOME_COLUMNS,
    "wait_seconds",
    "first_response_seconds",
    "first_response_within",
    "response_sum",
    "response_count",
    "handling_seconds",
)


async def facts_rows(session: AsyncSession, p: Period, limit: int) -> list[Any]:
    """The period's facts for exports, as plain rows: no ORM objects (~10x the cost), and the
    day and start read as text where the driver gives text (SQLite), parsed by the caller with
    the C ``fromisoformat`` instead of SQLAlchemy's slower date processing."""
    rows = await session.execute(
        select(
            type_coerce(F.day, String()).label("day"),
            type_coerce(F.started_at, String()).label("started_at"),
            *(getattr(F, c) for c in EXPORT_COLUMNS),
        )
        .where(facts_where(p))
        .order_by(F.started_at, F.conversation_id)
        .limit(limit)
    )
    return list(rows.all())


async def ratings_in(session: AsyncSession, p: Period) -> dict[str, tuple[int, bool]]:
    """Score and "resolved" of the period's rated conversations, by conversation id."""
    rows = await session.execute(
        _ratings_join(p, F.conversation_id, RATINGS.c.score, RATINGS.c.resolved)
    )
    return {str(c): (int(s), bool(r)) for c, s, r in rows.all()}
