"""The outbox: nothing is sent for a rolled-back change, and a sender killed mid-batch loses
nothing (its leases expire and another sender finishes the work)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from tests.clients import seed_demo
from tests.notifications.smtp_server import SmtpServer
from ventanilla.conversations import service
from ventanilla.conversations.schemas import StartIn
from ventanilla.core.db import Database
from ventanilla.entity.schemas import EntitySettings
from ventanilla.notifications.models import OutboxEmail
from ventanilla.notifications.worker import MailWorker
from ventanilla.settings import Settings


async def _outbox_count(db: Database) -> int:
    async with db.unit() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(OutboxEmail)) or 0)


async def test_no_email_for_a_rolled_back_change(db: Database, mail_settings: Settings) -> None:
    await seed_demo(mail_settings.database_url, mail_settings.base_url)
    entity = EntitySettings(privacy_notice_version="demo-2026-11")
    form = StartIn(
        name="Eva",
        email="eva@example.com",
        request_type="queja",
        privacy_accepted=True,
        privacy_version="demo-2026-11",
    )
    async with db.unit() as uow:
        conv, _ = await service.start(uow, form, entity, mail_settings.limits)
    with pytest.raises(RuntimeError):
        async with db.unit() as uow:
            await service.close(uow, conv.id, by=("citizen", None, "Eva"), settings=mail_settings)
            assert await uow.session.scalar(select(func.count()).select_from(OutboxEmail)) == 1
            raise RuntimeError("the request failed after the close")
    assert await _outbox_count(db) == 0
    async with db.unit() as uow:
        assert (await service.get(uow, conv.id)).status == "waiting"
    async with db.unit() as uow:
        await service.close(uow, conv.id, by=("citizen", None, "Eva"), settings=mail_settings)
    assert await _outbox_count(db) == 1


async def test_sender_killed_mid_batch_loses_nothing(
    db: Database, mail_settings: Settings, smtp: SmtpServer
) -> None:
    ids = []
    async with db.unit() as uow:
        for i in range(12):
            row = OutboxEmail(
                kind="test",
                to_address=f"c{i}@example.com",
                subject=f"n.º {i}",
                text_body="hola",
                html_body="<p>hola</p>",
                message_id=f"m{i}@canal.test",
            )
            uow.session.add(row)
            ids.append(f"<m{i}@canal.test>")
    smtp.recorder.delay = 0.25
    m = mail_settings.mail
    env = {
        **os.environ,
        "VENTANILLA_DATABASE_URL": mail_settings.database_url,
        "VENTANILLA_MAIL__SMTP_HOST": "127.0.0.1",
        "VENTANILLA_MAIL__SMTP_PORT": str(m.smtp_port),
        "VENTANILLA_MAIL__SMTP_SECURITY": "none",
        "VENTANILLA_MAIL__LEASE_SECONDS": "1",
        "VENTANILLA_MAIL__WORKER_INTERVAL_SECONDS": "0.1",
    }
    proc = subprocess.Popen([sys.executable, "-m", "ventanilla.cli", "mail", "worker"], env=env)
    try:
        await smtp.wait_for(3, timeout=30)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert len(smtp.messages) < 12, "the sender finished before it could be killed"

    m.smtp_receiver_port = 0
    worker = MailWorker(db, mail_settings)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not set(ids) <= {x["Message-ID"] for x in smtp.messages}:
        await worker.run_once()
        await asyncio.sleep(0.2)
    got = [x["Message-ID"] for x in smtp.messages]
    assert set(got) == set(ids)
    assert len(got) - len(set(got)) <= 1  # at most the one in flight when it died is sent twice
    async with db.unit() as uow:
        statuses = set(await uow.session.scalars(select(OutboxEmail.status)))
    assert statuses == {"sent"}
