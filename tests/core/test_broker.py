"""Both brokers deliver to subscribed channels only; Redis against the real server."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from ventanilla.core.broker import MemoryBroker, RedisBroker, create_broker

_BROKER = os.environ.get("VENTANILLA_TEST_BROKER_URL", "")
REDIS = os.environ.get("VENTANILLA_TEST_REDIS_URL") or (
    _BROKER if _BROKER.startswith("redis") else "redis://127.0.0.1:6379/0"
)


async def _exercise(broker: MemoryBroker | RedisBroker) -> None:
    got: list[tuple[str, bytes]] = []
    await broker.start(lambda ch, data: got.append((ch, data)))
    try:
        await broker.subscribe("a")
        await asyncio.sleep(0.05)
        await broker.publish("a", b"1 {}")
        await broker.publish("b", b"2 {}")  # nobody subscribed here
        for _ in range(100):
            if got:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        assert got == [("a", b"1 {}")]
        await broker.unsubscribe("a")
        await asyncio.sleep(0.05)
        await broker.publish("a", b"3 {}")
        await asyncio.sleep(0.1)
        assert len(got) == 1
    finally:
        await broker.stop()


async def test_memory_broker() -> None:
    await _exercise(MemoryBroker())


async def test_redis_broker() -> None:
    import redis.asyncio as redis

    probe = redis.Redis.from_url(REDIS)
    try:
        await probe.ping()
    except Exception:
        pytest.fail(f"Redis must run at {REDIS} for the tests (./dev test starts it)")
    finally:
        await probe.aclose()
    await _exercise(RedisBroker(REDIS, prefix=f"test-{os.getpid()}:"))


def test_create_broker_refuses_unknown_urls() -> None:
    with pytest.raises(ValueError):
        create_broker("kafka://x")


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server")
async def test_redis_broker_reconnects_and_asks_for_a_resync(tmp_path: Path) -> None:
    from tests.scaleout.conftest import RedisServer

    server = RedisServer(tmp_path)
    server.start()
    got: list[bytes] = []
    resyncs: list[int] = []
    broker = RedisBroker(server.url)
    try:
        await broker.start(lambda ch, data: got.append(data), lambda: resyncs.append(1))
        await broker.subscribe("conv:x:a")
        server.kill()
        await broker.publish("conv:x:a", b"1 {}")  # lost: Redis is away (logged, not raised)
        await asyncio.sleep(0.3)  # let the reader notice while Redis is still away
        server.start()  # same port, empty
        async with asyncio.timeout(30):
            while not resyncs:
                await asyncio.sleep(0.05)
        assert broker.reconnects == 1 and broker.connected
        await broker.publish("conv:x:a", b"2 {}")
        async with asyncio.timeout(10):
            while not got:
                await asyncio.sleep(0.05)
        assert got == [b"2 {}"]
    finally:
        await broker.stop()
        server.kill()
