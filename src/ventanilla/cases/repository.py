"""Queries of the cases domain."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.cases.models import Case, FilingSequence


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


async def for_conversation(session: AsyncSession, conversation_id: str) -> Case | None:
    return await session.scalar(select(Case).where(Case.conversation_id == conversation_id))
