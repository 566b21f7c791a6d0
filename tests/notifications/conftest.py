from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import LiveServer, free_port
from tests.notifications.smtp_server import SmtpServer
from ventanilla.settings import MailSettings, Settings


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_settings(settings: Settings, smtp: SmtpServer) -> Settings:
    settings.mail = MailSettings(
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        from_address="atencion@canal.test",
        inbound_address="respuesta@correo.canal.test",
        smtp_receiver_port=free_port(),
        unseen_delay_seconds=0.3,
        worker_interval_seconds=0.1,
        retry_base_seconds=0.2,
        lease_seconds=1.0,
        link_ttl_hours=1,
    )
    return settings


@pytest.fixture
def mail_server(mail_settings: Settings) -> Iterator[LiveServer]:
    live = LiveServer(mail_settings)
    live.start()
    yield live
    live.stop()
