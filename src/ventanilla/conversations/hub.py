"""Sockets of this process, fed from the broker, in order and without gaps.

Each open socket is a ``Connection`` with a bounded queue of outgoing frames. The hub hands
it every broker payload of the channels it joined. Payloads carry the event's ``seq``; the
connection sends an event only if it is the next one the socket has not sent, drops one it already
sent, and, when a number is missing (a publish that arrived out of order or was lost, or the
replay after a reconnect), reads what is missing from the database first. So the database is
the source of truth and the broker only a doorbell.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar

import orjson
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketState

from ventanilla.conversations.frames import AGENTS
from ventanilla.core.broker import Broker
from ventanilla.core.db import decode_envelope

log = logging.getLogger(__name__)

# Reads events of one conversation with seq > after (citizens: without internal notes), as
# (seq, frame JSON) pairs; text preferred, bytes accepted.
CatchUp = Callable[[str, int], Awaitable[Sequence[tuple[int, str | bytes]]]]

CLOSE_SLOW = 4429
CLOSE_RESYNC = 1012  # "service restart": reconnect for a fresh welcome

PING = orjson.dumps({"type": "ping"}).decode()


class Connection:
    """One open socket: a bounded queue of outgoing frames, sent one at a time, in order.

    No task per socket or per burst: a frame is handed to the server's ASGI ``send`` as soon as
    nothing is ahead of it, and the next one goes out from the done-callback of the previous
    send (Granian's ``send`` returns a future-like object that starts sending at once), or
    straight after it when that send was taken at once (the own listener's). Only the
    catch-up from the database (on follow, resume, or a gap) runs in a short-lived task. Frames
    offered while one is in flight wait in the queue; a full queue means a slow consumer, which
    is disconnected. An idle socket holds no task and no future.
    """

    __slots__ = (
        "_advancing",
        "_busy",
        "_catch_up",
        "_filler",
        "_max",
        "_pending",
        "_send",
        "channels",
        "closed",
        "expired",
        "last_heard",
        "last_sent",
        "reader",
        "ws",
    )

    frames_sent: ClassVar[int] = 0  # in this process, for /metrics
    slow_closed: ClassVar[int] = 0  # sockets closed as slow consumers (4429), for /metrics

    def __init__(self, ws: WebSocket, catch_up: CatchUp, max_queue: int) -> None:
        self.ws = ws
        self._catch_up = catch_up
        self._max = max_queue
        self._pending: deque[tuple[str | None, int, str]] = deque()
        self._busy = False  # a send or a catch-up is under way: new frames queue behind it
        self._advancing = False  # in _advance (a send may complete synchronously)
        self._filler: asyncio.Task[None] | None = None  # the catch-up task, while it runs
        # The raw ASGI send when the socket came through app.py's websocket dispatch; otherwise
        # (another caller, the tests' fakes) the WebSocket's own send_text.
        self._send: Callable[[Message], Awaitable[None]] | None = getattr(ws, "raw_send", None)
        self.last_sent: dict[str, int] = {}  # conversation id -> highest seq sent
        self.channels: set[str] = set()
        self.closed = False
        self.expired = False  # closed by the heartbeat: the peer stopped answering
        self.last_heard = 0.0  # loop time of the last frame received
        self.reader: asyncio.Task[Any] | None = None  # the task reading this socket

    @property
    def queued(self) -> int:
        return len(self._pending) + self._busy

    def offer(self, conversation_id: str | None, seq: int, text: str) -> None:
        """Send a frame, or queue it behind those in flight; never waits. A full queue means a
        slow consumer: disconnect (the client resumes later from its last ``seq``)."""
        if self.closed:
            return
        if self._busy:
            if len(self._pending) >= self._max:
                log.info("slow consumer disconnected")
                Connection.slow_closed += 1
                self.shut(CLOSE_SLOW)
                self._pending.clear()
                return
            self._pending.append((conversation_id, seq, text))
            return
        self._step(conversation_id, seq, text)
        if not self._busy and self._pending:
            self._advance()

    def send_json(self, frame: dict[str, Any]) -> None:
        self.offer(None, 0, orjson.dumps(frame).decode())

    def follow(self, conversation_id: str, last_seq: int) -> None:
        """Start (or restart) delivery of a conversation after ``last_seq``, replaying the gap."""
        self.last_sent[conversation_id] = last_seq
        self.offer(conversation_id, -1, "")  # -1: "catch up now"

    def unfollow(self, conversation_id: str) -> None:
        self.last_sent.pop(conversation_id, None)

    def _step(self, conv_id: str | None, seq: int, text: str) -> None:
        """Handle one frame with nothing ahead of it: send it, skip it, or start a catch-up."""
        if conv_id is None or seq == 0:
            self._start_send(text)
            return
        last = self.last_sent.get(conv_id)
        if last is None or (0 < seq <= last):
            return  # not followed any more, or already sent
        if seq == last + 1:
            self.last_sent[conv_id] = seq
            self._start_send(text)
            return
        self._busy = True
        self._filler = asyncio.get_running_loop().create_task(self._fill(conv_id, last))

    def _advance(self) -> None:
        """Take queued frames until one is in flight (or a catch-up runs) or none is left."""
        if self._advancing:
            return  # a send completed inside _step below: the loop goes on
        self._advancing = True
        pending = self._pending
        try:
            while pending and not self._busy and not self.closed:
                self._step(*pending.popleft())
        finally:
            self._advancing = False

    def _start_send(self, text: str) -> None:
        if self.ws.application_state != WebSocketState.CONNECTED:
            return
        self._busy = True
        try:
            if self._send is not None:
                done: Any = self._send({"type": "websocket.send", "text": text})
            else:
                done = self.ws.send_text(text)
            if not hasattr(done, "add_done_callback"):  # a coroutine (uvicorn, tests)
                done = asyncio.ensure_future(done)
        except Exception:  # the peer went away
            log.debug("send failed", exc_info=True)
            self._gone()
            return
        if isinstance(done, asyncio.Future) and done.done() and not done.cancelled():
            # Taken at once (the own listener, web/socket_server.py, when the transport is not
            # paused): the next frame may follow in this same turn of the loop, so that frames
            # of one turn leave in one write, and no callback is scheduled for each.
            self._sent(done)
            return
        done.add_done_callback(self._sent)

    def _sent(self, done: Any) -> None:
        if done.cancelled() or done.exception() is not None:
            log.debug("send failed: %r", None if done.cancelled() else done.exception())
            self._gone()
            return
        Connection.frames_sent += 1
        self._busy = False
        if self._pending and not self.closed:
            self._advance()

    def _gone(self) -> None:
        self.closed = True
        self._busy = False
        self._pending.clear()

    async def _fill(self, conv_id: str, last: int) -> None:
        try:
            while True:
                rows = await self._catch_up(conv_id, last)
                for seq, text in rows:
                    if seq > last:
                        await self._send_now(text if isinstance(text, str) else text.decode())
                        last = seq
                if conv_id in self.last_sent:
                    self.last_sent[conv_id] = max(self.last_sent[conv_id], last)
                if len(rows) < 500:
                    break
        except asyncio.CancelledError:
            raise
        except Exception:  # the peer went away mid-send, or the database failed
            log.debug("catch-up ended", exc_info=True)
            self._gone()
            return
        finally:
            self._filler = None
        self._busy = False
        if self._pending and not self.closed:
            self._advance()

    async def _send_now(self, text: str) -> None:
        if self.ws.application_state == WebSocketState.CONNECTED:
            if self._send is not None:
                await self._send({"type": "websocket.send", "text": text})
            else:
                await self.ws.send_text(text)
            Connection.frames_sent += 1

    def shut(self, code: int) -> None:
        """Close the socket soon (the client reconnects and resumes)."""
        if not self.closed:
            self.closed = True
            asyncio.get_running_loop().create_task(self._close(code))

    async def _close(self, code: int) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code)

    def expire(self) -> None:
        """The peer missed its heartbeats: stop reading (``serve`` then closes with 4408)."""
        self.expired = True
        if self.reader is not None:
            self.reader.cancel()

    async def stop(self) -> None:
        self.closed = True
        self._pending.clear()
        filler = self._filler
        if filler is not None and filler is not asyncio.current_task():
            filler.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await filler


class Heartbeat:
    """One task per process pings every open socket and expires those that stopped answering
    (instead of a timer per socket and a timeout on every frame received).

    Each socket has its own turn in the beat, drawn at random when it is added, and the task
    wakes ``SLICES`` times per beat to serve the turns that are due. Pinging every socket at
    once stalled the event loop: 2,000 sockets took 110-140 ms per beat (and their 2,000
    ``pong``s as much again), which every message in flight then waited for (the latency
    spikes every 25 s in bench/README.md). Spread, a beat is ~80 pings a second."""

    SLICES = 25  # wake-ups per beat

    def __init__(self) -> None:
        self._open: dict[Connection, int] = {}  # socket -> its turn's number in ``_due``
        self._due: list[tuple[float, int, Connection]] = []  # (when, turn, socket), a heap
        self._turns = itertools.count()
        self._task: asyncio.Task[None] | None = None
        self.every = 25.0

    def add(self, conn: Connection, every: float) -> None:
        self.every = every
        now = asyncio.get_running_loop().time()
        conn.last_heard = now
        self._schedule(conn, now + every * random.random())  # noqa: S311 (spreading, not secrets)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="heartbeat")

    def discard(self, conn: Connection) -> None:
        self._open.pop(conn, None)  # its turn in the heap is skipped when it comes up

    def _schedule(self, conn: Connection, when: float) -> None:
        turn = next(self._turns)
        self._open[conn] = turn
        heapq.heappush(self._due, (when, turn, conn))

    async def _run(self) -> None:
        while self._open:
            await asyncio.sleep(self.every / self.SLICES)
            self.beat(asyncio.get_running_loop().time())
        self._due.clear()

    def beat(self, now: float) -> None:
        """Serve every turn due by ``now``: ping the socket, or expire it when it has been
        silent for three beats (so a dead socket is closed within four)."""
        silent_for = self.every * 3
        due = self._due
        while due and due[0][0] <= now:
            when, turn, conn = heapq.heappop(due)
            if self._open.get(conn) != turn:
                continue  # discarded (or added again with a new turn)
            if now - conn.last_heard > silent_for:
                del self._open[conn]
                conn.expire()
                continue
            conn.offer(None, 0, PING)
            # the next turn one beat later; after a stall, one beat from now (no catch-up burst)
            self._schedule(conn, when + self.every if when + self.every > now else now + self.every)


class Hub:
    """Channel membership of this process's sockets, bridged to the broker."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self._members: dict[str, set[Connection]] = {}
        self.heartbeat = Heartbeat()
        # The last payload decoded: the writer publishes the same bytes object to a message's
        # two channels (agents' and citizen's), so the second fan-out reuses the text.
        self._last: tuple[bytes, int, str] = (b"", 0, "")

    async def start(self) -> None:
        await self.broker.start(self.on_message, self.resync)

    async def stop(self) -> None:
        await self.broker.stop()

    def resync(self) -> None:
        """The broker was cut off (frames published meanwhile are lost). Sockets on the
        ``agents`` channel (consoles, live view) also missed frames without a sequence number
        (queue, presence): they are closed with 1012 and reconnect to a fresh ``welcome``. The
        others re-read their followed conversations from the database."""
        stale = self._members.get(AGENTS, set())
        for conn in {c for members in self._members.values() for c in members}:
            if conn in stale:
                conn.shut(CLOSE_RESYNC)
                continue
            for conv_id in tuple(conn.last_sent):
                conn.offer(conv_id, -1, "")

    def on_message(self, channel: str, data: bytes) -> None:
        members = self._members.get(channel)
        if not members:
            return
        last = self._last
        if data is last[0]:
            seq, text = last[1], last[2]
        else:
            seq, body = decode_envelope(data)
            text = body.decode()  # once per payload, not per socket
            self._last = (data, seq, text)
        conv_id = channel.split(":")[1] if channel.startswith("conv:") else None
        for conn in tuple(members):
            conn.offer(conv_id, seq, text)

    async def join(self, conn: Connection, channel: str) -> None:
        members = self._members.get(channel)
        if members is None:
            members = self._members[channel] = set()
            await self.broker.subscribe(channel)
        members.add(conn)
        conn.channels.add(channel)

    async def leave(self, conn: Connection, channel: str) -> None:
        conn.channels.discard(channel)
        members = self._members.get(channel)
        if members is None:
            return
        members.discard(conn)
        if not members:
            del self._members[channel]
            await self.broker.unsubscribe(channel)

    async def leave_all(self, conn: Connection) -> None:
        for channel in tuple(conn.channels):
            await self.leave(conn, channel)

    async def publish(self, outgoing: list[tuple[str, bytes]]) -> None:
        await self.broker.publish_many(outgoing)  # one round trip to Redis per batch

    @property
    def connection_count(self) -> int:
        return len({c for members in self._members.values() for c in members})
