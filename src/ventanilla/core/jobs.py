"""Background jobs that run exactly once across all processes, and resume after one dies.

Register a job on the app's scheduler (``ctx.jobs``) before the app starts::

    ctx.jobs.register("cases.daily_summary", daily_summary, at=time(7, 0))   # 07:00 Bogotá
    ctx.jobs.register("reports.figures", compute_figures, every=3600)          # seconds

Every process runs the same scheduler. Each job has a row in ``job_leases``; a process runs a
job only after winning the lease with one conditional ``UPDATE … WHERE expires_at < now`` (see
``core.leases``), renews it while the job runs, and releases it when done, recording the start
time as ``last_run_at`` only if the job succeeded. A process that dies stops renewing; once its
lease expires another process finds the job still due and runs it. A job that failed is retried
after ``jobs.retry_seconds``.

Guarantee: a run that *succeeded* is never repeated for the same slot; a run interrupted by a
crash is run again (at least once). A job that cannot be repeated safely should also mark its
own work as done in the same transaction as the work (as the outbox and filing numbers do).
Clocks of the nodes must agree to well under the lease time (NTP).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from ventanilla.core import leases
from ventanilla.core.db import Database, utcnow
from ventanilla.settings import JobsSettings

if TYPE_CHECKING:
    from ventanilla.context import Context

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobRun:
    """What a job function receives: the app's context and the moment this run is for."""

    ctx: Context
    name: str
    due_at: datetime  # the daily slot (in the job's time zone) or, for ``every``, now (UTC)
    last_run_at: datetime | None  # the previous successful run, if any


JobFunc = Callable[[JobRun], Coroutine[Any, Any, None]]


@dataclass(frozen=True)
class Job:
    name: str
    func: JobFunc
    every: timedelta | None
    at: time | None
    tz: ZoneInfo
    lease: timedelta

    def due_at(self, now: datetime) -> datetime:
        """The slot a run at ``now`` would be for: the latest ``at`` not after now, or now."""
        if self.at is None:
            return now
        local = now.astimezone(self.tz)
        slot = datetime.combine(local.date(), self.at, tzinfo=self.tz)
        return slot if slot <= local else slot - timedelta(days=1)

    def last_run_before(self, now: datetime) -> datetime:
        """The job is due when its last successful run started before this moment."""
        if self.every is not None:
            return now - self.every
        return self.due_at(now).astimezone(UTC)

    def is_due(self, last_run_at: datetime | None, now: datetime) -> bool:
        return last_run_at is None or last_run_at < self.last_run_before(now)


