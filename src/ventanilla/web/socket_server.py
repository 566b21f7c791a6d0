"""The chat's websockets on their own listener: an ASGI websocket server on picows.

Why: Granian (tungstenite 0.30) gives every open websocket a 128 KiB read buffer that it fills
with zeros on each read, and offers no setting for it, so an idle socket costs ~150 KiB before
the app holds anything (bench/mem_socket.py; issue #7 asks for under 40 KB). picows (Cython, on
the same uvloop) reads into a buffer that starts at a few KiB and grows only for large frames.

This module serves the *same* ASGI app for websocket scopes only: Starlette's routing and
``conversations/sockets.py`` run unchanged, inside the Granian worker's own event loop and
process (so the in-memory broker and the hub are shared with the HTTP side). Pages and the API
stay on Granian. ``ventanilla serve --sockets-port`` starts it (docs/operations.md).

Differences from an ASGI server that does the handshake itself, none of which Ventanilla uses:
the upgrade is accepted before the app runs (picows decides synchronously), so an app that
closes before ``websocket.accept`` closes an open socket (code 1000, or its own) instead of
answering HTTP 403; subprotocols and extensions are not negotiated; only the routes given are
upgraded, others get 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, cast

from picows import (
    WSCloseCode,
    WSFrame,
    WSListener,
    WSMsgType,
    WSTransport,
    WSUpgradeRequest,
    ws_create_server,
)

from ventanilla.web.socket_writes import coalescer, frame_bytes

log = logging.getLogger(__name__)

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

READ_BUFFER = 4096  # picows' read buffer starts here and grows for larger frames
MAX_FRAME = 1 << 20  # a frame (or a fragmented message) over 1 MiB closes the socket (1009)


class SocketGone(OSError):
    """A send on a socket that has closed (what an ASGI server raises to the app)."""


class AsgiSocket(WSListener):
    """One websocket: frames in become ASGI ``websocket.receive`` messages, the app's ``send``
    becomes frames out. No task of its own besides the app's."""

    __slots__ = (
        "_app",
        "_closed",
        "_code",
        "_drained",
        "_inbox",
        "_max",
        "_out",
        "_parts",
        "_parts_kind",
        "_parts_size",
        "_paused",
        "_registry",
        "_scope",
        "_started",
        "_task",
        "_transport",
        "_waiter",
    )

    def __init__(
        self, app: App, scope: dict[str, Any], max_bytes: int, registry: set[AsgiSocket]
    ) -> None:
        self._app = app
        self._registry = registry
        self._scope = scope
        self._max = max_bytes
        self._transport: WSTransport | None = None
        self._task: asyncio.Task[None] | None = None
        self._inbox: deque[dict[str, Any]] | None = None  # allocated on the first queued frame
        self._waiter: asyncio.Future[dict[str, Any]] | None = None
        self._parts: list[bytes] | None = None  # a fragmented message being put together
        self._parts_kind = WSMsgType.TEXT
        self._parts_size = 0  # bytes so far (not summed again per fragment: 1-byte fragments)
        self._started = False  # the app has had its websocket.connect
        self._closed = False  # the socket is gone (or the close frame went out)
        self._code = 1006
        self._paused = False
        self._drained: asyncio.Future[None] | None = None
        self._out: list[bytes] | None = None  # frames of this turn of the loop, not yet written

    # picows callbacks ---------------------------------------------------------------------

    def on_ws_connected(self, transport: WSTransport) -> None:
        self._transport = transport
        self._registry.add(self)
        peer = transport.underlying_transport.get_extra_info("peername")
        if isinstance(peer, tuple) and len(peer) >= 2:
            self._scope["client"] = (str(peer[0]), int(peer[1]))
        self._task = asyncio.get_running_loop().create_task(self._run())

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        kind = frame.msg_type
        if kind == WSMsgType.TEXT or kind == WSMsgType.BINARY:
            if self._parts is not None:  # a new message before the last one ended
                self._close(1002, b"")
            elif frame.fin:
                self._deliver(self._message(kind, frame.get_payload_as_bytes()))
            else:
                first = frame.get_payload_as_bytes()
                self._parts, self._parts_kind, self._parts_size = [first], kind, len(first)
        elif kind == WSMsgType.CONTINUATION:
            parts = self._parts
            if parts is None:
                self._close(1002, b"")
                return
            part = frame.get_payload_as_bytes()
            parts.append(part)
            self._parts_size += len(part)
            if self._parts_size > self._max:
                self._parts = None
                self._close(1009, b"")
            elif frame.fin:
                self._parts = None
                self._deliver(self._message(self._parts_kind, b"".join(parts)))
        elif kind == WSMsgType.CLOSE:
            code = frame.get_close_code()
            self._code = _number(code) if code is not None else 1005
            if not self._closed:
                self._closed = True
                with contextlib.suppress(Exception):
                    transport.send_close(code if code is not None else WSCloseCode.OK)
            transport.disconnect()
        # PING is answered by picows (auto-pong); PONG carries nothing for the app

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._registry.discard(self)
        self._closed = True
        self._deliver({"type": "websocket.disconnect", "code": self._code})
        self._wake_writers()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        self._wake_writers()

    # the ASGI side --------------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            await self._app(self._scope, self._receive, self._send)
        except Exception:
            log.exception("websocket app failed")
            self._close(1011, b"")
        else:
            self._close(1000, b"")

    async def _receive(self) -> dict[str, Any]:
        if not self._started:
            self._started = True
            return {"type": "websocket.connect"}
        if self._inbox:
            return self._inbox.popleft()
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        try:
            message: dict[str, Any] = await waiter
            return message
        finally:
            self._waiter = None

    def _send(self, message: dict[str, Any]) -> Awaitable[None]:
        """Frames are taken at once and written at the end of this turn of the loop, with the
        socket's other frames of the turn (``socket_writes.Coalescer``); the returned future is
        already done unless the transport is over its high-water mark, when it waits until the
        kernel took the data (so a slow reader fills the hub's bounded queue and is dropped
        there)."""
        loop = asyncio.get_running_loop()
        kind = message["type"]
        transport = self._transport
        if self._closed or transport is None:
            if kind == "websocket.close":
                return _done(loop)
            gone: asyncio.Future[None] = loop.create_future()
            gone.set_exception(SocketGone("websocket closed"))
            return gone
        if kind == "websocket.send":
            text = message.get("text")
            if text is not None:
                frame = frame_bytes(0x81, text.encode())
            else:
                frame = frame_bytes(0x82, message.get("bytes") or b"")
            out = self._out
            if out is None:
                self._out = [frame]
                coalescer(loop).add(self)
            else:
                out.append(frame)
            if self._paused:
                self._drained = self._drained or loop.create_future()
                return self._drained
        elif kind == "websocket.close":
            reason = str(message.get("reason") or "").encode()[:123]
            self._close(int(message.get("code") or 1000), reason)
        # websocket.accept: the handshake is done already (module docstring)
        return _done(loop)

    def flush(self) -> None:
        """Write the frames of this turn of the loop in one go (the coalescer calls it)."""
        out, self._out = self._out, None
        transport = self._transport
        if out and transport is not None and not self._closed:
            transport.underlying_transport.write(out[0] if len(out) == 1 else b"".join(out))

    def close(self, code: int) -> None:
        """Close from the server's side (shutdown: 1012, the client reconnects elsewhere)."""
        self._close(code, b"")

    @property
    def task(self) -> asyncio.Task[None] | None:
        return self._task

    # helpers --------------------------------------------------------------------------------

    def _message(self, kind: WSMsgType, payload: bytes) -> dict[str, Any]:
        if kind == WSMsgType.TEXT:
            try:
                return {"type": "websocket.receive", "text": payload.decode()}
            except UnicodeDecodeError:
                self._close(1007, b"")
                return {"type": "websocket.disconnect", "code": 1007}
        return {"type": "websocket.receive", "bytes": payload}

    def _deliver(self, message: dict[str, Any]) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(message)
            return
        if self._inbox is None:
            self._inbox = deque()
        self._inbox.append(message)

    def _close(self, code: int, reason: bytes) -> None:
        transport = self._transport
        if self._closed or transport is None:
            return
        self.flush()  # what the app sent before closing goes out first
        self._closed = True
        self._code = code
        with contextlib.suppress(Exception):
            # picows' Cython signature takes any 16-bit code, the stubs only the enum
            transport.send_close(cast(WSCloseCode, code), reason)
        transport.disconnect()

    def _wake_writers(self) -> None:
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            if self._closed:
                drained.set_exception(SocketGone("websocket closed"))
                drained.exception()  # retrieved: nobody may be waiting any more
            else:
                drained.set_result(None)


