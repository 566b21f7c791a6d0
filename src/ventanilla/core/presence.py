"""Which agents have a console open, across every process.

``MemoryPresence`` counts this process's sockets (one process). ``RedisPresence`` keeps each
process's counts in a Redis hash ``<prefix>presence:node:<node>`` and the live processes in a
sorted set ``<prefix>presence:nodes`` scored by when their heartbeat expires. Readers count only
live processes, so the sockets of a process that died vanish after ``ttl_seconds``; the first
process to notice removes the dead one (atomically, in a Lua script) and learns which agents
thereby have no console left, to announce them as disconnected.

The local counter is the source of truth for this process's sockets; every heartbeat rewrites
the process's hash from it, so a Redis that restarted empty is refilled within a heartbeat.
If Redis cannot be reached, answers fall back to this process's own sockets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

OnGone = Callable[[list[int]], Awaitable[None]]


class Presence(Protocol):
    """Console sockets per agent; an agent with none anywhere is 'disconnected'."""

    async def start(self, on_gone: OnGone | None = None) -> None: ...
    async def stop(self) -> None: ...
    async def connect(self, user_id: int) -> bool:
        """Count a socket; True if it is the agent's first one (in every process)."""
        ...

    async def disconnect(self, user_id: int) -> bool:
        """Uncount a socket; True if the agent has none left (in every process)."""
        ...

    async def connected(self) -> set[int]:
        """Agents with at least one console open."""
        ...

    async def effective(self, user_id: int, presence: str) -> str: ...

    def local_sockets(self) -> int:
        """Console sockets open in this process (metrics)."""
        ...


def shown(user_id: int, presence: str, connected: set[int]) -> str:
    """What colleagues see: the agent's chosen presence, or 'disconnected' with no console."""
    return presence if user_id in connected else "disconnected"


class MemoryPresence:
    """One process: the counts are the answer."""

    def __init__(self) -> None:
        self.sockets: Counter[int] = Counter()

    async def start(self, on_gone: OnGone | None = None) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def connect(self, user_id: int) -> bool:
        self.sockets[user_id] += 1
        return self.sockets[user_id] == 1

    async def disconnect(self, user_id: int) -> bool:
        self.sockets[user_id] -= 1
        if self.sockets[user_id] <= 0:
            del self.sockets[user_id]
            return True
        return False

    async def connected(self) -> set[int]:
        return set(self.sockets)

    async def effective(self, user_id: int, presence: str) -> str:
        return presence if self.sockets.get(user_id) else "disconnected"

    def local_sockets(self) -> int:
        return sum(self.sockets.values())


# KEYS[1] nodes zset, KEYS[2] own hash; ARGV: node, user, delta, ttl(ms), key prefix
# Returns the agent's socket count over all live nodes after the change.
_CHANGE = """
local now = redis.call('TIME')
local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[4]), ARGV[1])
local mine = redis.call('HINCRBY', KEYS[2], ARGV[2], ARGV[3])
if mine <= 0 then redis.call('HDEL', KEYS[2], ARGV[2]) end
redis.call('PEXPIRE', KEYS[2], 3 * tonumber(ARGV[4]))
local total = 0
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now_ms, '+inf')) do
  local n = tonumber(redis.call('HGET', ARGV[5] .. node, ARGV[2]) or '0')
  if n > 0 then total = total + n end
end
return total
"""

# KEYS[1] nodes zset, KEYS[2] own hash; ARGV: node, ttl(ms), key prefix, user, count, ...
# Rewrites this node's hash, then removes dead nodes; returns agents left with no socket.
_BEAT = """
local now = redis.call('TIME')
local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
local ttl = tonumber(ARGV[2])
redis.call('DEL', KEYS[2])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('PEXPIRE', KEYS[2], 3 * ttl)
redis.call('ZADD', KEYS[1], now_ms + ttl, ARGV[1])
local orphans = {}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now_ms)) do
  redis.call('ZREM', KEYS[1], node)
  local key = ARGV[3] .. node
  for _, user in ipairs(redis.call('HKEYS', key)) do orphans[user] = true end
  redis.call('DEL', key)
end
local live = redis.call('ZRANGEBYSCORE', KEYS[1], now_ms, '+inf')
local gone = {}
for user, _ in pairs(orphans) do
  local total = 0
  for _, node in ipairs(live) do
    total = total + tonumber(redis.call('HGET', ARGV[3] .. node, user) or '0')
  end
  if total <= 0 then table.insert(gone, user) end
end
return gone
"""

