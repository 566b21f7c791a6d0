"""Group commit of chat messages: one writer per process, one transaction per batch.

A socket hands its message to ``MessageWriter.post`` and waits. The writer takes every message
waiting at that moment (up to ``MAX_BATCH``) and stores them in one transaction with a fixed
number of statements, whatever the batch size:

1. read (and on PostgreSQL lock, in id order) the conversations of the batch;
2. read the events of those conversations that already carry one of the batch's ``client_id``s;
3. insert the new events (one executemany);
4. update the conversations' counters (one executemany), raising the agent's ``seen`` mark
   to the agent's own latest message: whoever replies has read what came before, so the
   console owes no ``seen`` frame for its own messages (half the ``seen`` traffic).

Only after the commit are the frames published and the senders answered, so an ``ack`` still
means "stored" (principle 1). Sequence numbers come from the conversation rows read inside the
transaction, so the database stays the authority: other writes (take, close, the assistant) and
other processes' writers take turns on the same rows. If a batch fails as a whole (e.g. a unique
constraint lost to another process), each message is retried alone, so one bad message never
fails its neighbours.

On SQLite (a file) the batch is one synchronous call (``writer_sqlite.store_sync`` via
``Database.sync_transactions``, on the event loop while SQLite's write lock is free) instead of
~20 hand-offs through the async driver.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ventanilla.assistant import queue as assistant_queue
from ventanilla.conversations import writer_sqlite
from ventanilla.conversations.frames import (
    AGENTS,
    agent_channel,
    citizen_channel,
    iso,
    summary_json,
)
from ventanilla.conversations.models import Conversation, Event
from ventanilla.core.db import Database, UnitOfWork, encode_envelope, utcnow
from ventanilla.core.errors import AppError, NotFound

log = logging.getLogger(__name__)

MAX_BATCH = 256

Author = tuple[str, int | None, str]  # role, user id, display name

_CONV = cast(Table, Conversation.__table__)
_EVENT = cast(Table, Event.__table__)


@dataclass(slots=True)
class Posted:
    """What the sender's ``ack`` needs, and what the caller may act on."""

    conversation_id: str
    seq: int
    created_at: str
    created: bool  # False: the client_id was already stored (a resend), nothing changed
    status: str  # the conversation's status when the message was stored


@dataclass(slots=True)
class _Pending:
    conversation_id: str
    author: Author
    client_id: str
    body: str
    internal: bool
    future: asyncio.Future[Posted] = field(repr=False)


class MessageWriter:
    """Per process. Its task runs only while messages are waiting."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._waiting: deque[_Pending] = deque()
        self._task: asyncio.Task[None] | None = None
        # PostgreSQL: fixed statements on the driver's connection (writer_pg.py)
        self._postgres = db.engine.dialect.name == "postgresql"

    async def post(
        self, conversation_id: str, *, author: Author, client_id: str, body: str, internal: bool
    ) -> Posted:
        """Store a validated message (``client_id`` checked, ``body`` cleaned) exactly once."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Posted] = loop.create_future()
        self._waiting.append(_Pending(conversation_id, author, client_id, body, internal, future))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run(), name="message-writer")
        return await future

    async def _run(self) -> None:
        while self._waiting:
            batch = [self._waiting.popleft() for _ in range(min(MAX_BATCH, len(self._waiting)))]
            try:
                await self._write(batch)
            except Exception as exc:  # the whole transaction failed: try each message alone
                if len(batch) == 1:
                    _fail(batch[0], exc)
                    continue
                log.info("batch of %d failed (%s); retrying one by one", len(batch), exc)
                for pending in batch:
                    try:
                        await self._write([pending])
                    except Exception as single:
                        _fail(pending, single)

    async def _write(self, batch: list[_Pending]) -> None:
        results: list[tuple[_Pending, Posted | AppError]]
        one_call = self._db.sync_transactions
        if self._postgres:
            from ventanilla.conversations import writer_pg

            results = await writer_pg.store(self._db, batch)
        elif one_call is not None:  # SQLite in a file: the batch in one call (sync_transactions)
            plan = await one_call.run(partial(writer_sqlite.store_sync, batch, utcnow()))
            # Committed: answer the senders, then publish. Their tasks resume on the next turn
            # of the loop, so each author's event (sent now, by the in-memory broker) and its
            # ``ack`` leave together in one write (web/socket_writes.py).
            _answer(plan.results)
            await self._db.publish(plan.outgoing)
            return
        else:
            async with self._db.unit() as uow:
                results = await _store(uow, batch)
        # Committed and published (the unit publishes after commit): now answer the senders.
        _answer(results)


