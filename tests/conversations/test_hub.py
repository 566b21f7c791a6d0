"""The per-socket writer: order, duplicates, gap filling from the database, slow consumers."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from starlette.websockets import WebSocketState

from ventanilla.conversations.hub import CLOSE_SLOW, PING, Connection, Heartbeat, Hub
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


def _frame(seq: int) -> str:
    return orjson.dumps({"type": "event", "seq": seq}).decode()


def _db(events: dict[int, str]) -> Any:
    calls: list[int] = []

    async def catch_up(conv: str, after: int) -> list[tuple[int, str]]:
        calls.append(after)
        return [(s, b) for s, b in sorted(events.items()) if s > after]

    catch_up.calls = calls  # type: ignore[attr-defined]
    return catch_up


async def _drain(conn: Connection, timeout: float = 30.0) -> None:
    """Until the connection's queue is empty (each send completes from the event loop, so a
    busy machine needs more turns of it), then a little more for the last send."""
    deadline = asyncio.get_running_loop().time() + timeout
    while conn.queued and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.005)
    await asyncio.sleep(0.01)


async def test_replay_then_live_in_order_without_duplicates() -> None:
    events = {s: _frame(s) for s in range(1, 6)}
    ws = FakeSocket()
    conn = Connection(ws, _db(events), max_queue=100)  # type: ignore[arg-type]
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
    conn.offer("c9", 1, _frame(1))
    conn.send_json({"type": "pong"})
    await _drain(conn)
    assert ws.sent == [{"type": "pong"}]
    await conn.stop()


async def test_slow_consumer_is_disconnected_not_buffered_forever() -> None:
    ws = FakeSocket(delay=1.0)
    conn = Connection(ws, _db({}), max_queue=4)  # type: ignore[arg-type]
    before = Connection.slow_closed
    for i in range(20):
        conn.send_json({"type": "typing", "n": i})
    await asyncio.sleep(0.05)
    assert conn.closed and ws.closed_with == CLOSE_SLOW
    assert Connection.slow_closed == before + 1  # counted once (/metrics)
    assert conn.queued <= 4
    await conn.stop()


async def test_hub_routes_by_channel_and_unsubscribes_when_empty() -> None:
    broker = MemoryBroker()
    hub = Hub(broker)
    await hub.start()
    ws1, ws2 = FakeSocket(), FakeSocket()
    a = Connection(ws1, _db({}), 10)  # type: ignore[arg-type]
    b = Connection(ws2, _db({}), 10)  # type: ignore[arg-type]
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


async def test_an_idle_socket_holds_no_task() -> None:
    ws = FakeSocket()
    conn = Connection(ws, _db({}), max_queue=10)  # type: ignore[arg-type]
    assert conn._filler is None and not conn._busy
    conn.send_json({"type": "pong"})
    assert conn._busy  # in flight
    await _drain(conn)
    assert conn._filler is None and not conn._busy and ws.sent == [{"type": "pong"}]
    conn.send_json({"type": "pong"})  # a later frame goes out the same way
    await _drain(conn)
    assert len(ws.sent) == 2
    await conn.stop()


class RawSocket:
    """Like Granian's ASGI websocket: ``send`` starts at once and returns a future-like object
    (here an asyncio future the test completes). One send at a time is allowed."""

    application_state = WebSocketState.CONNECTED

    def __init__(self, *, sync: bool = False) -> None:
        self.sent: list[dict[str, Any]] = []
        self.inflight: list[asyncio.Future[None]] = []
        self.closed_with: int | None = None
        self.sync = sync  # complete each send before returning it (a finished future)

    def raw_send(self, message: dict[str, Any]) -> asyncio.Future[None]:
        assert not [f for f in self.inflight if not f.done()], "two sends in flight"
        self.sent.append(orjson.loads(message["text"]))
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.inflight.append(fut)
        if self.sync:
            fut.set_result(None)
        return fut

    def complete(self) -> None:
        for fut in self.inflight:
            if not fut.done():
                fut.set_result(None)

    async def close(self, code: int) -> None:
        self.closed_with = code


async def test_raw_send_needs_no_task_and_keeps_order_under_bursts() -> None:
    ws = RawSocket()
    conn = Connection(ws, _db({}), max_queue=1000)  # type: ignore[arg-type]
    conn.last_sent["c1"] = 0
    tasks_before = len(asyncio.all_tasks())
    for seq in range(1, 201):  # one burst; 2..200 wait behind the send in flight
        conn.offer("c1", seq, _frame(seq))
        if seq % 7 == 0:
            conn.send_json({"type": "typing", "n": seq})
    assert len(asyncio.all_tasks()) == tasks_before  # no sender task
    assert len(ws.sent) == 1 and conn.queued > 1
    for _ in range(400):
        ws.complete()
        await asyncio.sleep(0)
    seqs = [f["seq"] for f in ws.sent if f["type"] == "event"]
    assert seqs == list(range(1, 201))
    assert sum(f["type"] == "typing" for f in ws.sent) == 200 // 7
    assert not conn._busy and conn.queued == 0
    await conn.stop()


async def test_raw_send_completed_at_once_does_not_recurse() -> None:
    ws = RawSocket(sync=True)
    conn = Connection(ws, _db({}), max_queue=5000)  # type: ignore[arg-type]
    conn.last_sent["c1"] = 0
    for seq in range(1, 3001):
        conn.offer("c1", seq, _frame(seq))
    await _drain(conn)
    assert [f["seq"] for f in ws.sent] == list(range(1, 3001))
    await conn.stop()


async def test_raw_send_slow_consumer_is_disconnected() -> None:
    ws = RawSocket()  # sends never complete: the peer does not read
    conn = Connection(ws, _db({}), max_queue=4)  # type: ignore[arg-type]
    for i in range(20):
        conn.send_json({"type": "typing", "n": i})
    await asyncio.sleep(0.01)
    assert conn.closed and ws.closed_with == CLOSE_SLOW
    assert conn.queued <= 5 and len(ws.sent) == 1
    await conn.stop()


async def test_raw_send_failure_closes_the_connection() -> None:
    ws = RawSocket()
    conn = Connection(ws, _db({}), max_queue=10)  # type: ignore[arg-type]
    conn.send_json({"type": "pong"})
    conn.send_json({"type": "pong"})
    ws.inflight[0].set_exception(ConnectionResetError())
    await asyncio.sleep(0)
    assert conn.closed and conn.queued == 0 and len(ws.sent) == 1
    conn.send_json({"type": "pong"})  # ignored once closed
    assert len(ws.sent) == 1
    await conn.stop()


async def test_catch_up_holds_live_frames_behind_it() -> None:
    events = {s: _frame(s) for s in range(1, 8)}
    ws = RawSocket(sync=True)
    conn = Connection(ws, _db(events), max_queue=100)  # type: ignore[arg-type]
    conn.follow("c1", 3)  # replays 4..7 from the database in a task
    conn.offer("c1", 6, events[6])
    events[8] = _frame(8)
    conn.offer("c1", 8, events[8])
    conn.send_json({"type": "pong"})
    await _drain(conn)
    assert [f.get("seq") for f in ws.sent] == [4, 5, 6, 7, 8, None]
    await conn.stop()


async def test_heartbeat_pings_live_sockets_and_expires_silent_ones() -> None:
    live_ws, silent_ws = FakeSocket(), FakeSocket()
    live = Connection(live_ws, _db({}), 10)  # type: ignore[arg-type]
    silent = Connection(silent_ws, _db({}), 10)  # type: ignore[arg-type]
    reader = asyncio.create_task(asyncio.sleep(60))
    silent.reader = reader
    beat = Heartbeat()
    beat.add(live, 10)
    beat.add(silent, 10)
    now = asyncio.get_running_loop().time()
    live.last_heard = now + 25  # heard recently
    beat.beat(now + 31)  # silent: nothing for more than 3 beats
    await asyncio.sleep(0)
    assert silent.expired and reader.cancelled()
    assert not live.expired
    await _drain(live)
    assert live_ws.sent == [orjson.loads(PING)] and silent_ws.sent == []
    beat.discard(live)
    await live.stop()
    await silent.stop()


async def test_heartbeat_spreads_the_pings_over_the_beat() -> None:
    """Sockets added together are not pinged together (2,000 pings at once stalled the event
    loop for ~0.1 s): each has its own turn in the beat, and one ping per beat."""
    sockets = [FakeSocket() for _ in range(200)]
    conns = [Connection(ws, _db({}), 10) for ws in sockets]  # type: ignore[arg-type]
    beat = Heartbeat()
    for conn in conns:
        beat.add(conn, 10)
    now = asyncio.get_running_loop().time()
    for conn in conns:
        conn.last_heard = now + 30  # all alive throughout
    beat.beat(now + 2.5)  # a quarter of the beat
    await asyncio.gather(*(_drain(conn) for conn in conns))
    first = sum(1 for ws in sockets if ws.sent)
    assert 20 <= first <= 80  # about 50: a quarter of the sockets' turns
    beat.beat(now + 10)  # the whole beat: every socket once
    await asyncio.gather(*(_drain(conn) for conn in conns))
    assert all(ws.sent == [orjson.loads(PING)] for ws in sockets)
    beat.beat(now + 20)  # the next beat: once more each
    await asyncio.gather(*(_drain(conn) for conn in conns))
    assert all(len(ws.sent) == 2 for ws in sockets)
    for conn in conns:
        beat.discard(conn)
        await conn.stop()
