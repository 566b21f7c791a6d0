"""Queries of the entity domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.core.db import utcnow
from ventanilla.entity.models import EntitySettingsRow, PrivacyNotice


async def load(session: AsyncSession) -> EntitySettingsRow | None:
    return await session.get(EntitySettingsRow, 1)


async def save(session: AsyncSession, data: dict[str, Any], user_id: int | None) -> None:
    row = await session.get(EntitySettingsRow, 1)
    if row is None:
        session.add(EntitySettingsRow(id=1, data=data, updated_by=user_id))
    else:
        row.data = data
        row.updated_at = utcnow()
        row.updated_by = user_id
    await session.flush()


async def notice(session: AsyncSession, version: str) -> PrivacyNotice | None:
    return await session.get(PrivacyNotice, version)


async def add_notice(session: AsyncSession, version: str, text: str) -> None:
    session.add(PrivacyNotice(version=version, text=text))
    await session.flush()


async def notice_versions(session: AsyncSession) -> list[str]:
    rows = await session.scalars(select(PrivacyNotice.version))
    return list(rows)
