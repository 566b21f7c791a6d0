"""Queries on ``job_leases``: every claim is one conditional UPDATE, atomic on SQLite and
PostgreSQL alike (SQLite serialises writers; PostgreSQL re-checks the WHERE clause of a row
another transaction changed before updating it)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.core.models import JobLease

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def ensure(session: AsyncSession, name: str, last_run_at: datetime | None) -> None:
    """Create the job's row unless it exists (several processes may do this at once)."""
    values = {
        "name": name,
        "owner": "",
        "expires_at": EPOCH,
        "last_run_at": last_run_at,
        "last_error": "",
        "runs": 0,
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    await session.execute(insert(JobLease).values(**values).on_conflict_do_nothing())


async def all_leases(session: AsyncSession, names: list[str]) -> dict[str, JobLease]:
    rows = await session.scalars(select(JobLease).where(JobLease.name.in_(names)))
    return {row.name: row for row in rows}


async def claim(
    session: AsyncSession,
    name: str,
    owner: str,
    now: datetime,
    until: datetime,
    last_run_before: datetime,
) -> bool:
    """Take the job if nobody holds it and it has not run since ``last_run_before``."""
    result = await session.execute(
        update(JobLease)
        .where(
            JobLease.name == name,
            JobLease.expires_at < now,
            or_(JobLease.last_run_at.is_(None), JobLease.last_run_at < last_run_before),
        )
        .values(owner=owner, expires_at=until)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def renew(session: AsyncSession, name: str, owner: str, until: datetime) -> bool:
    """Extend our lease; False if we no longer hold it (it expired and someone took over)."""
    result = await session.execute(
        update(JobLease)
        .where(JobLease.name == name, JobLease.owner == owner)
        .values(expires_at=until)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def finish(
    session: AsyncSession,
    name: str,
    owner: str,
    *,
    started_at: datetime | None,
    free_at: datetime,
    error: str = "",
) -> bool:
    """Release the lease. ``started_at`` records a success; ``None`` leaves the job due (failure
    or shutdown), and ``free_at`` says when another attempt may start."""
    values: dict[str, object] = {"owner": "", "expires_at": free_at, "last_error": error[:500]}
    if started_at is not None:
        values["last_run_at"] = started_at
        values["runs"] = JobLease.runs + 1
    result = await session.execute(
        update(JobLease)
        .where(JobLease.name == name, JobLease.owner == owner)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)
