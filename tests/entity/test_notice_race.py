"""Recording a privacy-notice version is safe when several processes do it at the same moment."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from ventanilla.core.db import Database
from ventanilla.entity import repository
from ventanilla.entity.models import PrivacyNotice


async def test_the_same_notice_recorded_at_once_by_two_units(db: Database) -> None:
    """The first conversations on a fresh PostgreSQL, one per worker, used to fail with 500
    (duplicate key) when each recorded the notice version they were consenting to."""
    both = asyncio.Event()
    arrived = 0

    async def record() -> None:
        nonlocal arrived
        async with db.unit() as uow:
            arrived += 1
            if arrived == 2:
                both.set()
            await asyncio.wait_for(both.wait(), 5)  # both units open before either writes
            await repository.add_notice(uow.session, "v-carrera", "Aviso de privacidad")

    await asyncio.gather(record(), record())
    async with db.unit() as uow:
        same = PrivacyNotice.version == "v-carrera"
        query = select(func.count()).select_from(PrivacyNotice).where(same)
        count = await uow.session.scalar(query)
    assert count == 1
