"""Background work of a process: deliver the outbox, email unseen replies, poll IMAP, receive SMTP.

Safe to run in every process, and each piece happens once across processes:

* the outbox sender runs in every process; each email row is its own lease (``locked_until``,
  claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, serialised on SQLite), so
  senders share the work and a dead sender's emails are retaken when the lease expires;
* each burst of unseen replies is claimed by one conditional update of ``notified_seq``;
* the IMAP mailbox is polled by one process at a time: a ``mail.imap_poll`` job under a
  ``job_leases`` lease (``core.jobs``), taken over by another process if that one dies;
* the SMTP receiver listens in the processes where its port is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from ventanilla.core.db import Database
from ventanilla.core.jobs import JobFunc, JobRun, Scheduler
from ventanilla.notifications import inbound
from ventanilla.notifications.imap import ImapPoller
from ventanilla.notifications.receiver import start_receiver
from ventanilla.notifications.sender import Transport, create_transport, deliver_due
from ventanilla.notifications.service import entity_settings, notify_unseen
from ventanilla.settings import Settings

log = logging.getLogger(__name__)


class MailWorker:
    def __init__(
        self, db: Database, settings: Settings, transport: Transport | None = None
    ) -> None:
        self.db = db
        self.settings = settings
        self.transport = transport or create_transport(settings.mail)
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._receiver: object | None = None
        self.wake = asyncio.Event()

    async def run_once(self) -> None:
        """One round: write emails for unseen replies, then send what is due."""
        await notify_unseen(self.db, self.settings)
        async with self.db.unit() as uow:
            name = (await entity_settings(uow)).name
        while True:
            report = await deliver_due(self.db, self.transport, self.settings.mail, name)
            if report.sent + report.failed + report.retried < 20:
                break

    async def receive(self, raw: bytes, via: str = "smtp") -> None:
        await inbound.receive(self.db, raw, self.settings, via)

    def start(self, jobs: Scheduler | None = None) -> None:
        """Start the loops; with ``jobs``, IMAP polling is a job run once across processes."""
        mail = self.settings.mail
        if mail.worker:
            self._tasks.append(asyncio.create_task(self._loop(), name="mail-worker"))
        if mail.smtp_receiver_port:
            self._receiver = start_receiver(
                mail.smtp_receiver_host, mail.smtp_receiver_port, self.receive
            )
        if mail.imap_host:
            poller = ImapPoller(
                host=mail.imap_host,
                port=mail.imap_port,
                username=mail.imap_user,
                password=mail.imap_password,
                folder=mail.imap_folder,
                ssl=mail.imap_ssl,
                handle=lambda raw: self.receive(raw, "imap"),
            )
            if jobs is not None:
                jobs.register("mail.imap_poll", _poll(poller), every=mail.imap_poll_seconds)
            else:
                self._tasks.append(
                    asyncio.create_task(poller.run(mail.imap_poll_seconds, self._stop))
                )

    async def _loop(self) -> None:
        interval = self.settings.mail.worker_interval_seconds
        while not self._stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("mail worker round failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self.wake.wait()
            self.wake.clear()

    async def stop(self) -> None:
        self._stop.set()
        self.wake.set()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._receiver is not None:
            self._receiver.stop()  # type: ignore[attr-defined]


def _poll(poller: ImapPoller) -> JobFunc:
    async def poll(run: JobRun) -> None:
        handled = await poller.poll_once()
        if handled:
            log.info("imap: %d message(s) handled from %r", handled, poller)

    return poll
