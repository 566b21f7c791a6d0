"""The cases' periodic work, run once across processes by ``core.jobs``: the daily summary of
due-soon and overdue cases to supervisors at 07:00 (Bogotá)."""

from __future__ import annotations

from datetime import time

from ventanilla.cases.summary import send_summary
from ventanilla.context import Context
from ventanilla.core.jobs import JobRun

SUMMARY_AT = time(7, 0)


async def daily_summary(run: JobRun) -> None:
    today = run.due_at.date()  # the slot, in the job's time zone (America/Bogota)
    if await send_summary(run.ctx.db, run.ctx.settings, today, once_per_day=True):
        run.ctx.wake_mail()


def register_jobs(ctx: Context) -> None:
    ctx.jobs.register("cases.daily_summary", daily_summary, at=SUMMARY_AT)
