"""Both brokers deliver to subscribed channels only; Redis against the real server."""

from __future__ import annotations

import asyncio
import os

import pytest

from ventanilla.core.broker import MemoryBroker, RedisBroker, create_broker

REDIS = os.environ.get("VENTANILLA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


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
