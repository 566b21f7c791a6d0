"""``seen`` frames of this process, committed together.

Clients report what they have read often: the console on every citizen event of the
conversation on screen (an agent's own message raises the agent's mark in the chat writer's
transaction, so its echo needs no report), the widget 100 ms after new messages. One
transaction per frame cost more than the message itself, and each took a turn on SQLite's
only connection away from the chat writer. Here a frame only records the highest ``seq`` per
(conversation, role); one task commits everything waiting in one transaction and, while it
does, the next frames gather for the following one. ``service.mark_seen`` only ever raises the
stored value, so merging marks changes nothing but the number of transactions; a batch is two
statements per 500 conversations, not a read and a write each. Conversations
are marked in id order, the chat writer's lock order (no deadlocks on PostgreSQL).

On SQLite in a file the batch is one synchronous call (``_commit_sync``, as the chat writer's
``writer_sqlite``, through ``core/sync_transactions``), not a dozen hand-offs through the async
driver.

A batch waits before it is committed, so a steady stream of frames is a few transactions a
second, not one per frame (which held SQLite's one connection most of the time: p99 of message
delivery 520 ms at 1,000 msgs/s, bench/README.md). On that one-call path the wait is short
(``DELAY_THREAD``, 20 ms) because a batch's ``seen`` frames to the other side go out at once:
with 200 ms, at 2,000 msgs/s, ~400 of them every fifth of a second stalled the event loop and
the p99 of delivery was 31-37 ms; with 20 ms, 18-22 ms. Through the async driver (PostgreSQL)
it stays ``DELAY`` (200 ms): there 20 ms gave the same p99 at 2,000 msgs/s with two workers
(37.0 against 38.3 ms) for 5-9 % more CPU per message and a higher p50 (bench/README.md,
session 8).
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import cast

from sqlalchemy import Connection, Table

from ventanilla.conversations import repository
from ventanilla.conversations.frames import agent_channel, citizen_channel
from ventanilla.conversations.models import Conversation
from ventanilla.core.db import Database, encode_envelope

log = logging.getLogger(__name__)

CHUNK = 500  # conversations per statement (SQLite's limit on bound parameters is far above)
DELAY = 0.2  # seconds a batch gathers before its transaction (async driver: at most 5 a second)
DELAY_THREAD = 0.02  # the same on SQLite's one-call path (at most 50 a second)

Marks = list[tuple[tuple[str, str], int]]  # ((conversation id, role), seq), in id order
Grown = dict[str, list[tuple[str, int]]]  # role -> [(conversation id, new seen seq)]


class SeenMarks:
    def __init__(self, db: Database, delay: float | None = None) -> None:
        self._db = db
        if delay is None:
            delay = DELAY_THREAD if db.sync_transactions is not None else DELAY
        self._delay = delay
        self._waiting: dict[tuple[str, str], int] = {}
        self._task: asyncio.Task[None] | None = None
        self.transactions = 0  # for tests and benchmarks

    def mark(self, conversation_id: str, role: str, seq: int) -> None:
        """Record that ``role`` has seen ``conversation_id`` up to ``seq``; committed soon."""
        key = (conversation_id, role)
        if seq > self._waiting.get(key, -1):
            self._waiting[key] = seq
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="seen-marks")

    async def _run(self) -> None:
        try:
            while self._waiting:
                await asyncio.sleep(self._delay)  # let the marks of the next moments join
                batch, self._waiting = self._waiting, {}
                try:
                    later = await self._commit(batch)
                except Exception:  # the clients report again with their next events
                    log.exception("seen marks not stored (%d)", len(batch))
                    continue
                for key, seq in later.items():  # rows busy in another transaction: next batch
                    if seq > self._waiting.get(key, -1):
                        self._waiting[key] = seq
        finally:
            self._task = None

    async def _commit(self, batch: dict[tuple[str, str], int]) -> dict[tuple[str, str], int]:
        """Two statements per chunk, whatever the number of marks: read (and lock) the
        conversations' last and seen ``seq``, then raise those that grow (as
        ``service.mark_seen`` does for one, with the same ``seen`` frame to the other side).
        Returns the marks of conversations another transaction held, for the next batch."""
        marks = sorted(batch.items())  # conversation id order: the writer's lock order
        one_call = self._db.sync_transactions
        if one_call is not None:  # SQLite in a file: the batch in one call
            outgoing = await one_call.run(partial(_commit_sync, marks))
            await self._db.publish(outgoing)
            self.transactions += 1
            return {}
        later: dict[tuple[str, str], int] = {}
        async with self._db.unit() as uow:
            for start in range(0, len(marks), CHUNK):
                chunk = marks[start : start + CHUNK]
                ids = sorted({conv for (conv, _), _ in chunk})
                state = await repository.seen_state(uow.session, ids)
                busy = set(ids) - set(state)
                if busy:  # locked by a writer now, or gone
                    busy &= await repository.existing_ids(uow.session, sorted(busy))
                for (conv_id, role), seq in chunk:
                    if conv_id in busy:
                        later[(conv_id, role)] = seq
                for role, rows in _grown(chunk, state).items():
                    await repository.raise_seen(uow.session, role, rows)
                    for channel, payload in _frames(role, rows):
                        uow.publish_encoded(channel, payload)
        self.transactions += 1
        return later

    async def flush(self) -> None:
        """Wait until every mark recorded so far is committed (shutdown, tests)."""
        while self._task is not None:
            await asyncio.shield(self._task)


def _grown(chunk: Marks, state: dict[str, tuple[int, int, int]]) -> Grown:
    """The marks that raise a stored value, capped at the conversation's last event.
    ``state``: conversation id -> (last_seq, citizen_seen_seq, agent_seen_seq); a
    conversation missing from it is skipped (gone, or held by another transaction)."""
    grown: Grown = {}
    for (conv_id, role), seq in chunk:
        row = state.get(conv_id)
        if row is None:
            continue
        last, stored = row[0], row[1] if role == "citizen" else row[2]
        seq = min(seq, last)
        if seq > stored:
            grown.setdefault(role, []).append((conv_id, seq))
    return grown


def _frames(role: str, rows: list[tuple[str, int]]) -> list[tuple[str, bytes]]:
    """The ``seen`` frame of each raised mark, for the other side of the conversation."""
    other_side = agent_channel if role == "citizen" else citizen_channel
    return [
        (
            other_side(conv_id),
            encode_envelope(
                0, {"type": "seen", "conversation_id": conv_id, "role": role, "seq": seq}
            ),
        )
        for conv_id, seq in rows
    ]


_CONV = cast(Table, Conversation.__table__)
_COLUMN = {"citizen": "citizen_seen_seq", "agent": "agent_seen_seq"}


def _commit_sync(marks: Marks, conn: Connection) -> list[tuple[str, bytes]]:
    """SQLite: the batch's statements straight on the sqlite3 cursor, inside the transaction
    ``SyncTransactions.run`` commits (SQLite has one writer at a time: no row is ever held
    by another transaction here). Returns the frames to publish after the commit."""
    outgoing: list[tuple[str, bytes]] = []
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for start in range(0, len(marks), CHUNK):
            chunk = marks[start : start + CHUNK]
            ids = sorted({conv for (conv, _), _ in chunk})
            places = ", ".join("?" * len(ids))
            cur.execute(
                "SELECT id, last_seq, citizen_seen_seq, agent_seen_seq "  # noqa: S608 (our names, ?s)
                f"FROM {_CONV.name} WHERE id IN ({places})",
                ids,
            )
            state = {r[0]: (r[1], r[2], r[3]) for r in cur.fetchall()}
            for role, rows in _grown(chunk, state).items():
                column = _COLUMN[role]
                cur.executemany(
                    f"UPDATE {_CONV.name} SET {column} = ? WHERE id = ? AND {column} < ?",  # noqa: S608
                    [(seq, conv_id, seq) for conv_id, seq in rows],
                )
                outgoing += _frames(role, rows)
    finally:
        cur.close()
    return outgoing
