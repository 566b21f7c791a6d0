"""Sliding-window rate limits: in memory for one process, in Redis for many.

Both count a hit only if it is allowed (a refused hit does not extend the block) and answer
``RateLimited(retry_after)`` with the time until the oldest hit leaves the window. With the
Redis broker every process shares the counts (a sorted set of hit times per key, changed by one
Lua script, timed by Redis's clock); if Redis is unreachable the process falls back to its own
memory, so a client gets at most the limit per process until Redis is back. The checks made
while a round trip is out go together in the next one (one pipeline of scripts): a citizen's
every message is checked, and one round trip per message cost more CPU than storing it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Protocol

from ventanilla.core.errors import RateLimited
from ventanilla.core.redis_wire import RedisReplyError, RespConnection, connect, pack, url_of

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)


class Limiter(Protocol):
    limit: int
    window: float

    async def check(self, key: str) -> None:
        """Count one hit for ``key`` or raise ``RateLimited`` (the hit is then not counted)."""
        ...

    async def reset(self, key: str) -> None: ...


class RateLimiter:
    """In memory, this process only."""

    def __init__(self, limit: int, window_seconds: float, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window_seconds
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    async def check(self, key: str) -> None:
        self.hit(key)

    async def reset(self, key: str) -> None:
        self._hits.pop(key, None)

    def hit(self, key: str, *, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._evict(now)
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            raise RateLimited(hits[0] + self.window - now)
        hits.append(now)

    def _evict(self, now: float) -> None:
        stale = [k for k, h in self._hits.items() if not h or h[-1] <= now - self.window]
        for k in stale:
            del self._hits[k]
        if len(self._hits) >= self.max_keys:  # still full: drop the oldest half
            for k in list(self._hits)[: self.max_keys // 2]:
                del self._hits[k]


# KEYS[1] the key's sorted set; ARGV: limit, window (ms), a unique member suffix.
# Returns -1 if the hit is counted, else the milliseconds until a hit is allowed.
_HIT = """
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', KEYS[1], now, now .. '-' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
return -1
"""


class RedisRateLimiter:
    """Shared by every process through Redis; keys are hashed (they hold IPs and emails).

    The checks go over a lean connection of the limiter's own (``core/redis_wire.py``): one
    write of ``EVALSHA`` commands and one wait per batch. redis-py's pipeline of scripts cost a
    ``SCRIPT EXISTS`` round trip per batch and its pure-Python reply parser on top."""

    def __init__(
        self,
        client: Redis,
        name: str,
        limit: int,
        window_seconds: float,
        prefix: str = "ventanilla:",
    ) -> None:
        self.redis = client
        self.limit = limit
        self.window = window_seconds
        self.prefix = f"{prefix}rl:{name}:"
        self.fallback = RateLimiter(limit, window_seconds)
        self._url = url_of(client)
        self._wait = client.connection_pool.connection_kwargs.get("socket_timeout") or 2.0
        self._sha = hashlib.sha1(_HIT.encode()).hexdigest().encode()  # noqa: S324 (Redis's id)
        self._conn: RespConnection | None = None
        self._waiting: list[tuple[str, asyncio.Future[int | None]]] = []
        self._sender: asyncio.Task[None] | None = None

    MAX_PIPELINE = 512

    def _key(self, key: str) -> str:
        return self.prefix + hashlib.blake2b(key.encode(), digest_size=12).hexdigest()

    async def check(self, key: str) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int | None] = loop.create_future()
        self._waiting.append((key, future))
        if self._sender is None or self._sender.done():
            self._sender = loop.create_task(self._send(), name=f"rate-limit{self.prefix}")
        wait_ms = await future
        if wait_ms is None:  # Redis unreachable: counted in this process instead
            self.fallback.hit(key)
        elif wait_ms >= 0:
            raise RateLimited(wait_ms / 1000)

    async def _send(self) -> None:
        """Send every waiting check in one write (no MULTI: each script is atomic by itself,
        and they run in the order the checks were made); repeat while more wait."""
        while self._waiting:
            batch = self._waiting[: self.MAX_PIPELINE]
            del self._waiting[: self.MAX_PIPELINE]
            answers: list[Any]
            try:
                answers = await self._run([key for key, _ in batch])
            except Exception:
                answers = [None] * len(batch)
            failed = 0
            for (_, future), answer in zip(batch, answers, strict=True):
                if not isinstance(answer, int):
                    answer, failed = None, failed + 1
                if not future.done():
                    future.set_result(answer)
            if failed:
                log.warning(
                    "rate limit: Redis unreachable; %d checks counted in this process", failed
                )

    async def _run(self, keys: list[str]) -> list[Any]:
        conn = self._conn
        if conn is None or conn.is_closed:
            conn = self._conn = await connect(self._url, wait_seconds=self._wait)
        limit, window = str(self.limit).encode(), str(int(self.window * 1000)).encode()
        commands = [
            pack(
                b"EVALSHA",
                self._sha,
                b"1",
                self._key(k).encode(),
                limit,
                window,
                secrets.token_hex(4).encode(),
            )
            for k in keys
        ]
        answers = await conn.send(commands, len(commands), raises=False)
        if any(isinstance(a, RedisReplyError) and str(a).startswith("NOSCRIPT") for a in answers):
            await conn.call(b"SCRIPT", b"LOAD", _HIT.encode())  # a Redis that restarted empty
            answers = await conn.send(commands, len(commands), raises=False)
        return answers

    async def reset(self, key: str) -> None:
        try:
            await self.redis.delete(self._key(key))
        except Exception:
            log.warning("rate limit: Redis unreachable; reset in this process only")
        await self.fallback.reset(key)


def create_limiter(client: Redis | None, name: str, limit: int, window_seconds: float) -> Limiter:
    if client is None:
        return RateLimiter(limit, window_seconds)
    return RedisRateLimiter(client, name, limit, window_seconds)