def _answer(results: list[tuple[_Pending, Posted | AppError]]) -> None:
    for pending, result in results:
        if pending.future.done():
            continue  # the sender went away; the message is stored all the same
        if isinstance(result, Posted):
            pending.future.set_result(result)
        else:
            pending.future.set_exception(result)


def _fail(pending: _Pending, exc: BaseException) -> None:
    if not pending.future.done():
        pending.future.set_exception(exc)


@dataclass(slots=True)
class _ConvState:
    status: str
    agent_id: int | None
    last_seq: int
    last_message: str
    last_agent_seq: int
    # Set to the batch's time when the agent writes. SQLite's batch does not read it (None
    # there: the stored value stays, writer_sqlite); _decide only ever sets it.
    last_agent_at: datetime | None
    changed: bool = False


async def _load(conn: AsyncConnection, ids: list[str]) -> dict[str, _ConvState]:
    query = (
        select(
            _CONV.c.id,
            _CONV.c.status,
            _CONV.c.agent_id,
            _CONV.c.last_seq,
            _CONV.c.last_message,
            _CONV.c.last_agent_seq,
            _CONV.c.last_agent_at,
        )
        .where(_CONV.c.id.in_(ids))
        .order_by(_CONV.c.id)  # one lock order for every writer: no deadlocks on PostgreSQL
        .with_for_update()
    )
    rows = await conn.execute(query)
    return {row[0]: _ConvState(*row[1:]) for row in rows}


async def _existing(
    conn: AsyncConnection, ids: list[str], client_ids: set[str]
) -> dict[tuple[str, str], tuple[int, datetime]]:
    rows = await conn.execute(
        select(
            _EVENT.c.conversation_id, _EVENT.c.client_id, _EVENT.c.seq, _EVENT.c.created_at
        ).where(_EVENT.c.conversation_id.in_(ids), _EVENT.c.client_id.in_(client_ids))
    )
    return {(c, k): (s, t) for c, k, s, t in rows}


# Every message row's ``data``: one object, so that SQLite's batch encodes it once (its
# converter runs once per distinct object, writer_sqlite._values). Never changed.
_NO_DATA: dict[str, Any] = {}


