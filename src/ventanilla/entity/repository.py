"""Queries of the entity domain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
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
    """Record a notice version once, even when several processes record it at the same moment
    (the first conversations on a fresh database, one per worker, used to fail with 500)."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    stmt = insert(PrivacyNotice).values(version=version, text=text, created_at=utcnow())
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["version"]))


async def notice_versions(session: AsyncSession) -> list[str]:
    rows = await session.scalars(select(PrivacyNotice.version))
    return list(rows)
