"""Durable replies: every citizen message the assistant owes a reply has a row in
``assistant_jobs``, written in the message's own transaction (``assistant/queue.py``).

The process that stored the message claims its job at once and replies (the fast path). If that
process dies first, the row stays: a sweep, run every few seconds under ``core.jobs`` (once across
processes), claims jobs nobody took within ``ORPHANED_AFTER`` or whose lease ran out, and replies
to them. A claim is one conditional update (works alike on SQLite and PostgreSQL, one winner);
the reply deletes the job in its own transaction only while the claim still holds it, so a
message is answered once even when two runs race. A job that keeps failing is handed to a
person after ``MAX_ATTEMPTS``.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from datetime import timedelta

from ventanilla.assistant import flow, repository
from ventanilla.context import Context
from ventanilla.core.db import utcnow
from ventanilla.core.jobs import JobRun

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=120)  # longer than any reply, the first engine build included
ORPHANED_AFTER = timedelta(seconds=10)  # unclaimed this long: its process did not get to it
SWEEP_SECONDS = 5.0
MAX_ATTEMPTS = 3
OWNER = f"{socket.gethostname()}:{os.getpid()}"


def after_citizen_message(ctx: Context, conversation_id: str, seq: int) -> None:
    """The fast path: reply now, in the background, to the message just stored."""

    async def run() -> None:
        await _run(ctx, message=(conversation_id, seq))

    ctx.assistant.spawn(run())


async def _run(
    ctx: Context, *, job_id: int | None = None, message: tuple[str, int] | None = None
) -> bool:
    token = f"{OWNER}:{secrets.token_hex(6)}"
    now = utcnow()
    async with ctx.db.unit() as uow:
        job = await repository.claim_job(
            uow.session, token, now, now + LEASE, job_id=job_id, message=message
        )
        if job is None:
            return False
        claim = flow.Claim(job.id, token, job.conversation_id, job.text, job.attempts)
    await flow.reply(ctx, claim, MAX_ATTEMPTS)
    return True


async def sweep(run: JobRun) -> None:
    """Reply to the messages whose process died before (or while) replying."""
    now = utcnow()
    async with run.ctx.db.unit() as uow:
        due = await repository.due_jobs(uow.session, now, now - ORPHANED_AFTER)
    done = 0
    for job_id in due:
        done += await _run(run.ctx, job_id=job_id)
    if done:
        log.info("assistant: replied to %d message(s) left by a stopped process", done)


def register_jobs(ctx: Context) -> None:
    ctx.jobs.register("assistant.replies", sweep, every=SWEEP_SECONDS)
