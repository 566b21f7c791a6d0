"""Keeping the report tables current as things happen.

* ``conversation_closed`` runs inside the closing unit of work (not on the message path): it
  reads the conversation's events once, stores its facts and moves the daily sums by the
  difference (a reopened conversation's earlier contribution is taken away first).
* ``presence_changed`` records an agent's effective presence as intervals.
* ``rebuild`` recomputes everything (after a change of targets, or for data from before).
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.conversations.models import Conversation
from ventanilla.core.db import Database, utcnow
from ventanilla.entity import repository as entity_repository
from ventanilla.entity.schemas import EntitySettings
from ventanilla.reports import repository
from ventanilla.reports.facts import compute, entry_ids
from ventanilla.reports.models import PresenceInterval
from ventanilla.reports.schemas import Targets

PRESENCE_STATES = ("available", "away", "disconnected")


async def targets(session: AsyncSession) -> Targets:
    row = await repository.load_settings(session)
    return Targets.model_validate(row.data) if row else Targets()


async def timezone(session: AsyncSession) -> ZoneInfo:
    """The entity's time zone (office hours); every report day is a local day there."""
    row = await entity_repository.load(session)
    entity = EntitySettings.model_validate(row.data) if row else EntitySettings()
    return ZoneInfo(entity.office_hours.timezone)


async def conversation_closed(
    session: AsyncSession,
    conv: Conversation,
    *,
    tz: ZoneInfo | None = None,
    goals: Targets | None = None,
) -> None:
    events = await repository.events_of(session, conv.id)
    categories = await repository.entry_categories(session, entry_ids(events))
    facts = compute(
        repository.conv_info(conv),
        events,
        tz or await timezone(session),
        goals or await targets(session),
        categories,
    )
    old = await repository.facts_of(session, conv.id)
    deltas = [repository.daily_delta(facts, 1)]
    if old is not None:
        deltas.insert(0, repository.daily_delta(old, -1))
    await repository.save_facts(session, facts)
    await repository.add_to_daily(session, deltas)


async def presence_changed(
    session: AsyncSession, user_id: int, state: str, at: datetime | None = None
) -> None:
    """Close the agent's open interval and open one in ``state`` (nothing if unchanged)."""
    assert state in PRESENCE_STATES
    at = at or utcnow()
    current = await repository.open_interval(session, user_id)
    if current is not None and current.state == state:
        return
    await repository.end_open_intervals(session, user_id, at)
    session.add(PresenceInterval(user_id=user_id, state=state, started_at=at))
    await session.flush()


async def rebuild(db: Database, since: date | None = None, batch: int = 200) -> int:
    """Recompute facts and daily sums of closed conversations started on ``since`` or later
    (local days); returns how many conversations were processed."""
    async with db.unit() as uow:
        tz = await timezone(uow.session)
        goals = await targets(uow.session)
        start = datetime.combine(since, time(), tz) if since else None
        await repository.clear_all(uow.session, since)
        ids = await repository.closed_ids(uow.session, start)
    for i in range(0, len(ids), batch):
        async with db.unit() as uow:
            for cid in ids[i : i + batch]:
                conv = await uow.session.get(Conversation, cid)
                if conv is not None and conv.closed_at is not None:
                    await conversation_closed(uow.session, conv, tz=tz, goals=goals)
    return len(ids)
