"""A lean Redis connection for the broker's pub/sub: RESP2 on an asyncio ``Protocol``.

Every chat message crosses Redis twice (published by the writer's process, received by each
process with a socket on the channel). Through redis-py each of those cost more Python CPU than
storing the message: ``PubSub.get_message`` per payload (a timeout, retries, the pure-Python
RESP3 parser building dicts) and a ``Pipeline`` per batch. Here a payload is parsed straight
out of the bytes received, and a batch of ``PUBLISH`` commands is one ``write``. Pub/sub does
not depend on the database number, so only ``AUTH`` is needed after connecting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, cast
from urllib.parse import parse_qs, quote, unquote, urlsplit

log = logging.getLogger(__name__)

OnPush = Callable[[bytes, bytes], None]  # full channel name, payload


class RedisReplyError(Exception):
    """Redis answered a command with an error (``-ERR …``)."""


_INCOMPLETE = object()


def pack(*args: bytes) -> bytes:
    """One command in RESP (an array of bulk strings)."""
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def parse(buf: bytes | bytearray, pos: int) -> tuple[Any, int]:
    """The RESP value at ``pos`` and the position after it, or ``(_INCOMPLETE, pos)``."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        return _INCOMPLETE, pos
    kind = buf[pos]
    if kind == 0x24:  # $ bulk string
        n = int(buf[pos + 1 : end])
        if n < 0:
            return None, end + 2
        start = end + 2
        if len(buf) < start + n + 2:
            return _INCOMPLETE, pos
        return bytes(buf[start : start + n]), start + n + 2
    if kind in (0x2A, 0x3E):  # * array, > push
        n = int(buf[pos + 1 : end])
        nxt = end + 2
        if n < 0:
            return None, nxt
        items: list[Any] = []
        for _ in range(n):
            item, nxt = parse(buf, nxt)
            if item is _INCOMPLETE:
                return _INCOMPLETE, pos
            items.append(item)
        return items, nxt
    if kind == 0x3A:  # : integer
        return int(buf[pos + 1 : end]), end + 2
    if kind == 0x2B:  # + simple string
        return bytes(buf[pos + 1 : end]), end + 2
    if kind == 0x2D:  # - error
        return RedisReplyError(bytes(buf[pos + 1 : end]).decode(errors="replace")), end + 2
    raise ValueError(f"unexpected RESP type {chr(kind)!r}")


class _Waiter:
    __slots__ = ("error", "future", "left", "raises", "replies")

    def __init__(self, future: asyncio.Future[list[Any]], count: int, raises: bool) -> None:
        self.future = future
        self.left = count
        self.raises = raises
        self.replies: list[Any] = []
        self.error: RedisReplyError | None = None


