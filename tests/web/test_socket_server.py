"""The websockets' own listener (web/socket_server.py): ASGI semantics over picows.

Ventanilla's own sockets run over it in tests/conversations/test_live_chat.py and
test_socket_frames.py, tests/satisfaction/test_live_view.py (``settings`` param ``own``).
Here: what an ASGI websocket server must get right, with a small app that shows it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.clients import Agent, Citizen, create_user, seed_demo
from tests.conftest import LiveServer, free_port
from ventanilla.web.socket_server import AsgiSocket, SocketGone, SocketServer, start

pytestmark = pytest.mark.asyncio

SCOPES: list[dict[str, Any]] = []
ENDED: list[dict[str, Any]] = []


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Echo text as text and bytes as bytes; ``close:<code>`` closes with that code,
    ``boom`` raises, ``scope`` answers with what the app was given."""
    SCOPES.append(scope)
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            ENDED.append(message)
            return
        text = message.get("text")
        if text is None:
            await send({"type": "websocket.send", "bytes": message["bytes"]})
        elif text.startswith("close:"):
            await send({"type": "websocket.close", "code": int(text[6:]), "reason": "adiós"})
        elif text == "boom":
            raise RuntimeError("boom")
        elif text == "burst":  # frames of each length encoding, then a close: all in one turn
            for size in (10, 300, 70_000):
                await send({"type": "websocket.send", "text": "x" * size})
            await send({"type": "websocket.send", "bytes": b"\x00" * 126})
            await send({"type": "websocket.close", "code": 4000, "reason": "fin"})
        elif text == "scope":
            info = {k: scope[k] for k in ("path", "query_string", "client", "scheme")}
            info["query_string"] = info["query_string"].decode()
            info["origin"] = dict(scope["headers"]).get(b"origin", b"").decode()
            await send({"type": "websocket.send", "text": json.dumps(info)})
        else:
            await send({"type": "websocket.send", "text": text})


@pytest.fixture
async def listener() -> AsyncIterator[SocketServer]:
    SCOPES.clear()
    ENDED.clear()
    server = await start(app, host="127.0.0.1", port=free_port(), paths=["/ws/echo"])
    yield server
    await server.stop(grace=2)


def url(server: SocketServer, path: str = "/ws/echo") -> str:
    return f"ws://127.0.0.1:{server.port}{path}"


async def test_text_binary_and_the_scope(listener: SocketServer) -> None:
    async with websockets.connect(url(listener, "/ws/echo?x=1"), origin="http://a.example") as ws:  # type: ignore[arg-type]
        await ws.send("hola, ¿qué tal?")
        assert await ws.recv() == "hola, ¿qué tal?"
        await ws.send(b"\x00\x01\xff")
        assert await ws.recv() == b"\x00\x01\xff"
        await ws.send("scope")
        info = json.loads(await ws.recv())
    assert info["path"] == "/ws/echo" and info["query_string"] == "x=1"
    assert info["client"][0] == "127.0.0.1" and info["scheme"] == "ws"
    assert info["origin"] == "http://a.example"