# KEYS[1] nodes zset; ARGV[1] key prefix. Agents with sockets on live nodes.
_CONNECTED = """
local now = redis.call('TIME')
local now_ms = now[1] * 1000 + math.floor(now[2] / 1000)
local users = {}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], now_ms, '+inf')) do
  local pairs_ = redis.call('HGETALL', ARGV[1] .. node)
  for i = 1, #pairs_, 2 do
    if tonumber(pairs_[i + 1]) > 0 then users[pairs_[i]] = true end
  end
end
local out = {}
for user, _ in pairs(users) do table.insert(out, user) end
return out
"""


class RedisPresence:
    def __init__(
        self, client: Redis, *, prefix: str = "ventanilla:", ttl_seconds: float = 15.0
    ) -> None:
        self.redis = client
        self.node = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.ttl_ms = int(ttl_seconds * 1000)
        self.node_prefix = f"{prefix}presence:node:"
        self.nodes_key = f"{prefix}presence:nodes"
        self.own_key = self.node_prefix + self.node
        self.local: Counter[int] = Counter()
        self._on_gone: OnGone | None = None
        self._task: asyncio.Task[None] | None = None
        self._change = self.redis.register_script(_CHANGE)
        self._beat = self.redis.register_script(_BEAT)
        self._connected = self.redis.register_script(_CONNECTED)

    async def start(self, on_gone: OnGone | None = None) -> None:
        self._on_gone = on_gone
        with contextlib.suppress(Exception):
            await self.beat()
        self._task = asyncio.create_task(self._beat_loop(), name="presence-heartbeat")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):  # leave at once instead of after the TTL
            await self.redis.zrem(self.nodes_key, self.node)
            await self.redis.delete(self.own_key)

    async def connect(self, user_id: int) -> bool:
        self.local[user_id] += 1
        return await self._apply(user_id, 1) == 1

    async def disconnect(self, user_id: int) -> bool:
        self.local[user_id] -= 1
        if self.local[user_id] <= 0:
            del self.local[user_id]
        return await self._apply(user_id, -1) == 0

    async def connected(self) -> set[int]:
        try:
            users = await self._connected(keys=[self.nodes_key], args=[self.node_prefix])
        except Exception:
            log.warning("presence: Redis unreachable; answering for this process only")
            return set(self.local)
        return {int(u) for u in users} | set(self.local)

    async def effective(self, user_id: int, presence: str) -> str:
        return presence if user_id in await self.connected() else "disconnected"

    def local_sockets(self) -> int:
        return sum(self.local.values())

    async def beat(self) -> list[int]:
        """Refresh this process's entry and reap dead processes; returns agents now gone."""
        args: list[Any] = [self.node, self.ttl_ms, self.node_prefix]
        for user, count in self.local.items():
            args += [user, count]
        gone = await self._beat(keys=[self.nodes_key, self.own_key], args=args)
        return [int(u) for u in gone]

    async def _apply(self, user_id: int, delta: int) -> int:
        try:
            total = await self._change(
                keys=[self.nodes_key, self.own_key],
                args=[self.node, user_id, delta, self.ttl_ms, self.node_prefix],
            )
            return int(total)
        except Exception:
            log.warning("presence: Redis unreachable; counting this process only")
            return self.local.get(user_id, 0)

    async def _beat_loop(self) -> None:
        while True:
            await asyncio.sleep(self.ttl_ms / 3000)
            try:
                gone = await self.beat()
            except Exception:
                log.warning("presence heartbeat failed (Redis unreachable?)")
                continue
            if gone and self._on_gone is not None:
                try:
                    await self._on_gone(gone)
                except Exception:
                    log.exception("announcing agents of a dead process failed")