@dataclass(slots=True)
class _Plan:
    """What a batch decided, before anything is written: the rows to insert, the frames to
    publish after commit and each message's answer. Shared by both databases' write paths."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    results: list[tuple[_Pending, Posted | AppError]] = field(default_factory=list)
    outgoing: list[tuple[str, bytes]] = field(default_factory=list)
    waiting_touched: list[str] = field(default_factory=list)
    citizen_messages: list[tuple[str, int, str, str]] = field(default_factory=list)


def _decide(
    batch: list[_Pending],
    convs: dict[str, _ConvState],
    seen: dict[tuple[str, str], tuple[int, datetime]],
    now: datetime,
) -> _Plan:
    """Number the batch's messages from the locked conversation rows (``convs``, changed in
    place) and answer resends (``seen``: client ids already stored) with their stored seq."""
    plan = _Plan()
    results = plan.results
    created_at = iso(now) or ""
    for p in batch:
        conv = convs.get(p.conversation_id)
        if conv is None:
            results.append((p, NotFound()))
            continue
        key = (p.conversation_id, p.client_id)
        if key in seen:
            seq, at = seen[key]
            results.append((p, Posted(p.conversation_id, seq, iso(at) or "", False, conv.status)))
            continue
        role, user_id, name = p.author
        if conv.status == "closed":
            results.append((p, AppError("conversation_closed", 409)))
            continue
        if role == "agent" and conv.agent_id != user_id and not p.internal:
            results.append((p, AppError("not_assigned", 403)))
            continue
        conv.last_seq += 1
        conv.changed = True
        seq = conv.last_seq
        seen[key] = (seq, now)
        kind = "note" if p.internal else "message"
        if not p.internal:
            conv.last_message = p.body[:200]
            if role == "agent":
                conv.last_agent_seq, conv.last_agent_at = seq, now
            elif conv.status == "waiting":
                plan.waiting_touched.append(p.conversation_id)
            if role == "citizen":
                plan.citizen_messages.append((p.conversation_id, seq, p.body, conv.status))
        plan.rows.append(
            {
                "conversation_id": p.conversation_id,
                "seq": seq,
                "kind": kind,
                "internal": p.internal,
                "author_role": role,
                "author_id": user_id,
                "author_name": name,
                "body": p.body,
                "client_id": p.client_id,
                "data": _NO_DATA,
                "created_at": now,
            }
        )
        frame = {
            "type": "event",
            "conversation_id": p.conversation_id,
            "seq": seq,
            "kind": kind,
            "author": {"role": role, "name": name},
            "body": p.body,
            "client_id": p.client_id,
            "created_at": created_at,
            "data": {},
        }
        payload = encode_envelope(seq, frame)  # encoded once for every channel and socket
        plan.outgoing.append((agent_channel(p.conversation_id), payload))
        if not p.internal:
            plan.outgoing.append((citizen_channel(p.conversation_id), payload))
        results.append((p, Posted(p.conversation_id, seq, created_at, True, conv.status)))
    return plan


async def _store(
    uow: UnitOfWork, batch: list[_Pending]
) -> list[tuple[_Pending, Posted | AppError]]:
    session = uow.session
    # Core statements on the unit's connection (same transaction), without the ORM layer.
    conn = await session.connection()
    ids = sorted({p.conversation_id for p in batch})
    convs = await _load(conn, ids)
    seen = await _existing(conn, ids, {p.client_id for p in batch})
    now = utcnow()
    plan = _decide(batch, convs, seen, now)
    for channel, payload in plan.outgoing:
        uow.publish_encoded(channel, payload)
    if plan.rows:
        await conn.execute(_EVENT.insert(), plan.rows)
        changed = [
            {
                "b_id": conv_id,
                "b_last_seq": c.last_seq,
                "b_last_message": c.last_message,
                "b_last_agent_seq": c.last_agent_seq,
                "b_last_agent_at": c.last_agent_at,
            }
            for conv_id, c in convs.items()
            if c.changed
        ]
        await conn.execute(_UPDATE, changed)
        # the assistant's reply is owed in this same transaction (durable: assistant/jobs.py)
        await assistant_queue.enqueue(conn, plan.citizen_messages, now)
    for conv_id in dict.fromkeys(plan.waiting_touched):  # the queue shows the last message
        conv_row = await session.get(Conversation, conv_id)
        if conv_row is not None:
            summary = summary_json(conv_row, None)
            uow.publish(AGENTS, {"type": "conversation", "conversation": summary})
    return plan.results


_UPDATE = (
    update(_CONV)
    .where(_CONV.c.id == bindparam("b_id"))
    .values(
        last_seq=bindparam("b_last_seq"),
        last_message=bindparam("b_last_message"),
        last_agent_seq=bindparam("b_last_agent_seq"),
        last_agent_at=bindparam("b_last_agent_at"),
        agent_seen_seq=case(
            (_CONV.c.agent_seen_seq < bindparam("b_last_agent_seq"), bindparam("b_last_agent_seq")),
            else_=_CONV.c.agent_seen_seq,
        ),
    )
)
