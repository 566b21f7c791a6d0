"""Jobs under database leases: one run across processes, takeover after a death, daily slots."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from ventanilla.context import Context
from ventanilla.core import leases
from ventanilla.core.db import Database, utcnow
from ventanilla.core.jobs import Job, JobRun, Scheduler
from ventanilla.core.models import JobLease
from ventanilla.settings import JobsSettings

BOGOTA = ZoneInfo("America/Bogota")
FAKE_CTX = cast(Context, object())


def scheduler(url: str, **settings: Any) -> Scheduler:
    sched = Scheduler(Database(url), JobsSettings(**settings))
    sched.ctx = FAKE_CTX
    return sched


async def row(db: Database, name: str) -> JobLease:
    async with db.unit() as uow:
        found = (await leases.all_leases(uow.session, [name]))[name]
    return found


async def set_lease(db: Database, name: str, **values: Any) -> None:
    async with db.unit() as uow:
        await uow.session.execute(update(JobLease).where(JobLease.name == name).values(**values))


async def test_a_job_registered_in_two_processes_runs_once(database_url: str) -> None:
    calls: list[str] = []

    async def job(run: JobRun) -> None:
        calls.append(run.name)
        await asyncio.sleep(0)

    first, second = scheduler(database_url), scheduler(database_url)
    try:
        for sched in (first, second):
            sched.register("test.hourly", job, every=3600)
            await sched._ensure_rows()
        started = await asyncio.gather(first.tick(), second.tick())
        await first.idle()
        await second.idle()
        assert sorted(len(s) for s in started) == [0, 1]
        assert calls == ["test.hourly"]
        # Done for this hour: neither process runs it again.
        assert await first.tick() == [] and await second.tick() == []
        stored = await row(first.db, "test.hourly")
        assert stored.runs == 1 and stored.owner == "" and stored.last_run_at is not None
    finally:
        await first.db.dispose()
        await second.db.dispose()


async def test_a_dead_holders_job_is_taken_over_after_its_lease(database_url: str) -> None:
    calls: list[datetime | None] = []

    async def job(run: JobRun) -> None:
        calls.append(run.last_run_at)

    survivor = scheduler(database_url)
    survivor.register("test.every", job, every=60)
    try:
        await survivor._ensure_rows()
        # Another process claimed the job and died: its lease is still valid.
        now = utcnow()
        async with survivor.db.unit() as uow:
            assert await leases.claim(
                uow.session, "test.every", "dead-node", now, now + timedelta(hours=1), now
            )
        assert await survivor.tick() == []
        await set_lease(survivor.db, "test.every", expires_at=now - timedelta(seconds=1))
        assert await survivor.tick() == ["test.every"]
        await survivor.idle()
        assert calls == [None]
        stored = await row(survivor.db, "test.every")
        assert stored.runs == 1 and stored.owner == ""
    finally:
        await survivor.db.dispose()


async def test_a_failed_job_stays_due_and_waits_before_a_retry(database_url: str) -> None:
    async def job(run: JobRun) -> None:
        raise RuntimeError("smtp down")

    sched = scheduler(database_url, retry_seconds=300)
    sched.register("test.failing", job, every=60)
    try:
        await sched._ensure_rows()
        assert await sched.tick() == ["test.failing"]
        await sched.idle()
        stored = await row(sched.db, "test.failing")
        assert stored.last_run_at is None and stored.runs == 0
        assert "smtp down" in stored.last_error
        assert stored.expires_at > utcnow() + timedelta(seconds=200)
        assert await sched.tick() == []
        assert sched.runs[("test.failing", "error")] == 1
    finally:
        await sched.db.dispose()


async def test_a_job_that_loses_its_lease_is_stopped(database_url: str) -> None:
    started = asyncio.Event()

    async def job(run: JobRun) -> None:
        started.set()
        await asyncio.Event().wait()

    sched = scheduler(database_url)
    sched.register("test.slow", job, every=60, lease_seconds=0.3)
    try:
        await sched._ensure_rows()
        await sched.tick()
        await started.wait()
        await set_lease(sched.db, "test.slow", owner="someone-else")
        await sched.idle()
        assert sched.runs[("test.slow", "lost")] == 1
        assert (await row(sched.db, "test.slow")).owner == "someone-else"
    finally:
        await sched.db.dispose()


async def test_stopping_frees_the_lease_without_recording_a_run(database_url: str) -> None:
    started = asyncio.Event()

    async def job(run: JobRun) -> None:
        started.set()
        await asyncio.Event().wait()

    sched = scheduler(database_url)
    sched.register("test.stop", job, every=60)
    try:
        await sched._ensure_rows()
        await sched.tick()
        await started.wait()
        await sched.stop()
        stored = await row(sched.db, "test.stop")
        assert stored.owner == "" and stored.last_run_at is None
        assert stored.expires_at <= utcnow()
    finally:
        await sched.db.dispose()


def _daily(at: time) -> Job:
    async def nothing(run: JobRun) -> None:
        return None

    return Job("d", nothing, None, at, BOGOTA, timedelta(seconds=60))


def test_daily_slots_are_local_times() -> None:
    job = _daily(time(7, 0))
    # 11:30 UTC is 06:30 in Bogotá (UTC-5): the slot is yesterday's 07:00.
    now = datetime(2026, 3, 10, 11, 30, tzinfo=UTC)
    assert job.due_at(now) == datetime(2026, 3, 9, 7, 0, tzinfo=BOGOTA)
    later = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)  # 07:00 Bogotá
    assert job.due_at(later) == datetime(2026, 3, 10, 7, 0, tzinfo=BOGOTA)
    ran_yesterday = datetime(2026, 3, 9, 12, 0, 5, tzinfo=UTC)
    assert not job.is_due(ran_yesterday, now)
    assert job.is_due(ran_yesterday, later)
    assert not job.is_due(later + timedelta(seconds=1), later + timedelta(hours=5))


def test_register_refuses_ambiguous_or_duplicate_jobs(database_url: str) -> None:
    sched = Scheduler(Database(database_url), JobsSettings())

    async def job(run: JobRun) -> None:
        return None

    with pytest.raises(ValueError):
        sched.register("x", job)
    with pytest.raises(ValueError):
        sched.register("x", job, every=10, at=time(7))
    with pytest.raises(ValueError):
        sched.register("x", job, every=0)
    sched.register("x", job, every=10)
    with pytest.raises(ValueError):
        sched.register("x", job, every=10)