_DONE: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Future[None]] = (
    weakref.WeakKeyDictionary()
)


def _done(loop: asyncio.AbstractEventLoop) -> asyncio.Future[None]:
    """A future that is already done, one per loop, shared by every send that completed at
    once: awaiting it returns at once, and a done-callback added to it runs on the next turn
    of the loop (what hub.Connection expects), without a new object per frame."""
    done = _DONE.get(loop)
    if done is None:
        done = _DONE[loop] = loop.create_future()
        done.set_result(None)
    return done


def _number(code: Any) -> int:
    """A close code from picows (its enum, or a plain int for codes it does not name)."""
    return int(getattr(code, "value", code))


def scope_for(request: WSUpgradeRequest, server: tuple[str, int], scheme: str) -> dict[str, Any]:
    raw_path = request.path
    path, _, query = raw_path.partition(b"?")
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "scheme": scheme,
        "server": server,
        "client": None,
        "root_path": "",
        "path": path.decode("latin-1"),
        "raw_path": path,
        "query_string": query,
        # picows decodes header bytes as ASCII with surrogateescape: this gives the same bytes back
        "headers": [
            (k.lower().encode("ascii"), v.encode("ascii", "surrogateescape"))
            for k, v in request.headers.items()
        ],
        "subprotocols": [],
    }