class Scheduler:
    """Runs the registered jobs of this process under leases shared through the database."""

    def __init__(self, db: Database, settings: JobsSettings) -> None:
        self.db = db
        self.settings = settings
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.jobs: dict[str, Job] = {}
        self.runs: Counter[tuple[str, str]] = Counter()  # (job, "ok"|"error"|"lost") -> count
        self.ctx: Context | None = None
        self._wake = asyncio.Event()
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._running: dict[str, asyncio.Task[None]] = {}

    def register(
        self,
        name: str,
        func: JobFunc,
        *,
        every: float | timedelta | None = None,
        at: time | None = None,
        tz: str | None = None,
        lease_seconds: float | None = None,
    ) -> Job:
        """Add a job: ``every`` N seconds, or daily ``at`` a local time (``tz``, default
        ``jobs.timezone``, America/Bogota). Names are unique; register before the app starts."""
        if (every is None) == (at is None):
            raise ValueError("give exactly one of every= or at=")
        if name in self.jobs:
            raise ValueError(f"job {name!r} is already registered")
        if self._loop_task is not None:
            raise RuntimeError("register jobs before the scheduler starts")
        if len(name) > 100:
            raise ValueError("job names are at most 100 characters")
        period = timedelta(seconds=every) if isinstance(every, int | float) else every
        if period is not None and period <= timedelta(0):
            raise ValueError("every= must be positive")
        lease = timedelta(seconds=lease_seconds or self.settings.lease_seconds)
        job = Job(name, func, period, at, ZoneInfo(tz or self.settings.timezone), lease)
        self.jobs[name] = job
        return job

    def start(self, ctx: Context) -> None:
        self.ctx = ctx
        if self.settings.enabled and self.jobs:
            self._loop_task = asyncio.create_task(self._loop(), name="job-scheduler")

    def wake(self) -> None:
        """Look for due jobs now instead of at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop polling, cancel running jobs and free their leases for another process."""
        self._stopping = True
        self._wake.set()
        tasks = [t for t in (self._loop_task, *self._running.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def tick(self) -> list[str]:
        """Start every job that is due and whose lease this process wins; returns their names."""
        now = utcnow()
        async with self.db.unit() as uow:
            rows = await leases.all_leases(uow.session, list(self.jobs))
        started = []
        for name, job in self.jobs.items():
            row = rows.get(name)
            if row is None or name in self._running or row.expires_at >= now:
                continue
            if not job.is_due(row.last_run_at, now):
                continue
            async with self.db.unit() as uow:
                won = await leases.claim(
                    uow.session, name, self.owner, now, now + job.lease, job.last_run_before(now)
                )
            if won:
                run = JobRun(self._context(), name, job.due_at(now), row.last_run_at)
                self._running[name] = asyncio.create_task(self._run(job, run, now), name=name)
                started.append(name)
        return started

    async def idle(self) -> None:
        """Wait for the jobs this process is running (tests)."""
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    def _context(self) -> Context:
        if self.ctx is None:
            raise RuntimeError("the scheduler has not been started")
        return self.ctx

    async def _ensure_rows(self) -> None:
        now = utcnow()
        async with self.db.unit() as uow:
            for job in self.jobs.values():
                # A daily job starts counting from now: it does not "catch up" slots from
                # before it existed (a restart after a missed slot does catch up).
                await leases.ensure(uow.session, job.name, None if job.every else now)

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self._ensure_rows()
                break
            except Exception:
                log.exception("could not create the job leases; retrying")
                await asyncio.sleep(self.settings.poll_seconds)
        while not self._stopping:
            try:
                await self.tick()
            except Exception:
                log.exception("job scheduler tick failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settings.poll_seconds):
                    await self._wake.wait()
            self._wake.clear()

    async def _run(self, job: Job, run: JobRun, started_at: datetime) -> None:
        work = asyncio.create_task(job.func(run), name=f"job:{job.name}")
        renewer = asyncio.create_task(self._renew(job, work))
        outcome, error = "ok", ""
        try:
            await work
        except asyncio.CancelledError:
            outcome = "lost" if renewer.done() else "cancelled"
            if outcome == "cancelled" and not work.done():
                work.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await work
        except Exception as exc:
            log.exception("job %s failed", job.name)
            outcome, error = "error", f"{type(exc).__name__}: {exc}"
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            self._running.pop(job.name, None)
        self.runs[(job.name, outcome)] += 1
        if outcome == "lost":
            return
        now = utcnow()
        free_at = now + timedelta(seconds=self.settings.retry_seconds) if error else now
        try:
            async with self.db.unit() as uow:
                await leases.finish(
                    uow.session,
                    job.name,
                    self.owner,
                    started_at=started_at if outcome == "ok" else None,
                    free_at=free_at,
                    error=error,
                )
        except Exception:
            log.exception("could not release the lease of job %s", job.name)
        if outcome == "cancelled":
            raise asyncio.CancelledError

    async def _renew(self, job: Job, work: asyncio.Task[None]) -> None:
        """Keep the lease while the job runs; cancel the job if another process took it."""
        interval = job.lease.total_seconds() / 3
        while True:
            await asyncio.sleep(interval)
            try:
                async with self.db.unit() as uow:
                    kept = await leases.renew(
                        uow.session, job.name, self.owner, utcnow() + job.lease
                    )
            except Exception:
                log.warning("could not renew the lease of job %s", job.name, exc_info=True)
                continue
            if not kept:
                log.error("job %s lost its lease to another process; stopping it", job.name)
                work.cancel()
                return