async def test_frames_of_one_turn_go_out_together_and_whole(
    listener: SocketServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Frames sent in one turn of the loop are written together (one write, one wake-up of the
    peer), built here for each length encoding, and a close sent after them follows them."""
    writes: list[int] = []
    flush = AsgiSocket.flush

    def counted(sock: AsgiSocket) -> None:
        writes.append(len(sock._out or ()))
        flush(sock)

    monkeypatch.setattr(AsgiSocket, "flush", counted)
    async with websockets.connect(url(listener), max_size=None) as ws:
        await ws.send("burst")
        got = [await ws.recv() for _ in range(4)]
        with pytest.raises(ConnectionClosed):
            await ws.recv()
    assert [len(m) for m in got] == [10, 300, 70_000, 126]
    assert got[0] == "x" * 10 and got[3] == b"\x00" * 126
    assert ws.close_code == 4000 and ws.close_reason == "fin"
    assert writes[0] == 4  # the four frames in one write (then the close's own flush, empty)


async def test_header_bytes_reach_the_app_as_they_came(listener: SocketServer) -> None:
    """Non-ASCII bytes in a header (a UTF-8 cookie value) are passed through, not refused."""
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    writer.write(
        b"GET /ws/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        b"Cookie: nombre=Pe\xc3\xb1a\r\n\r\n"
    )
    assert (await reader.readline()).startswith(b"HTTP/1.1 101")
    writer.close()
    for _ in range(100):
        if SCOPES:
            break
        await asyncio.sleep(0.01)
    assert dict(SCOPES[0]["headers"])[b"cookie"] == "nombre=Peña".encode()


async def test_a_fragmented_message_arrives_whole(listener: SocketServer) -> None:
    async with websockets.connect(url(listener)) as ws:
        await ws.send(["uno ", "dos ", "tres"])  # three frames: TEXT, CONTINUATION x2
        assert await ws.recv() == "uno dos tres"


async def test_a_fragmented_message_over_the_limit_closes_with_1009() -> None:
    server = await start(
        app, host="127.0.0.1", port=free_port(), paths=["/ws/echo"], max_bytes=1000
    )
    try:
        ws = await websockets.connect(url(server))
        await ws.send(["x" * 400] * 3)  # every fragment fits, the message does not
        with pytest.raises(ConnectionClosed) as exc:
            await ws.recv()
        assert exc.value.rcvd is not None and exc.value.rcvd.code == 1009
    finally:
        await server.stop(grace=2)


async def test_other_paths_are_not_upgraded(listener: SocketServer) -> None:
    with pytest.raises(InvalidStatus) as exc:
        await websockets.connect(url(listener, "/ws/otro"))
    assert exc.value.response.status_code == 404
    assert SCOPES == []


async def test_the_apps_close_code_and_reason_reach_the_client(listener: SocketServer) -> None:
    ws = await websockets.connect(url(listener))
    await ws.send("close:4401")
    with pytest.raises(ConnectionClosed) as exc:
        await ws.recv()
    assert exc.value.rcvd is not None
    assert (exc.value.rcvd.code, exc.value.rcvd.reason) == (4401, "adiós")


async def test_an_app_error_closes_with_1011(listener: SocketServer) -> None:
    ws = await websockets.connect(url(listener))
    await ws.send("boom")
    with pytest.raises(ConnectionClosed) as exc:
        await ws.recv()
    assert exc.value.rcvd is not None and exc.value.rcvd.code == 1011


async def test_invalid_utf8_closes_with_1007(listener: SocketServer) -> None:
    async with websockets.connect(url(listener)) as ws:
        # a TEXT frame whose payload is not UTF-8 (the client library would refuse to build it)
        ws.protocol.send_frame(websockets.frames.Frame(websockets.frames.Opcode.TEXT, b"\xff\xfe"))
        ws.send_data()
        with pytest.raises(ConnectionClosed) as exc:
            await ws.recv()
    assert exc.value.rcvd is not None and exc.value.rcvd.code == 1007


async def test_the_client_closing_ends_the_app_with_its_code(listener: SocketServer) -> None:
    ws = await websockets.connect(url(listener))
    await ws.send("hola")
    await ws.recv()
    await ws.close(4000, "me voy")
    for _ in range(100):
        if ENDED:
            break
        await asyncio.sleep(0.02)
    assert ENDED == [{"type": "websocket.disconnect", "code": 4000}]
    assert listener.sockets == set()


async def test_a_dropped_connection_ends_the_app_with_1006(listener: SocketServer) -> None:
    ws = await websockets.connect(url(listener))
    await ws.send("hola")
    await ws.recv()
    ws.transport.abort()
    for _ in range(100):
        if ENDED:
            break
        await asyncio.sleep(0.02)
    assert ENDED == [{"type": "websocket.disconnect", "code": 1006}]


async def test_stop_closes_every_socket_with_1012() -> None:
    ENDED.clear()
    server = await start(app, host="127.0.0.1", port=free_port(), paths=["/ws/echo"])
    clients = [await websockets.connect(url(server)) for _ in range(3)]
    for ws in clients:
        await ws.send("hola")
        await ws.recv()
    await server.stop(grace=2)
    for ws in clients:
        with pytest.raises(ConnectionClosed) as exc:
            await ws.recv()
        assert exc.value.rcvd is not None and exc.value.rcvd.code == 1012
    assert len(ENDED) == 3  # every app task ran to its end
    with pytest.raises(OSError):
        await websockets.connect(url(server))


class FakeTransport:
    """What AsgiSocket uses of picows' WSTransport, recording the frames."""

    def __init__(self) -> None:
        self.sent: list[tuple[Any, bytes]] = []
        self.closed: list[int] = []
        self.underlying_transport = self

    def get_extra_info(self, name: str) -> Any:
        return ("10.0.0.9", 5555)

    def send(self, kind: Any, data: bytes) -> None:
        self.sent.append((kind, data))

    def write(self, data: bytes) -> None:
        """The socket's frames, written by AsgiSocket.flush: unmasked, FIN, short lengths."""
        while data:
            first, size = data[0], data[1]
            assert size < 126
            self.sent.append((first & 0x0F, data[2 : 2 + size]))
            data = data[2 + size :]

    def send_close(self, code: Any, reason: bytes = b"") -> None:
        self.closed.append(int(getattr(code, "value", code)))

    def disconnect(self) -> None:
        pass


async def test_a_send_waits_while_the_transport_is_over_its_high_water_mark() -> None:
    """Backpressure: while picows says pause, a send's future is pending until resume, so
    the hub's bounded queue fills up behind a slow reader (and drops it there)."""
    started = asyncio.Event()
    sends: list[Any] = []

    async def writer(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        started.set()
        await asyncio.Event().wait()

    registry: set[AsgiSocket] = set()
    sock = AsgiSocket(writer, {"type": "websocket"}, 1 << 20, registry)
    transport = FakeTransport()
    sock.on_ws_connected(transport)  # type: ignore[arg-type]
    await started.wait()
    send = sock._send  # the app's ASGI send
    first = send({"type": "websocket.send", "text": "uno"})
    assert first.done()  # type: ignore[attr-defined]
    sock.pause_writing()
    second = send({"type": "websocket.send", "text": "dos"})
    third = send({"type": "websocket.send", "text": "tres"})
    sends += [second, third]
    await asyncio.sleep(0.01)
    assert not second.done() and second is third  # type: ignore[attr-defined]
    assert [d for _, d in transport.sent] == [b"uno", b"dos", b"tres"]  # written, not lost
    sock.resume_writing()
    await asyncio.wait_for(second, 1)
    sock.pause_writing()
    fourth = send({"type": "websocket.send", "text": "cuatro"})
    sock.on_ws_disconnected(transport)  # type: ignore[arg-type]
    with pytest.raises(SocketGone):
        await fourth
    with pytest.raises(SocketGone):
        await send({"type": "websocket.send", "text": "cinco"})
    assert registry == set()
    assert sock.task is not None
    sock.task.cancel()


@pytest.mark.parametrize("settings", ["own"], indirect=True)
async def test_pages_tell_browsers_where_the_sockets_are(server: LiveServer) -> None:
    """The widget's config and the console's page name the listener; the console's CSP lets
    its scripts connect there. Without a listener of their own, neither names anything."""
    own = f"ws://127.0.0.1:{server.settings.realtime.sockets_port}"
    assert server.ws_url == own
    await seed_demo(server.settings.database_url, server.url)
    await create_user(server.settings.database_url, "ana@entidad.gov.co")
    citizen, agent = Citizen(server.url), Agent(server.url)
    config = (await citizen.http.get("/api/widget/config")).json()
    assert config["socket_url"] == own
    await agent.login("ana@entidad.gov.co")
    page = await agent.http.get("/console")
    assert f'<meta name="ventanilla-sockets" content="{own}">' in page.text
    assert f"connect-src 'self' {own};" in page.headers["content-security-policy"]
    assert (await agent.connect())["type"] == "welcome"  # over the listener, cookie and origin
    await citizen.close()
    await agent.close()


async def test_without_a_listener_of_their_own_pages_name_none(server: LiveServer) -> None:
    await seed_demo(server.settings.database_url, server.url)
    await create_user(server.settings.database_url, "ana@entidad.gov.co")
    citizen, agent = Citizen(server.url), Agent(server.url)
    assert (await citizen.http.get("/api/widget/config")).json()["socket_url"] is None
    await agent.login("ana@entidad.gov.co")
    page = await agent.http.get("/console")
    assert "ventanilla-sockets" not in page.text
    assert "connect-src 'self';" in page.headers["content-security-policy"]
    await citizen.close()
    await agent.close()


async def test_the_hub_drops_a_slow_reader_on_this_listener() -> None:
    """End to end with the hub: while the kernel takes nothing more (pause), frames wait in the
    socket's bounded queue; when it overflows the socket is closed with 4429 (the client
    resumes later from its last seq), as on Granian. Frames sent before the pause went out."""
    from starlette.websockets import WebSocket

    from ventanilla.conversations.hub import CLOSE_SLOW, Connection

    conns: list[Connection] = []

    async def endpoint(scope: dict[str, Any], receive: Any, send: Any) -> None:
        ws = WebSocket(scope, receive, send)
        await ws.accept()
        conns.append(Connection(ws, catch_up=None, max_queue=8))  # type: ignore[arg-type]
        await ws.receive()  # until the socket goes

    sock = AsgiSocket(endpoint, {"type": "websocket", "headers": []}, 1 << 20, set())
    transport = FakeTransport()
    sock.on_ws_connected(transport)  # type: ignore[arg-type]
    for _ in range(100):
        if conns:
            break
        await asyncio.sleep(0.01)
    conn = conns[0]
    conn.send_json({"type": "pong", "n": 0})
    await asyncio.sleep(0.01)
    sock.pause_writing()
    for n in range(1, 30):
        conn.send_json({"type": "pong", "n": n})
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)
    assert conn.closed and transport.closed == [CLOSE_SLOW]
    sent = [json.loads(d)["n"] for _, d in transport.sent]
    assert sent == [0, 1]  # 1 went to the transport and waits for it; 2.. queued, dropped
    sock.on_ws_disconnected(transport)  # type: ignore[arg-type]
    await asyncio.wait_for(sock.task, 2)  # type: ignore[arg-type]