class RespConnection(asyncio.Protocol):
    """Commands answered in order; in pub/sub mode, ``message`` pushes go to ``on_push``.

    ``call`` writes several commands at once and waits for their replies. A connection that
    does not answer within ``timeout`` seconds is aborted, so callers never hang on a Redis that
    stopped answering without closing (they see ``ConnectionError`` and keep what they sent)."""

    def __init__(self, on_push: OnPush | None = None, timeout: float | None = 10.0) -> None:
        self._on_push = on_push
        self._timeout = timeout or 10.0
        self._buf = bytearray()
        self._waiters: deque[_Waiter] = deque()
        self._transport: asyncio.Transport | None = None
        self._watch: asyncio.TimerHandle | None = None
        self._progress = 0  # replies received, to tell a slow Redis from a dead one
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @property
    def is_closed(self) -> bool:
        return self.closed.done()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if self._watch is not None:
            self._watch.cancel()
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.future.done():
                waiter.future.set_exception(ConnectionError("Redis connection lost"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        pos = 0
        try:
            while pos < len(buf):
                value, pos = parse(buf, pos)
                if value is _INCOMPLETE:
                    break
                self._dispatch(value)
        except Exception:
            log.exception("unreadable reply from Redis; closing the connection")
            self.abort()
            return
        del buf[:pos]

    def _dispatch(self, value: Any) -> None:
        if (
            self._on_push is not None
            and type(value) is list
            and len(value) == 3
            and value[0] == b"message"
        ):
            try:
                self._on_push(value[1], value[2])
            except Exception:
                log.exception("broker callback failed")
            return
        self._progress += 1
        if not self._waiters:
            return  # e.g. the confirmation of a subscribe nobody waits for
        waiter = self._waiters[0]
        if waiter.raises and isinstance(value, RedisReplyError) and waiter.error is None:
            waiter.error = value
        waiter.replies.append(value)
        waiter.left -= 1
        if waiter.left <= 0:
            self._waiters.popleft()
            if not waiter.future.done():
                if waiter.error is not None:
                    waiter.future.set_exception(waiter.error)
                else:
                    waiter.future.set_result(waiter.replies)

    def send(
        self, commands: Sequence[bytes], replies: int, *, raises: bool = True
    ) -> asyncio.Future[list[Any]]:
        """Write packed commands; the future gets their ``replies`` answers, or raises the first
        error reply (with ``raises=False`` error replies are returned as ``RedisReplyError``)."""
        future: asyncio.Future[list[Any]] = asyncio.get_running_loop().create_future()
        transport = self._transport
        if transport is None or transport.is_closing():
            future.set_exception(ConnectionError("Redis connection closed"))
            return future
        if replies > 0:
            self._waiters.append(_Waiter(future, replies, raises))
            if self._watch is None:
                self._arm()
        else:
            future.set_result([])
        transport.write(b"".join(commands) if len(commands) != 1 else commands[0])
        return future

    async def call(self, *args: bytes) -> Any:
        """One command and its reply."""
        return (await self.send([pack(*args)], 1))[0]

    def _arm(self) -> None:
        self._watch = asyncio.get_running_loop().call_later(
            self._timeout, self._check, self._progress
        )

    def _check(self, progress: int) -> None:
        self._watch = None
        if not self._waiters:
            return
        if self._progress == progress:  # nothing answered for a whole timeout: Redis is gone
            log.warning("Redis did not answer for %.0f s; closing the connection", self._timeout)
            self.abort()
            return
        self._arm()

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


CONNECT_TIMEOUT = 5.0


async def connect(
    url: str, on_push: OnPush | None = None, *, wait_seconds: float | None = None
) -> RespConnection:
    """Open and authenticate a connection to the Redis of ``url`` (redis://, rediss://,
    unix://), or raise. ``wait_seconds`` bounds the connection and every later answer."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    username = unquote(parts.username) if parts.username else query.get("username")
    password = unquote(parts.password) if parts.password else query.get("password")
    db = database_number(url)
    loop = asyncio.get_running_loop()

    def factory() -> RespConnection:
        return RespConnection(on_push, wait_seconds)

    async with asyncio.timeout(wait_seconds or CONNECT_TIMEOUT):
        if parts.scheme == "unix":
            _, conn = await loop.create_unix_connection(factory, parts.path)
        else:
            tls = ssl.create_default_context() if parts.scheme == "rediss" else None
            _, conn = await loop.create_connection(
                factory, parts.hostname or "127.0.0.1", parts.port or 6379, ssl=tls
            )
        try:
            if password:
                auth = [username.encode(), password.encode()] if username else [password.encode()]
                await conn.call(b"AUTH", *auth)
            else:
                # A refused connection (e.g. max clients) answers an error and closes: see it now.
                await conn.call(b"PING")
            if db:  # keys (the rate limits' scripts) go to the URL's database; pub/sub ignores it
                await conn.call(b"SELECT", str(db).encode())
        except BaseException:
            conn.abort()
            raise
    return conn


def database_number(url: str) -> int:
    """The database of a Redis URL: ``redis://host:port/N``, or ``?db=N`` (unix sockets)."""
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    path = parts.path.strip("/") if parts.scheme != "unix" else ""
    value = query.get("db") or path or "0"
    return int(value) if value.isdigit() else 0


def close_quietly(conn: RespConnection | None) -> None:
    if conn is not None:
        with contextlib.suppress(Exception):
            conn.close()


def url_of(client: Any) -> str:
    """The URL of a redis-py client's server (host, port or socket, credentials, TLS)."""
    pool = client.connection_pool
    kw = pool.connection_kwargs
    user, password = kw.get("username"), kw.get("password")
    auth = ""
    if password:
        auth = f"{quote(user or '', safe='')}:{quote(password, safe='')}@"
    db = int(kw.get("db") or 0)
    if kw.get("path"):
        return f"unix://{auth}{kw['path']}?db={db}"
    scheme = "rediss" if "SSL" in type(pool).__name__ + pool.connection_class.__name__ else "redis"
    return f"{scheme}://{auth}{kw.get('host', '127.0.0.1')}:{kw.get('port', 6379)}/{db}"
