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

A batch waits ``DELAY`` before it is committed. Without it the task committed again as soon as
the previous batch was done, so under load it held SQLite's one connection most of the time and
the chat writer queued behind it (p99 of message delivery 520 ms at 1,000 msgs/s with the real
clients' ``seen`` frames, against 17 ms without them; bench/README.md). A "visto" shown a fifth
of a second later costs nobody anything; a message delivered later does.
"""

from __future__ import annotations

import asyncio
import logging

from ventanilla.conversations import repository
from ventanilla.conversations.frames import agent_channel, citizen_channel
from ventanilla.core.db import Database

log = logging.getLogger(__name__)

CHUNK = 500  # conversations per statement (SQLite's limit on bound parameters is far above)
DELAY = 0.2  # seconds a batch gathers before its transaction (at most 5 a second)


class SeenMarks:
    def __init__(self, db: Database, delay: float = DELAY) -> None:
        self._db = db
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
        later: dict[tuple[str, str], int] = {}
        async with self._db.unit() as uow:
            for start in range(0, len(marks), CHUNK):
                chunk = marks[start : start + CHUNK]
                ids = sorted({conv for (conv, _), _ in chunk})
                state = await repository.seen_state(uow.session, ids)
                busy = set(ids) - set(state)
                if busy:  # locked by a writer now, or gone
                    busy &= await repository.existing_ids(uow.session, sorted(busy))
                grown: dict[str, list[tuple[str, int]]] = {"citizen": [], "agent": []}
                for (conv_id, role), seq in chunk:
                    row = state.get(conv_id)
                    if row is None:
                        if conv_id in busy:
                            later[(conv_id, role)] = seq
                        continue  # the conversation is gone: nothing to mark
                    last, stored = row[0], row[1] if role == "citizen" else row[2]
                    seq = min(seq, last)
                    if seq > stored:
                        grown[role].append((conv_id, seq))
                for role, rows in grown.items():
                    if not rows:
                        continue
                    await repository.raise_seen(uow.session, role, rows)
                    other_side = agent_channel if role == "citizen" else citizen_channel
                    for conv_id, seq in rows:
                        frame = {"type": "seen", "conversation_id": conv_id, "role": role}
                        uow.publish(other_side(conv_id), {**frame, "seq": seq})
        self.transactions += 1
        return later

    async def flush(self) -> None:
        """Wait until every mark recorded so far is committed (shutdown, tests)."""
        while self._task is not None:
            await asyncio.shield(self._task)
