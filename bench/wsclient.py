"""A lean websocket client for the load generator (RFC 6455, text frames, no extensions).

Why not the `websockets` package: on this 2-core machine the generator shares the CPU with the
server it measures, and `websockets`' asyncio connection (a reader task, an assembler and a
queue per frame, a coroutine per send) cost the generator ~0.8 of a core at 2,000 msgs/s — CPU
taken from the server and counted as its latency. Here a frame is parsed in `data_received` and
handed to a callback, and a send is one `transport.write` of a masked frame, as a browser does.

What the server sees is the same as from any client: an HTTP/1.1 upgrade with Origin and Cookie,
every frame masked with a fresh random key (`websockets.speedups.apply_mask`, C), pings answered
with pongs, a close handshake. Only what the benchmark needs is here: no compression, no
fragmented sends, no TLS.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import random
import struct
from collections.abc import Callable

from websockets.speedups import apply_mask

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
_MAX_HEADER = 16_384

OnText = Callable[[str], None]
OnClose = Callable[[], None]


class HandshakeError(ConnectionError):
    pass


class WSClient(asyncio.Protocol):
    """One client websocket. `send_text` writes at once; frames are delivered to `on_text`."""

    def __init__(self, max_size: int = 2**22) -> None:
        self.transport: asyncio.Transport | None = None
        self.on_text: OnText = lambda _text: None
        self.on_close: OnClose = lambda: None
        self.close_code: int | None = None
        self.closed = False
        self._max_size = max_size
        self._buf = bytearray()
        self._open = False
        self._key = ""
        self._handshake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._closed_fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._fragments: list[bytes] = []
        self._rand = random.Random(os.urandom(16))

    # -- opening -----------------------------------------------------------------------------------
    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        origin: str = "",
        headers: dict[str, str] | None = None,
        timeout: float = 60.0,
        on_text: OnText | None = None,
    ) -> WSClient:
        """Open a websocket; ``on_text`` gets every text message from the first one on (a
        server may send one in the same packet as its handshake response)."""
        if not url.startswith("ws://"):
            raise ValueError("only ws:// URLs")
        hostport, _, path = url[5:].partition("/")
        host, _, port_s = hostport.partition(":")
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(timeout):
            _, proto = await loop.create_connection(cls, host, int(port_s or 80))
            if on_text is not None:
                proto.on_text = on_text
            proto._send_request(hostport, "/" + path, origin, headers or {})
            await proto._handshake
        return proto

    def _send_request(self, hostport: str, path: str, origin: str, headers: dict[str, str]) -> None:
        assert self.transport is not None
        self._key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {hostport}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {self._key}",
            "Sec-WebSocket-Version: 13",
        ]
        if origin:
            lines.append(f"Origin: {origin}")
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())

    def _check_response(self, head: bytes) -> None:
        status, *fields = head.decode("latin-1").split("\r\n")
        if not status.startswith("HTTP/1.1 101"):
            raise HandshakeError(f"server answered {status!r}")
        got = {}
        for line in fields:
            name, _, value = line.partition(":")
            got[name.strip().lower()] = value.strip()
        accept = base64.b64encode(hashlib.sha1(self._key.encode() + _GUID).digest()).decode()
        if got.get("sec-websocket-accept") != accept:
            raise HandshakeError("bad Sec-WebSocket-Accept")

    # -- asyncio.Protocol --------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is no asyncio.Transport

    def connection_lost(self, exc: Exception | None) -> None:
        was_open = self._open
        self.closed, self._open = True, False
        if self.close_code is None:
            self.close_code = 1006
        if not self._handshake.done():
            self._handshake.set_exception(exc or HandshakeError("closed during the handshake"))
        if not self._closed_fut.done():
            self._closed_fut.set_result(None)
        if was_open:
            self.on_close()

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        if not self._open:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > _MAX_HEADER:
                    self._fail(HandshakeError("response head too long"))
                return
            try:
                self._check_response(bytes(buf[:end]))
            except HandshakeError as exc:
                self._fail(exc)
                return
            del buf[: end + 4]
            self._open = True
            self._handshake.set_result(None)
        self._parse()

    # -- frames ------------------------------------------------------------------------------------
    def _parse(self) -> None:
        buf = self._buf
        pos, n = 0, len(buf)
        while n - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            length, head = b1 & 0x7F, 2
            if length == 126:
                if n - pos < 4:
                    break
                (length,) = struct.unpack_from("!H", buf, pos + 2)
                head = 4
            elif length == 127:
                if n - pos < 10:
                    break
                (length,) = struct.unpack_from("!Q", buf, pos + 2)
                head = 10
            if b1 & 0x80:  # a server must not mask (RFC 6455 5.1)
                self._protocol_error()
                return
            if length > self._max_size:
                self._protocol_error(1009)
                return
            end = pos + head + length
            if end > n:
                break
            payload = bytes(buf[pos + head : end])
            pos = end
            self._frame(b0 & 0x80, b0 & 0x0F, payload)
            if self.closed:
                return
        if pos:
            del buf[:pos]

    def _frame(self, fin: int, opcode: int, payload: bytes) -> None:
        if opcode == 0x1 or opcode == 0x0:  # text, continuation
            if not fin:
                self._fragments.append(payload)
                return
            if self._fragments:
                payload = b"".join([*self._fragments, payload])
                self._fragments.clear()
            self.on_text(payload.decode())
        elif opcode == 0x9:  # ping
            self._write_frame(0xA, payload)
        elif opcode == 0x8:  # close: answer it, then the server closes the TCP connection
            if len(payload) >= 2:
                (self.close_code,) = struct.unpack_from("!H", payload)
            else:
                self.close_code = 1005
            if not self.closed:
                self._write_frame(0x8, payload[:2])
                self.closed = True
        elif opcode == 0x2:  # binary: the protocol under test never sends it
            self._protocol_error(1003)

    def _write_frame(self, opcode: int, payload: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 0xFE, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 0xFF, n)
        mask = self._rand.getrandbits(32).to_bytes(4, "big")
        self.transport.write(head + mask + apply_mask(payload, mask))

    def _protocol_error(self, code: int = 1002) -> None:
        self.close_code = code
        self._write_frame(0x8, struct.pack("!H", code))
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _fail(self, exc: Exception) -> None:
        if not self._handshake.done():
            self._handshake.set_exception(exc)
        if self.transport is not None:
            self.transport.abort()

    # -- API ---------------------------------------------------------------------------------------
    def send_text(self, text: str) -> bool:
        """Write one text frame now; False if the socket is closed."""
        if self.closed or not self._open:
            return False
        self._write_frame(0x1, text.encode())
        return True

    async def close(self, code: int = 1000, timeout: float = 2.0) -> None:
        """Close handshake: send a close frame, wait for the server to end the connection."""
        if not self.closed:
            self.close_code = code
            self._write_frame(0x8, struct.pack("!H", code))
            self.closed = True
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(self._closed_fut)
        except TimeoutError:
            pass
        if self.transport is not None:
            self.transport.abort()
