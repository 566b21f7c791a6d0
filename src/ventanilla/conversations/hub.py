"""Sockets of this process, fed from the broker, in order and without gaps.

Each open socket is a ``Connection`` with a bounded queue and one writer task. The hub hands
it every broker payload of the channels it joined. Payloads carry the event's ``seq``; the
writer sends an event only if it is the next one the socket has not sent, drops one it already
sent, and, when a number is missing (a publish that arrived out of order or was lost, or the
replay after a reconnect), reads what is missing from the database first. So the database is
the source of truth and the broker only a doorbell.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.websockets import WebSocket, WebSocketState

from ventanilla.core.broker import Broker
from ventanilla.core.db import decode_envelope

log = logging.getLogger(__name__)

# Reads events of one conversation with seq > after (citizens: without internal notes).
CatchUp = Callable[[str, int], Awaitable[list[tuple[int, bytes]]]]

CLOSE_SLOW = 4429


class Connection:
    def __init__(self, ws: WebSocket, catch_up: CatchUp, max_queue: int) -> None:
        self.ws = ws
        self._catch_up = catch_up
        self._queue: asyncio.Queue[tuple[str | None, int, bytes]] = asyncio.Queue(max_queue)
        self.last_sent: dict[str, int] = {}  # conversation id -> highest seq sent
        self.channels: set[str] = set()
        self.closed = False
        self._writer: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write_loop())

    def offer(self, conversation_id: str | None, seq: int, body: bytes) -> None:
        """Queue a frame without waiting; a full queue means a slow consumer: disconnect."""
        if self.closed:
            return
        try:
            self._queue.put_nowait((conversation_id, seq, body))
        except asyncio.QueueFull:
            log.info("slow consumer disconnected")
            self.closed = True
            asyncio.get_running_loop().create_task(self._close(CLOSE_SLOW))

    def send_json(self, frame: dict[str, Any]) -> None:
        self.offer(None, 0, orjson.dumps(frame))

    def follow(self, conversation_id: str, last_seq: int) -> None:
        """Start (or restart) delivery of a conversation after ``last_seq``, replaying the gap."""
        self.last_sent[conversation_id] = last_seq
        self.offer(conversation_id, -1, b"")  # -1: "catch up now"

    def unfollow(self, conversation_id: str) -> None:
        self.last_sent.pop(conversation_id, None)

    async def _write_loop(self) -> None:
        try:
            while True:
                conv_id, seq, body = await self._queue.get()
                if conv_id is None or seq == 0:
                    await self._send(body)
                    continue
                last = self.last_sent.get(conv_id)
                if last is None or (0 < seq <= last):
                    continue  # not followed any more, or already sent
                if seq == last + 1:
                    self.last_sent[conv_id] = seq
                    await self._send(body)
                    continue
                await self._fill(conv_id, last)
        except asyncio.CancelledError:
            raise
        except Exception:  # the peer went away mid-send
            log.debug("writer ended", exc_info=True)
            self.closed = True

    async def _fill(self, conv_id: str, last: int) -> None:
        while True:
            rows = await self._catch_up(conv_id, last)
            for seq, body in rows:
                if seq > last:
                    await self._send(body)
                    last = seq
            if conv_id in self.last_sent:
                self.last_sent[conv_id] = max(self.last_sent[conv_id], last)
            if len(rows) < 500:
                return

    async def _send(self, body: bytes) -> None:
        if self.ws.application_state == WebSocketState.CONNECTED:
            await self.ws.send_text(body.decode())

    async def _close(self, code: int) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code)

    async def stop(self) -> None:
        self.closed = True
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer


class Hub:
    """Channel membership of this process's sockets, bridged to the broker."""

    def __init__(self, broker: Broker) -> None:
        self.broker = broker
        self._members: dict[str, set[Connection]] = {}

    async def start(self) -> None:
        await self.broker.start(self.on_message)

    async def stop(self) -> None:
        await self.broker.stop()

    def on_message(self, channel: str, data: bytes) -> None:
        members = self._members.get(channel)
        if not members:
            return
        seq, body = decode_envelope(data)
        conv_id = channel.split(":")[1] if channel.startswith("conv:") else None
        for conn in tuple(members):
            conn.offer(conv_id, seq, body)

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
        for channel, data in outgoing:
            await self.broker.publish(channel, data)

    @property
    def connection_count(self) -> int:
        return len({c for members in self._members.values() for c in members})
