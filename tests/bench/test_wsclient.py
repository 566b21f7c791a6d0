"""The load generator's websocket client (bench/wsclient.py) against the `websockets` server.

The benchmark's figures are only as good as its client: these check the handshake, masked
frames in both directions, large and fragmented messages, pings, and both ways of closing.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from websockets.asyncio.server import ServerConnection, serve

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from wsclient import HandshakeError, WSClient

pytestmark = pytest.mark.asyncio


async def _handler(ws: ServerConnection) -> None:
    headers = ws.request.headers if ws.request else {}
    await ws.send(f"origin={headers.get('Origin')} cookie={headers.get('Cookie')}")
    async for message in ws:
        assert isinstance(message, str)
        if message == "fragments":
            await ws.send(["uno ", "dos ", "tres"])  # one message in three frames
        elif message == "ping":
            await ws.ping(b"hola")
            await ws.send("pinged")
        elif message == "close":
            await ws.close(4429, "lento")
            return
        else:
            await ws.send(message)


@pytest.fixture
async def url() -> AsyncIterator[str]:
    async with serve(_handler, "127.0.0.1", 0, compression=None, max_size=2**22) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        yield f"ws://127.0.0.1:{port}/ws/widget"


async def _open(url: str) -> tuple[WSClient, asyncio.Queue[str]]:
    got: asyncio.Queue[str] = asyncio.Queue()
    ws = await WSClient.connect(
        url, origin="http://demo.test", headers={"Cookie": "s=1"}, timeout=5, on_text=got.put_nowait
    )
    assert await _next(got) == "origin=http://demo.test cookie=s=1"  # the server's greeting
    return ws, got


async def _next(got: asyncio.Queue[str]) -> str:
    return await asyncio.wait_for(got.get(), 5)


async def test_handshake_headers_and_echo_of_small_and_large_texts(url: str) -> None:
    ws, got = await _open(url)
    ws.send_text("hola ñandú ✓")
    assert await _next(got) == "hola ñandú ✓"
    for size in (125, 126, 65_535, 65_536, 300_000):  # each length encoding, both ways
        text = "x" * size
        assert ws.send_text(text)
        assert await _next(got) == text
    await ws.close()
    assert ws.closed and ws.close_code == 1000


async def test_fragmented_message_and_ping(url: str) -> None:
    ws, got = await _open(url)
    ws.send_text("fragments")
    assert await _next(got) == "uno dos tres"
    ws.send_text("ping")  # the server's ping is answered, or its connection would not go on
    assert await _next(got) == "pinged"
    await ws.close()


async def test_server_close_code_is_reported_and_sends_stop(url: str) -> None:
    ws, _ = await _open(url)
    closed = asyncio.Event()
    ws.on_close = closed.set
    ws.send_text("close")
    await asyncio.wait_for(closed.wait(), 5)
    assert ws.close_code == 4429
    assert ws.send_text("after") is False


async def test_refused_upgrade_is_an_error() -> None:
    async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(plain, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        with pytest.raises(HandshakeError, match="403"):
            await WSClient.connect(f"ws://127.0.0.1:{port}/ws/agent", timeout=5)
