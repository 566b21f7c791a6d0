"""The real ImapPoller (imaplib in worker threads) against a real IMAP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tests.notifications.imap_server import ImapServer
from ventanilla.notifications.imap import (
    ImapAuthError,
    ImapConnectionError,
    ImapError,
    ImapPoller,
)
from ventanilla.notifications.mailparse import parse_mail

USER = "buzon@correo.entidad.gov.co"
PASSWORD = 'cl@ve "secreta" \\ 2026'


def reply(n: int) -> bytes:
    return (
        f"From: Ciudadano {n} <ciudadano{n}@example.com>\r\n"
        "To: respuesta+c_AbC123.9f8e7d@correo.entidad.gov.co\r\n"
        f"Subject: Re: Solicitud {n}\r\n"
        f"Message-ID: <reply-{n}@example.com>\r\n"
        'Content-Type: text/plain; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
        f"Respuesta número {n}.\r\n\r\n"
        "El lun, 3 nov 2026 a las 10:02, Canal Capital <x@e.gov.co> escribió:\r\n"
        "> Hola\r\n"
    ).encode()


@pytest.fixture
async def imap() -> AsyncIterator[ImapServer]:
    server = ImapServer({USER: PASSWORD})
    await server.start()
    yield server
    await server.stop()


class Recorder:
    """A handler that parses what it gets, like the real one, and can be told to fail."""

    def __init__(self, server: ImapServer | None = None) -> None:
        self.server = server
        self.texts: list[str] = []
        self.fail_on: set[str] = set()
        self.threads: set[int] = set()
        self.seen_during_handle: list[bool] = []

    async def __call__(self, raw: bytes) -> None:
        self.threads.add(threading.get_ident())
        parsed = parse_mail(raw)
        if self.server is not None:
            uid = next(m.uid for m in self.server.messages if m.raw == raw)
            self.seen_during_handle.append(self.server.is_seen(uid))
        if parsed.text in self.fail_on:
            raise RuntimeError("database unavailable")
        self.texts.append(parsed.text)


def poller(
    server: ImapServer, handle: Callable[[bytes], Awaitable[None]], **kw: object
) -> ImapPoller:
    options: dict[str, object] = {"password": PASSWORD, "timeout": 5.0, **kw}
    return ImapPoller(
        host="127.0.0.1",
        port=server.port,
        username=USER,
        handle=handle,
        ssl=False,
        **options,  # type: ignore[arg-type]
    )


async def test_three_unseen_handled_and_marked_seen(imap: ImapServer) -> None:
    old = imap.add(reply(0), seen=True)
    uids = [imap.add(reply(n)) for n in (1, 2, 3)]
    handler = Recorder(imap)

    assert await poller(imap, handler).poll_once() == 3

    assert handler.texts == ["Respuesta número 1.", "Respuesta número 2.", "Respuesta número 3."]
    assert handler.seen_during_handle == [False, False, False]  # BODY.PEEK, flagged after
    assert handler.threads == {threading.get_ident()}  # the handler runs in the event loop
    assert all(imap.is_seen(uid) for uid in [old, *uids])
    assert imap.commands.count("UID FETCH") == 3
    assert imap.commands.count("UID STORE") == 3
    assert imap.commands[-1] == "LOGOUT"


async def test_second_poll_handles_none(imap: ImapServer) -> None:
    for n in (1, 2, 3):
        imap.add(reply(n))
    handler = Recorder()
    p = poller(imap, handler)
    assert await p.poll_once() == 3
    assert await p.poll_once() == 0
    assert len(handler.texts) == 3
    assert imap.commands.count("LOGOUT") == 2


async def test_failing_handler_leaves_only_that_message_unseen(
    imap: ImapServer, caplog: pytest.LogCaptureFixture
) -> None:
    uids = [imap.add(reply(n)) for n in (1, 2, 3)]
    handler = Recorder()
    handler.fail_on = {"Respuesta número 2."}
    p = poller(imap, handler)

    with caplog.at_level(logging.ERROR):
        assert await p.poll_once() == 2
    assert [imap.is_seen(u) for u in uids] == [True, False, True]
    assert "handler failed" in caplog.text
    assert imap.commands[-1] == "LOGOUT"

    handler.fail_on.clear()
    assert await p.poll_once() == 1
    assert all(imap.is_seen(u) for u in uids)
    assert handler.texts == ["Respuesta número 1.", "Respuesta número 3.", "Respuesta número 2."]


async def test_failed_messages_do_not_starve_new_ones(imap: ImapServer) -> None:
    imap.add(reply(1))
    handler = Recorder()
    handler.fail_on = {"Respuesta número 1."}
    p = poller(imap, handler, max_messages=1)
    assert await p.poll_once() == 0
    imap.add(reply(2))
    assert await p.poll_once() == 1  # the new message goes before the one that failed
    assert handler.texts == ["Respuesta número 2."]


async def test_slow_handler_times_out_and_stays_unseen(imap: ImapServer) -> None:
    uid = imap.add(reply(1))

    async def slow(raw: bytes) -> None:
        await asyncio.sleep(5)

    assert await poller(imap, slow, handle_timeout=0.1).poll_once() == 0
    assert not imap.is_seen(uid)


async def test_max_messages_per_poll(imap: ImapServer) -> None:
    for n in (1, 2, 3):
        imap.add(reply(n))
    p = poller(imap, Recorder(), max_messages=2)
    assert await p.poll_once() == 2
    assert await p.poll_once() == 1


async def test_wrong_password_is_a_clear_error(imap: ImapServer) -> None:
    uid = imap.add(reply(1))
    handler = Recorder()
    with pytest.raises(ImapAuthError) as err:
        await poller(imap, handler, password="equivocada").poll_once()
    message = str(err.value)
    assert "login refused" in message and USER in message and "AUTHENTICATIONFAILED" in message
    assert "equivocada" not in message and err.value.__cause__ is None
    assert handler.texts == [] and not imap.is_seen(uid)
    assert imap.commands == ["CAPABILITY", "LOGIN", "LOGOUT"]


async def test_missing_folder(imap: ImapServer) -> None:
    with pytest.raises(ImapError, match="Archivo Ciudadanos"):
        await poller(imap, Recorder(), folder="Archivo Ciudadanos").poll_once()
    assert imap.commands[-1] == "LOGOUT"


async def free_port_of_stopped_server() -> ImapServer:
    server = ImapServer({USER: PASSWORD})
    await server.start()
    await server.stop()
    return server


async def test_server_down_raises_connection_error() -> None:
    down = await free_port_of_stopped_server()
    with pytest.raises(ImapConnectionError, match=r"cannot reach 127\.0\.0\.1"):
        await poller(down, Recorder()).poll_once()


async def test_run_survives_server_down_and_recovers(caplog: pytest.LogCaptureFixture) -> None:
    server = await free_port_of_stopped_server()
    handler = Recorder()
    p = poller(server, handler)
    polls: list[str] = []
    original = p.poll_once

    async def counted() -> int:
        try:
            handled = await original()
        except Exception as exc:
            polls.append(type(exc).__name__)
            raise
        polls.append(f"ok:{handled}")
        return handled

    p.poll_once = counted  # type: ignore[method-assign]
    stop = asyncio.Event()
    with caplog.at_level(logging.WARNING):
        task = asyncio.create_task(p.run(0.02, stop, max_backoff_seconds=0.1))
        async with asyncio.timeout(5):
            while len(polls) < 3:
                await asyncio.sleep(0.01)
        assert polls[:3] == ["ImapConnectionError"] * 3
        assert not task.done()

        server.add(reply(1))
        await server.start(server.port)  # the mail server comes back
        try:
            async with asyncio.timeout(5):
                while "ok:1" not in polls:
                    await asyncio.sleep(0.01)
            stop.set()
            await asyncio.wait_for(task, 2)
        finally:
            await server.stop()
    assert handler.texts == ["Respuesta número 1."]
    assert "failed (1 in a row)" in caplog.text


async def test_run_stops_promptly_during_a_long_wait(imap: ImapServer) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(poller(imap, Recorder()).run(3600, stop))
    async with asyncio.timeout(5):
        while "LOGOUT" not in imap.commands:
            await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 1)


def test_repr_hides_password() -> None:
    p = ImapPoller(
        host="imap.e.gov.co", port=993, username=USER, password=PASSWORD, handle=Recorder()
    )
    assert PASSWORD not in repr(p) and USER in repr(p)
