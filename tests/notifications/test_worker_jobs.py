"""IMAP polling is a job (one process at a time), not a loop in every process."""

from __future__ import annotations

from ventanilla.core.db import Database
from ventanilla.core.jobs import Scheduler
from ventanilla.notifications.worker import MailWorker
from ventanilla.settings import JobsSettings, MailSettings, Settings


async def test_imap_polling_is_registered_as_a_leased_job(settings: Settings, db: Database) -> None:
    mail = MailSettings(worker=False, imap_host="imap.invalid", imap_poll_seconds=45)
    jobs = Scheduler(db, JobsSettings())
    worker = MailWorker(db, settings.model_copy(update={"mail": mail}))
    worker.start(jobs)
    try:
        job = jobs.jobs["mail.imap_poll"]
        assert job.every is not None and job.every.total_seconds() == 45
        assert worker._tasks == []  # no per-process polling loop
    finally:
        await worker.stop()
