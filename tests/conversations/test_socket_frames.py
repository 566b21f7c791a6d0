"""Malformed frames get an error frame and the socket stays usable; limits apply."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from websockets.exceptions import ConnectionClosed

from tests.clients import Citizen, seed_demo
from tests.conftest import LiveServer
from ventanilla.settings import RealtimeSettings, Settings

# every test here runs with the websockets on the HTTP port and on their own listener
pytestmark = pytest.mark.parametrize("settings", ["http", "own"], indirect=True)


@pytest.fixture
async def citizen(server: LiveServer) -> Citizen:
    await seed_demo(server.settings.database_url, server.url)
    c = Citizen(server.url)
    await c.start()
    await c.connect()
    return c


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("not json", "frame_invalid"),
        ("[1,2]", "frame_invalid"),
        (json.dumps({"type": "teleport"}), "frame_invalid"),
        (json.dumps({"type": "message", "client_id": "a", "body": 5}), "frame_invalid"),
        (json.dumps({"type": "message", "client_id": "a b", "body": "hola"}), "client_id_invalid"),
        (json.dumps({"type": "message", "client_id": "a", "body": "   "}), "message_empty"),
        (json.dumps({"type": "message", "client_id": "a", "body": "x" * 4001}), "message_too_long"),
        (
            json.dumps({"type": "message", "client_id": "a", "body": "hola\x00"}),
            "invalid_characters",
        ),
        (json.dumps({"type": "seen", "seq": "diez"}), "frame_invalid"),
        ("x" * 20000, "frame_too_large"),
    ],
)
async def test_bad_frames(citizen: Citizen, raw: str, code: str) -> None:
    assert citizen.socket
    await citizen.socket.ws.send(raw)
    err = await citizen.socket.expect_type("error")
    assert err["code"] == code
    assert err["message"] and not err["message"].startswith("error.")
    ok = await citizen.say("sigo aquí")  # the socket is still usable
    assert ok["type"] == "ack" and ok["seq"] == 1  # and nothing was stored before
    await citizen.close()


async def test_binary_frames_are_refused(citizen: Citizen) -> None:
    assert citizen.socket
    await citizen.socket.ws.send(b"\x00\x01")
    assert (await citizen.socket.expect_type("error"))["code"] == "frame_invalid"
    await citizen.close()


async def test_ping_pong(citizen: Citizen) -> None:
    assert citizen.socket
    await citizen.socket.send({"type": "ping"})
    await citizen.socket.expect_type("pong")
    await citizen.close()


async def test_citizen_messages_are_rate_limited_and_retry_works(
    server: LiveServer, citizen: Citizen
) -> None:
    server.ctx.citizen_messages.limit = 3
    acks = [await citizen.say(f"m{i}") for i in range(4)]
    assert [a["type"] for a in acks] == ["ack", "ack", "ack", "error"]
    assert acks[3]["code"] == "rate_limited" and acks[3]["client_id"]
    server.ctx.citizen_messages.limit = 4  # (reset from this thread would cross event loops)
    retry = await citizen.say("m3", client_id=acks[3]["client_id"])
    assert retry["type"] == "ack" and retry["seq"] == 4
    await citizen.close()


async def test_ended_conversation_refuses_messages(citizen: Citizen) -> None:
    assert citizen.socket
    await citizen.socket.send({"type": "end"})
    closed = await citizen.event(kind="closed")
    assert closed["data"]["by"] == "citizen"
    err = await citizen.say("¿hola?")
    assert err["type"] == "error" and err["code"] == "conversation_closed"
    await citizen.close()


async def test_silent_client_is_disconnected(server: LiveServer) -> None:
    import websockets

    await seed_demo(server.settings.database_url, server.url)
    server.settings.realtime.hello_timeout_seconds = 0.5
    ws = await websockets.connect(server.ws_url + "/ws/widget", origin=server.url)  # type: ignore[arg-type]
    with pytest.raises(websockets.ConnectionClosed) as exc:
        await ws.recv()
    assert exc.value.rcvd is not None and exc.value.rcvd.code == 4401


async def test_a_silent_socket_is_closed_after_three_missed_heartbeats(
    settings: Settings,
) -> None:
    fast = settings.model_copy(
        # 1 s, not less: the talker must answer within three beats even on a busy machine.
        update={"realtime": RealtimeSettings(heartbeat_seconds=1.0, hello_timeout_seconds=3)}
    )
    live = LiveServer(fast)
    live.start()
    try:
        await seed_demo(fast.database_url, live.url)
        talker, silent = Citizen(live.url), Citizen(live.url)
        for c in (talker, silent):
            await c.start()
            await c.connect()
        assert silent.socket is not None and talker.socket is not None
        # The talker answers every ping (Socket.expect does) while the other one stays silent.
        answering = asyncio.create_task(talker.socket.nothing(lambda f: False, wait=60))
        pings = 0
        with pytest.raises(ConnectionClosed) as closed:
            async with asyncio.timeout(30):
                while True:  # read, never answer the pings
                    frame = json.loads(await silent.socket.ws.recv())
                    pings += frame["type"] == "ping"
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4408
        assert pings >= 2
        # The one that answers is still served.
        answering.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await answering
        assert (await talker.say("sigo aquí"))["type"] == "ack"
        await talker.close()
    finally:
        live.stop()
