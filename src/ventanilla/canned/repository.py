from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.canned.models import CannedResponse


async def all_(session: AsyncSession) -> list[CannedResponse]:
    rows = await session.scalars(
        select(CannedResponse).order_by(CannedResponse.category, CannedResponse.shortcut)
    )
    return list(rows)


async def get(session: AsyncSession, canned_id: int) -> CannedResponse | None:
    return await session.get(CannedResponse, canned_id)


async def by_shortcut(session: AsyncSession, shortcut: str) -> CannedResponse | None:
    return await session.scalar(
        select(CannedResponse).where(func.lower(CannedResponse.shortcut) == shortcut.lower())
    )
