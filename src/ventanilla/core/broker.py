"""Fan-out between processes: an in-process broker for one machine, Redis pub/sub for many.

A broker delivers every payload published on a channel to the process-wide ``on_message``
callback of each process that subscribed to the channel. Delivery is best-effort on purpose:
the database holds every event with its sequence number, and sockets fill any gap from it
(see ``conversations.hub``), so a lost broker message delays an event, never loses it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

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

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)

    async def ping(self) -> None:
        return None


class RedisBroker:
    """Redis pub/sub. Reconnects with backoff and re-subscribes if Redis restarts."""

    def __init__(self, url: str, prefix: str = "ventanilla:") -> None:
        import redis.asyncio as redis

        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix
        self._channels: set[str] = set()
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._on_message: OnMessage | None = None
        self._on_reconnect: OnReconnect | None = None
        self._task: asyncio.Task[None] | None = None
        self._subscribe_failed = False
        self.reconnects = 0  # connections lost and re-established (metrics)
        self.connected = False

    async def start(self, on_message: OnMessage, on_reconnect: OnReconnect | None = None) -> None:
        """``on_reconnect`` runs after a lost connection is back: what was published meanwhile
        was lost, so subscribers should re-read from the database."""
        self._on_message = on_message
        self._on_reconnect = on_reconnect
        await self._redis.ping()
        self.connected = True
        self._task = asyncio.create_task(self._reader(), name="redis-broker-reader")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        await self._redis.aclose()

    async def publish(self, channel: str, payload: bytes) -> None:
        try:
            await self._redis.publish(self._prefix + channel, payload)
        except Exception:  # the event is in the database; sockets will catch up
            log.warning("broker publish failed on %s", channel, exc_info=True)

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)
        try:
            await self._pubsub.subscribe(self._prefix + channel)
        except Exception:  # the reader resubscribes every channel once Redis is back
            self._subscribe_failed = True

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        with contextlib.suppress(Exception):
            await self._pubsub.unsubscribe(self._prefix + channel)

    async def _reader(self) -> None:
        delay = 0.1
        cut = len(self._prefix)
        lost = False
        while True:
            try:
                if lost:
                    await self._resubscribe()  # raises while Redis is still away
                    lost, delay = False, 0.1
                    self.connected = True
                    self.reconnects += 1
                    log.warning("redis broker reconnected; sockets re-read what they missed")
                    if self._on_reconnect is not None:
                        self._on_reconnect()
                if self._subscribe_failed:  # a subscribe failed while Redis was away
                    raise ConnectionError("a channel could not be subscribed")
                if not self._pubsub.subscribed:
                    await asyncio.sleep(0.05)
                    continue
                msg = await self._pubsub.get_message(timeout=1.0)
                if msg is None or self._on_message is None:
                    continue
                channel = msg["channel"].decode()[cut:]
                self._on_message(channel, msg["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                if not lost:
                    log.warning("redis broker lost its connection; reconnecting")
                lost = True
                self.connected = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _resubscribe(self) -> None:
        """A fresh pub/sub connection subscribed to every channel; raises if Redis is away."""
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        self._pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        self._subscribe_failed = False
        await self._redis.ping()
        if self._channels:
            await self._pubsub.subscribe(*(self._prefix + c for c in self._channels))

    async def ping(self) -> None:
        """Raise if Redis does not answer (health check)."""
        await self._redis.ping()


def is_redis_url(url: str) -> bool:
    return url.startswith(("redis://", "rediss://", "unix://"))


def state_client(url: str, timeout_seconds: float = 2.0) -> Redis | None:
    """A Redis client for shared state (presence, rate limits) when the broker is Redis.

    Short timeouts: callers fall back to this process's own view rather than hang."""
    if not is_redis_url(url):
        return None
    import redis.asyncio as redis

    return redis.Redis.from_url(
        url,
        socket_timeout=timeout_seconds,
        socket_connect_timeout=timeout_seconds,
        health_check_interval=30,
    )


def create_broker(url: str) -> Broker:
    if url.startswith("memory"):
        return MemoryBroker()
    if is_redis_url(url):
        return RedisBroker(url)
    raise ValueError(f"unsupported broker URL: {url!r} (use memory:// or redis://)")
