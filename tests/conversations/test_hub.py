"""The per-socket writer: order, duplicates, gap filling from the database, slow consumers."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from starlette.websockets import WebSocketState

from ventanilla.conversations.hub import CLOSE_SLOW, Connection, Hub
from ventanilla.core.broker import MemoryBroker
from ventanilla.core.db import encode_envelope


class FakeSocket:
    application_state = WebSocketState.CONNECTED

    def __init__(self, delay: float = 0) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed_with: int | None = None
        self.delay = delay

    async def send_text(self, text: str) -> None:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.sent.append(orjson.loads(text))

    async def close(self, code: int) -> None:
        self.closed_with = code


def _frame(seq: int) -> bytes:
    return orjson.dumps({"type": "event", "seq": seq})


def _db(events: dict[int, bytes]) -> Any:
    calls: list[int] = []

    async def catch_up(conv: str, after: int) -> list[tuple[int, bytes]]:
        calls.append(after)
        return [(s, b) for s, b in sorted(events.items()) if s > after]

    catch_up.calls = calls  # type: ignore[attr-defined]
    return catch_up


async def _drain(conn: Connection) -> None:
    for _ in range(100):
        await asyncio.sleep(0.005)
        if conn._queue.empty():
            await asyncio.sleep(0.01)
            return


async def test_replay_then_live_in_order_without_duplicates() -> None:
    events = {s: _frame(s) for s in range(1, 6)}
    ws = FakeSocket()
    conn = Connection(ws, _db(events), max_queue=100)  # type: ignore[arg-type]
    conn.start()
    conn.follow("c1", 2)  # the client has 1..2
    conn.offer("c1", 4, events[4])  # live events racing the replay
    conn.offer("c1", 5, events[5])
    events[6] = _frame(6)
    conn.offer("c1", 6, events[6])
    await _drain(conn)
    assert [f["seq"] for f in ws.sent] == [3, 4, 5, 6]
    await conn.stop()


async def test_out_of_order_publish_is_filled_from_the_database() -> None:
    events = {1: _frame(1), 2: _frame(2), 3: _frame(3)}
    ws = FakeSocket()
    catch_up = _db(events)
    conn = Connection(ws, catch_up, max_queue=100)  # type: ignore[arg-type]
    conn.start()
    conn.last_sent["c1"] = 1
    conn.offer("c1", 3, events[3])  # 2 was published later (or lost)
    conn.offer("c1", 2, events[2])
    await _drain(conn)
    assert [f["seq"] for f in ws.sent] == [2, 3]
    assert catch_up.calls == [1]
    await conn.stop()


async def test_unfollowed_conversations_are_not_sent() -> None:
    ws = FakeSocket()
    conn = Connection(ws, _db({}), max_queue=10)  # type: ignore[arg-type]
    conn.start()
    conn.offer("c9", 1, _frame(1))
    conn.send_json({"type": "pong"})
    await _drain(conn)
    assert ws.sent == [{"type": "pong"}]
    await conn.stop()


async def test_slow_consumer_is_disconnected_not_buffered_forever() -> None:
    ws = FakeSocket(delay=1.0)
    conn = Connection(ws, _db({}), max_queue=4)  # type: ignore[arg-type]
    conn.start()
    for i in range(20):
        conn.send_json({"type": "typing", "n": i})
    await asyncio.sleep(0.05)
    assert conn.closed and ws.closed_with == CLOSE_SLOW
    assert conn._queue.qsize() <= 4
    await conn.stop()


async def test_hub_routes_by_channel_and_unsubscribes_when_empty() -> None:
    broker = MemoryBroker()
    hub = Hub(broker)
    await hub.start()
    ws1, ws2 = FakeSocket(), FakeSocket()
    a = Connection(ws1, _db({}), 10)  # type: ignore[arg-type]
    b = Connection(ws2, _db({}), 10)  # type: ignore[arg-type]
    a.start()
    b.start()
    await hub.join(a, "agents")
    await hub.join(b, "agents")
    await hub.join(b, "agent:2")
    await hub.publish(
        [
            ("agents", encode_envelope(0, {"type": "queue"})),
            ("agent:2", encode_envelope(0, {"type": "assigned"})),
        ]
    )
    await _drain(a)
    await _drain(b)
    assert [f["type"] for f in ws1.sent] == ["queue"]
    assert [f["type"] for f in ws2.sent] == ["queue", "assigned"]
    await hub.leave_all(b)
    await hub.leave_all(a)
    assert broker._channels == set()
    await a.stop()
    await b.stop()
    await hub.stop()