class SocketServer:
    """The listener and the sockets it opened, so that shutdown can close them (1012)."""

    def __init__(self, server: asyncio.Server, sockets: set[AsgiSocket]) -> None:
        self.server = server
        self.sockets = sockets
        self.port = int(server.sockets[0].getsockname()[1])

    async def stop(self, grace: float = 5.0) -> None:
        """Stop listening, close every socket with 1012 ("service restart": clients reconnect
        and resume from their last ``seq``) and give the app's tasks ``grace`` seconds to finish."""
        self.server.close()
        tasks = [s.task for s in self.sockets if s.task is not None]
        for sock in tuple(self.sockets):
            sock.close(1012)
        if tasks:
            await asyncio.wait(tasks, timeout=grace)


async def start(
    app: App,
    *,
    host: str,
    port: int,
    paths: Iterable[str],
    max_bytes: int = MAX_FRAME,
    scheme: str = "ws",
) -> SocketServer:
    """Listen on ``host:port`` (SO_REUSEPORT: every worker of a node binds the same port and the
    kernel spreads sockets over them) and serve ``app``'s websockets at ``paths``."""
    routes = frozenset(p.encode() for p in paths)
    server_addr = (host, port)
    sockets: set[AsgiSocket] = set()

    def factory(request: WSUpgradeRequest) -> AsgiSocket | None:
        if request.path.partition(b"?")[0] not in routes:
            return None  # 404
        return AsgiSocket(app, scope_for(request, server_addr, scheme), max_bytes, sockets)

    server = await ws_create_server(
        factory,
        host,
        port,
        read_buffer_init_size=READ_BUFFER,
        max_frame_size=max_bytes,
        reuse_port=hasattr(socket, "SO_REUSEPORT"),
        logger_name="ventanilla.sockets",
    )
    return SocketServer(server, sockets)
