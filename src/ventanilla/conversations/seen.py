"""``seen`` frames of this process, committed together.

Clients report what they have read often: the console on every event of the conversation on
screen (its own messages' echoes included), the widget 100 ms after new messages. One
transaction per frame cost more than the message itself, and each took a turn on SQLite's
only connection away from the chat writer. Here a frame only records the highest ``seq`` per
(conversation, role); one task commits everything waiting in one transaction and, while it
does, the next frames gather for the following one. ``service.mark_seen`` only ever raises the
stored value, so merging marks changes nothing but the number of transactions. Conversations
are marked in id order, the chat writer's lock order (no deadlocks on PostgreSQL).
"""

from __future__ import annotations

import asyncio
import logging

from ventanilla.conversations import service
from ventanilla.core.db import Database
from ventanilla.core.errors import AppError

log = logging.getLogger(__name__)


class SeenMarks:
    def __init__(self, db: Database) -> None:
        self._db = db
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
                batch, self._waiting = self._waiting, {}
                try:
                    await self._commit(batch)
                except Exception:  # the clients report again with their next events
                    log.exception("seen marks not stored (%d)", len(batch))
        finally:
            self._task = None

    async def _commit(self, batch: dict[tuple[str, str], int]) -> None:
        async with self._db.unit() as uow:
            for (conversation_id, role), seq in sorted(batch.items()):
                try:
                    await service.mark_seen(uow, conversation_id, role, seq)
                except AppError:  # the conversation is gone: nothing to mark
                    continue
        self.transactions += 1

    async def flush(self) -> None:
        """Wait until every mark recorded so far is committed (shutdown, tests)."""
        while self._task is not None:
            await asyncio.shield(self._task)
