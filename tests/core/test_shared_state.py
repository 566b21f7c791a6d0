"""Presence and rate limits shared by several processes through Redis (skipped without it).

Each ``RedisPresence``/``RedisRateLimiter`` below stands for one process (its own client and
node id), all on the Redis of ``VENTANILLA_TEST_BROKER_URL``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as redis

from tests.conftest import TEST_BROKER, reset_redis
from ventanilla.core.broker import state_client
from ventanilla.core.errors import RateLimited
from ventanilla.core.presence import MemoryPresence, RedisPresence
from ventanilla.core.ratelimit import RedisRateLimiter

pytestmark = pytest.mark.skipif(
    not TEST_BROKER.startswith("redis"), reason="needs VENTANILLA_TEST_BROKER_URL=redis://…"
)


@pytest.fixture
async def clients() -> AsyncIterator[list[redis.Redis]]:
    reset_redis()
    made = [redis.Redis.from_url(TEST_BROKER) for _ in range(3)]
    yield made
    for client in made:
        await client.aclose()


async def test_presence_is_shared_and_first_last_are_cluster_wide(
    clients: list[redis.Redis],
) -> None:
    one, two = RedisPresence(clients[0]), RedisPresence(clients[1])
    await one.start()
    await two.start()
    assert await one.connect(7) is True  # first console anywhere
    assert await two.connect(7) is False  # second one, on another process
    assert await two.connected() == {7} and await one.effective(7, "away") == "away"
    assert await one.disconnect(7) is False  # still open on the other process
    assert await two.effective(7, "available") == "available"
    assert await two.disconnect(7) is True
    assert await one.connected() == set()
    await one.stop()
    await two.stop()


async def test_a_dead_processs_sockets_expire_and_are_announced_once(
    clients: list[redis.Redis],
) -> None:
    dying = RedisPresence(clients[0], ttl_seconds=0.2)
    survivors = [RedisPresence(clients[1]), RedisPresence(clients[2])]
    await dying.beat()
    await dying.connect(5)
    await dying.connect(6)
    await survivors[0].connect(6)  # agent 6 also has a console elsewhere
    assert await survivors[1].connected() == {5, 6}
    # The process dies: it stops beating. Once its entry has expired ...
    while 5 in await survivors[1].connected():  # (not timed: until Redis's clock passes it)
        await asyncio.sleep(0.05)
    assert await survivors[1].connected() == {6}
    # ... exactly one survivor removes it and learns that agent 5 has no console left.
    gone = [await survivors[0].beat(), await survivors[1].beat()]
    assert sorted(map(tuple, gone)) == [(), (5,)]


async def test_redis_restart_is_refilled_by_the_heartbeat(clients: list[redis.Redis]) -> None:
    node = RedisPresence(clients[0])
    await node.connect(3)
    await node.connect(3)
    await clients[1].flushdb()  # what a restarted Redis without persistence looks like
    assert await node.connected() == {3}  # this process's own sockets still count
    other = RedisPresence(clients[1])
    assert await other.connected() == set()
    await node.beat()
    assert await other.connected() == {3}
    assert await node.disconnect(3) is False and await node.disconnect(3) is True


async def test_memory_presence_counts_sockets() -> None:
    presence = MemoryPresence()
    assert await presence.connect(1) and not await presence.connect(1)
    assert not await presence.disconnect(1) and await presence.disconnect(1)
    assert await presence.effective(1, "available") == "disconnected"


async def test_rate_limits_are_shared_between_processes(clients: list[redis.Redis]) -> None:
    one = RedisRateLimiter(clients[0], "t", limit=3, window_seconds=60)
    two = RedisRateLimiter(clients[1], "t", limit=3, window_seconds=60)
    await one.check("ip")
    await two.check("ip")
    await one.check("ip")
    with pytest.raises(RateLimited) as refused:
        await two.check("ip")
    assert 0 < refused.value.retry_after <= 60
    await two.check("other-ip")  # keys are independent
    with pytest.raises(RateLimited):  # refused hits are not counted, but still refused
        await one.check("ip")
    await one.reset("ip")
    await two.check("ip")
    keys = [k.decode() for k in await clients[2].keys("ventanilla:rl:t:*")]
    assert keys and not any("ip" in k.rsplit(":", 1)[1] for k in keys)  # hashed, not the IP


async def test_rate_limits_fall_back_to_memory_without_redis() -> None:
    dead = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    limiter = RedisRateLimiter(dead, "t", limit=1, window_seconds=60)
    await limiter.check("ip")
    with pytest.raises(RateLimited):
        await limiter.check("ip")
    await dead.aclose()


async def test_many_concurrent_checks_share_round_trips_and_keep_the_limit() -> None:
    """300 checks at once (more than redis-py's default pool of 100 connections) through the
    client the app uses: every one is answered by Redis, exactly the limit is allowed, and the
    process's own fallback count is never used."""
    client = state_client(TEST_BROKER)
    assert client is not None
    reset_redis()
    limiter = RedisRateLimiter(client, "burst", limit=40, window_seconds=60)
    results = await asyncio.gather(
        *(limiter.check(f"k{i % 3}") for i in range(300)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, RateLimited)]
    assert [r for r in results if r is not None and not isinstance(r, RateLimited)] == []
    assert len(refused) == 300 - 3 * 40
    assert limiter.fallback._hits == {}  # Redis answered every check
    await client.aclose()


async def test_rate_limits_reload_their_script_after_a_script_flush() -> None:
    """A Redis that restarted (or was told SCRIPT FLUSH) has forgotten the script: the checks
    load it again instead of falling back to this process's count."""
    client = state_client(TEST_BROKER)
    assert client is not None
    reset_redis()
    limiter = RedisRateLimiter(client, "flush", limit=2, window_seconds=60)
    await limiter.check("k")
    await client.script_flush()
    await limiter.check("k")
    with pytest.raises(RateLimited):
        await limiter.check("k")
    assert limiter.fallback._hits == {}  # Redis answered every check
    await client.aclose()


async def test_rate_limit_keys_go_to_the_urls_database() -> None:
    """The limiter's own connection selects the URL's database, as redis-py does: with
    ``redis://…/9`` nothing lands in database 0 (another application's, perhaps)."""
    base = TEST_BROKER.rsplit("/", 1)[0]
    client = state_client(f"{base}/9")
    plain = redis.Redis.from_url(f"{base}/0")
    assert client is not None
    await client.flushdb()
    for key in await plain.keys("ventanilla:rl:dbsel:*"):  # left by an interrupted run
        await plain.delete(key)
    limiter = RedisRateLimiter(client, "dbsel", limit=2, window_seconds=60)
    await limiter.check("k")
    assert await client.keys("ventanilla:rl:dbsel:*")
    assert not await plain.keys("ventanilla:rl:dbsel:*")
    await client.flushdb()
    await client.aclose()
    await plain.aclose()
