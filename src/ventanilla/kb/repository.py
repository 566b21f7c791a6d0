"""Every query of the knowledge base."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.kb.models import KbChange, KbEntry, KbState


async def get(session: AsyncSession, entry_id: str) -> KbEntry | None:
    return await session.get(KbEntry, entry_id)


async def all_(session: AsyncSession, *, active_only: bool = False) -> list[KbEntry]:
    query = select(KbEntry).order_by(KbEntry.category, KbEntry.id)
    if active_only:
        query = query.where(KbEntry.active.is_(True))
    return list(await session.scalars(query))


async def search(session: AsyncSession, q: str, *, limit: int = 200) -> list[KbEntry]:
    pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = await session.scalars(
        select(KbEntry)
        .where(
            or_(
                func.lower(KbEntry.id).like(pattern, escape="\\"),
                func.lower(KbEntry.question).like(pattern, escape="\\"),
                func.lower(KbEntry.answer).like(pattern, escape="\\"),
                func.lower(KbEntry.category).like(pattern, escape="\\"),
            )
        )
        .order_by(KbEntry.category, KbEntry.id)
        .limit(limit)
    )
    return list(rows)


async def history(session: AsyncSession, entry_id: str) -> list[KbChange]:
    rows = await session.scalars(
        select(KbChange).where(KbChange.entry_id == entry_id).order_by(KbChange.id.desc())
    )
    return list(rows)


async def active_count(session: AsyncSession) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(KbEntry).where(KbEntry.active.is_(True))
        )
        or 0
    )


async def state(session: AsyncSession) -> KbState | None:
    return await session.get(KbState, 1)


async def lock_state(session: AsyncSession) -> KbState:
    """The state row, locked (created on first use) so revisions are handed out one at a time."""
    row = await session.scalar(select(KbState).where(KbState.id == 1).with_for_update())
    if row is None:
        row = KbState(id=1, revision=0, active_entries=0, calibration={})
        session.add(row)
        await session.flush()
    return row
