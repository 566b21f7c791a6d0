"""Fan-out between processes: an in-process broker for one machine, Redis pub/sub for many.

A broker delivers every payload published on a channel to the process-wide ``on_message``
callback of each process that subscribed to the channel. The database holds every event with
its sequence number and sockets fill any gap from it (see ``conversations.hub``), but a socket
only notices a gap when a later event of the same conversation arrives. So a publish must not
be dropped: the Redis broker keeps the payloads it could not publish in a bounded backlog and
re-publishes them, in order, once Redis answers again; and after its own subscriber connection
comes back it asks the hub to re-read from the database what it may have missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from ventanilla.core.redis_wire import RespConnection, close_quietly, connect, pack
from ventanilla.core.reorder import InOrder

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

OnMessage = Callable[[str, bytes], None]
OnReconnect = Callable[[], None]


class Broker(Protocol):
    async def start(
        self, on_message: OnMessage, on_reconnect: OnReconnect | None = None
    ) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, channel: str, payload: bytes) -> None: ...
    async def publish_many(self, items: list[tuple[str, bytes]]) -> None: ...
    async def subscribe(self, channel: str) -> None: ...
    async def unsubscribe(self, channel: str) -> None: ...
    async def ping(self) -> None: ...


class MemoryBroker:
    """Single-process broker: publishing calls the local callback directly."""

    def __init__(self) -> None:
        self._on_message: OnMessage | None = None
        self._channels: set[str] = set()

    async def start(self, on_message: OnMessage, on_reconnect: OnReconnect | None = None) -> None:
        self._on_message = on_message

    async def stop(self) -> None:
        self._on_message = None

    async def publish(self, channel: str, payload: bytes) -> None:
        if self._on_message is not None and channel in self._channels:
            self._on_message(channel, payload)

    async def publish_many(self, items: list[tuple[str, bytes]]) -> None:
        for channel, payload in items:
            await self.publish(channel, payload)

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)

    async def ping(self) -> None:
        return None


class RedisBroker:
    """Redis pub/sub over two lean connections of its own (``core/redis_wire.py``): one
    subscribed to this process's channels, one that publishes. Reconnects with backoff and
    re-subscribes if Redis restarts; keeps the payloads it could not publish and re-publishes
    them (see ``publish``)."""

    BACKLOG_MAX = 10_000  # payloads kept while Redis refuses publishes (oldest dropped beyond)
    KEEPALIVE = 30.0  # seconds between PINGs on the subscriber connection
    REORDER_HOLD = 0.025  # seconds an early payload waits for the seq before it (reorder.py)

    def __init__(self, url: str, prefix: str = "ventanilla:") -> None:
        self._url = url
        self._prefix = prefix
        self._bprefix = prefix.encode()
        self._channels: set[str] = set()
        self._on_message: OnMessage | None = None
        self._on_reconnect: OnReconnect | None = None
        self._task: asyncio.Task[None] | None = None
        self._sub: RespConnection | None = None
        self._pub: RespConnection | None = None
        self._pub_lock = asyncio.Lock()
        self._names: dict[bytes, str] = {}  # full channel name received -> our channel name
        # Several processes publish to a conversation's channels: put their payloads back in
        # seq order before the hub sees them (a gap costs a socket a database read).
        self.order = InOrder(self._pass, self.REORDER_HOLD)
        self._backlog: deque[tuple[str, bytes]] = deque()
        self._flusher: asyncio.Task[None] | None = None
        self.republished = 0  # payloads published late, from the backlog (metrics)
        self.dropped = 0  # payloads dropped because the backlog was full (metrics)
        self.reconnects = 0  # connections lost and re-established (metrics)
        self.connected = False

    async def start(self, on_message: OnMessage, on_reconnect: OnReconnect | None = None) -> None:
        """``on_reconnect`` runs after a lost connection is back: what was published meanwhile
        was lost, so subscribers should re-read from the database. Raises if Redis is away."""
        self._on_message = on_message
        self._on_reconnect = on_reconnect
        first = await self._subscriber()
        self._task = asyncio.create_task(self._reader(first), name="redis-broker-reader")

    async def stop(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        if self._backlog:
            log.error("broker stopped with %d payloads never published", len(self._backlog))
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        close_quietly(self._sub)
        close_quietly(self._pub)
        self._sub = self._pub = None
        self.connected = False

    async def publish(self, channel: str, payload: bytes) -> None:
        """Publish, or keep the payload for a retry: never raises and never drops it silently.

        A socket learns of an event only through the broker (gaps are filled from the database
        when a *later* event arrives), so a payload lost here would leave the event unseen until
        the conversation moves again. While a backlog waits, new payloads queue behind it, so
        each channel keeps its order."""
        await self.publish_many([(channel, payload)])

    async def publish_many(self, items: list[tuple[str, bytes]]) -> None:
        """Publish payloads in order in one write and one wait (one connection, so the order of
        calls is the order Redis sees), or keep them all for a retry like ``publish``. If the
        connection breaks meanwhile some of them may go out twice; receivers drop an event
        whose ``seq`` they have already sent, and the other frames (queue summaries, presence)
        are idempotent."""
        if not items:
            return
        if self._backlog:
            for channel, payload in items:
                self._keep(channel, payload)
            return
        prefix = self._bprefix
        commands = [
            b"*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s%s\r\n$%d\r\n%s\r\n"
            % (len(prefix) + len(ch), prefix, ch.encode(), len(payload), payload)
            for ch, payload in items
        ]
        try:
            conn = self._pub
            if conn is None or conn.is_closed:
                conn = await self._publisher()
            await conn.send(commands, len(commands))
        except Exception as exc:
            log.warning("broker publish of %d payloads failed (%s); kept", len(items), exc)
            for channel, payload in items:
                self._keep(channel, payload)

    async def _publisher(self) -> RespConnection:
        async with self._pub_lock:
            conn = self._pub
            if conn is None or conn.is_closed:
                conn = self._pub = await connect(self._url)
            return conn

    @property
    def backlog(self) -> int:
        """Payloads waiting to be re-published."""
        return len(self._backlog)

    def _keep(self, channel: str, payload: bytes) -> None:
        if len(self._backlog) >= self.BACKLOG_MAX:
            # Redis has refused publishes for long: every subscriber lost it too and re-reads
            # from the database when it is back (``on_reconnect``).
            self._backlog.popleft()
            self.dropped += 1
            if self.dropped % 1000 == 1:
                log.error("broker backlog full; %d payloads dropped so far", self.dropped)
        self._backlog.append((channel, payload))
        if self._flusher is None:
            self._flusher = asyncio.get_running_loop().create_task(
                self._flush(), name="redis-broker-flusher"
            )

    async def _flush(self) -> None:
        """Re-publish the backlog in order, retrying the head with backoff until Redis answers."""
        delay = 0.05
        try:
            while self._backlog:
                channel, payload = self._backlog[0]
                try:
                    conn = self._pub
                    if conn is None or conn.is_closed:
                        conn = await self._publisher()
                    await conn.call(b"PUBLISH", self._bprefix + channel.encode(), payload)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, 5.0)
                    continue
                self._backlog.popleft()
                self.republished += 1
                delay = 0.05
            log.warning("broker backlog re-published (%d so far)", self.republished)
        finally:
            self._flusher = None  # no await since the backlog was seen empty

    async def subscribe(self, channel: str) -> None:
        """Subscribe and wait (briefly) for Redis to confirm; while Redis is away the reader
        subscribes every channel once it is back."""
        self._channels.add(channel)
        await self._command(b"SUBSCRIBE", channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        self.order.forget(channel)
        await self._command(b"UNSUBSCRIBE", channel)

    async def _command(self, verb: bytes, channel: str) -> None:
        conn = self._sub
        if conn is None or conn.is_closed:
            return
        with contextlib.suppress(Exception):
            async with asyncio.timeout(5.0):
                await conn.call(verb, self._bprefix + channel.encode())

    def _deliver(self, channel: bytes, payload: bytes) -> None:
        name = self._names.get(channel)
        if name is None:
            if len(self._names) > 100_000:
                self._names.clear()
            name = self._names[channel] = channel[len(self._bprefix) :].decode()
        self.order(name, payload)

    def _pass(self, channel: str, payload: bytes) -> None:
        if self._on_message is not None:
            self._on_message(channel, payload)

    async def _subscriber(self) -> RespConnection:
        """A fresh pub/sub connection subscribed to every channel; raises if Redis is away."""
        conn = await connect(self._url, self._deliver)
        self._sub = conn  # from now on subscribe() also sends on it
        if self._channels:
            names = [self._bprefix + c.encode() for c in self._channels]
            try:
                await conn.send([pack(b"SUBSCRIBE", *names)], len(names))
            except BaseException:
                conn.abort()
                raise
        self.connected = True
        return conn

    async def _reader(self, conn: RespConnection) -> None:
        """Watch the subscriber connection: PING it when idle, and when it is lost reconnect
        with backoff, re-subscribe and ask the hub to re-read what was missed."""
        delay = 0.1
        while True:
            try:
                while not conn.is_closed:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(self.KEEPALIVE):
                            await asyncio.shield(conn.closed)
                    if not conn.is_closed:
                        await conn.call(b"PING")  # a dead peer is aborted by the timeout
            except asyncio.CancelledError:
                raise
            except Exception:
                conn.abort()
            self.connected = False
            self._sub = None
            log.warning("redis broker lost its connection; reconnecting")
            while True:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                try:
                    conn = await self._subscriber()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    log.debug("redis broker: reconnect failed (%s)", exc)
                    continue
                break
            delay = 0.1
            self.reconnects += 1
            self.order.reset()
            log.warning("redis broker reconnected; sockets re-read what they missed")
            if self._on_reconnect is not None:
                self._on_reconnect()

    async def ping(self) -> None:
        """Raise if Redis does not answer (health check)."""
        conn = self._pub
        if conn is None or conn.is_closed:
            conn = await self._publisher()
        async with asyncio.timeout(5.0):
            await conn.call(b"PING")


def is_redis_url(url: str) -> bool:
    return url.startswith(("redis://", "rediss://", "unix://"))


def state_client(url: str, timeout_seconds: float = 2.0) -> Redis | None:
    """A Redis client for shared state (presence, rate limits) when the broker is Redis.

    Short timeouts: callers fall back to this process's own view rather than hang."""
    if not is_redis_url(url):
        return None
    return _client(url, timeout_seconds)


POOL_MAX = 64  # connections per client and process; more callers wait for a free one


def _client(url: str, timeout_seconds: float | None) -> Redis:
    """A client whose callers queue for a connection when all are busy. redis-py's default pool
    raises ``MaxConnectionsError`` beyond 100 concurrent commands, which under load made rate
    limits and presence fall back to this process's memory ("Redis unreachable")."""
    import redis.asyncio as redis

    pool = redis.BlockingConnectionPool.from_url(
        url,
        max_connections=POOL_MAX,
        timeout=timeout_seconds if timeout_seconds is not None else 20.0,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        health_check_interval=30,
    )
    return redis.Redis.from_pool(pool)


def create_broker(url: str) -> Broker:
    if url.startswith("memory"):
        return MemoryBroker()
    if is_redis_url(url):
        return RedisBroker(url)
    raise ValueError(f"unsupported broker URL: {url!r} (use memory:// or redis://)")
