"""The chat writer's batch on SQLite (a file): one synchronous call (``core/sync_transactions``).

Through SQLAlchemy's async layer over aiosqlite a batch took about 20 hand-offs between the
event loop and the driver's thread; here ``store_sync`` runs the whole batch on a synchronous
connection inside ``SyncTransactions.run`` (``core/sync_transactions.py``), which begins it
(``BEGIN IMMEDIATE``) and commits it. The decisions (sequence numbers, resends, frames) are
``writer._decide``'s, shared with the portable path and with ``writer_pg``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Dialect, Table
from sqlalchemy.orm import Session

from ventanilla.assistant import queue as assistant_queue
from ventanilla.assistant.models import AssistantJob
from ventanilla.conversations.frames import AGENTS, summary_json
from ventanilla.conversations.models import Conversation, Event
from ventanilla.core.db import encode_envelope

if TYPE_CHECKING:
    from ventanilla.conversations.writer import _Pending, _Plan

_CONV = cast(Table, Conversation.__table__)
_EVENT = cast(Table, Event.__table__)
_JOB = cast(Table, AssistantJob.__table__)


def store_sync(batch: list[_Pending], now: datetime, conn: Connection) -> _Plan:
    """SQLite: the batch's statements on a synchronous connection, in the transaction that
    ``SyncTransactions.run`` commits (one call from the event loop for the whole batch;
    the senders' futures are only read here, answered later on the loop).

    The statements go straight to the sqlite3 cursor: SQLAlchemy's per-statement work
    (cache keys, parameter processing, result objects) cost more than SQLite itself here. The
    values are converted with the columns' own SQLAlchemy types (``_SqliteSql``), so the rows
    are exactly what the ORM writes and reads."""
    from ventanilla.conversations.writer import _ConvState, _decide  # (writer imports this module)

    sql = _sqlite_sql(conn.dialect)
    cur = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        ids = sorted({p.conversation_id for p in batch})
        pairs = sorted({(p.conversation_id, p.client_id) for p in batch})
        cur.execute(sql.load(len(ids)), ids)
        # last_agent_at is not read: None here, and the UPDATE keeps the stored value unless
        # the agent wrote in this batch (a datetime converted each way cost ~6 us per row)
        convs = {
            row[0]: _ConvState(row[1], row[2], row[3], row[4], row[5], None)
            for row in cur.fetchall()
        }
        cur.execute(sql.existing(len(pairs)), [v for pair in pairs for v in pair])
        seen = {(c, k): (q, sql.read_time(t)) for c, k, q, t in cur.fetchall()}
        plan = _decide(batch, convs, seen, now)
        if plan.rows:
            cur.executemany(sql.insert_event, sql.event_values(plan.rows))
            now_value = sql.write_time(now)
            changed = [
                (
                    c.last_seq,
                    c.last_message,
                    c.last_agent_seq,
                    None if c.last_agent_at is None else now_value,
                    c.last_agent_seq,
                    i,
                )
                for i, c in convs.items()
                if c.changed
            ]
            cur.executemany(sql.update, changed)
            jobs = [  # as assistant.repository.add_jobs, in this same transaction
                {"conversation_id": c, "seq": q, "text": body, "created_at": now, "attempts": 0}
                for c, q, body, status in plan.citizen_messages
                if assistant_queue.wanted(status, body)
            ]
            if jobs:
                cur.executemany(sql.insert_job, sql.job_values(jobs))
    finally:
        cur.close()
    if plan.waiting_touched:  # the queue shows the last message
        with Session(bind=conn) as session:
            for conv_id in dict.fromkeys(plan.waiting_touched):
                conv_row = session.get(Conversation, conv_id)
                if conv_row is not None:
                    summary = summary_json(conv_row, None)
                    frame = {"type": "conversation", "conversation": summary}
                    plan.outgoing.append((AGENTS, encode_envelope(0, frame)))
    return plan


_Processor = Callable[[Any], Any] | None


class _SqliteSql:
    """The batch's SQL for SQLite, with the columns' value converters for one dialect."""

    def __init__(self, dialect: Dialect) -> None:
        time_type = _EVENT.c.created_at.type.dialect_impl(dialect)  # UTCDateTime on SQLite
        self._write_time: _Processor = time_type.bind_processor(dialect)
        self._read_time: _Processor = time_type.result_processor(dialect, None)
        self.insert_event, self._event_cols = _insert_sql(_EVENT, dialect)
        self.insert_job, self._job_cols = _insert_sql(_JOB, dialect)
        self.update = (
            f"UPDATE {_CONV.name} SET last_seq = ?, last_message = ?, last_agent_seq = ?, "  # noqa: S608 (table names and ?s only)
            "last_agent_at = coalesce(?, last_agent_at), "
            "agent_seen_seq = max(agent_seen_seq, ?) WHERE id = ?"
        )

    def read_time(self, value: Any) -> Any:
        return self._read_time(value) if self._read_time else value

    def write_time(self, value: Any) -> Any:
        return self._write_time(value) if self._write_time and value is not None else value

    @staticmethod
    def load(n: int) -> str:
        cols = "id, status, agent_id, last_seq, last_message, last_agent_seq"
        # names from our model, values as parameters (see _marks)
        return f"SELECT {cols} FROM {_CONV.name} WHERE id IN ({_marks(n)}) ORDER BY id"  # noqa: S608

    @staticmethod
    def existing(n_pairs: int) -> str:
        """Events of the batch's (conversation, client_id) pairs: one index probe per pair.
        (``conversation_id IN (…) AND client_id IN (…)`` made SQLite probe every combination,
        conversations × client_ids, the costliest part of a large batch.)"""
        pairs = ", ".join(["(?, ?)"] * n_pairs)
        return (
            f"SELECT e.conversation_id, e.client_id, e.seq, e.created_at FROM (VALUES {pairs}) "  # noqa: S608
            f"AS v JOIN {_EVENT.name} AS e "
            "ON e.conversation_id = v.column1 AND e.client_id = v.column2"
        )

    def event_values(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return _values(self._event_cols, rows)

    def job_values(self, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return _values(self._job_cols, rows)


_Columns = list[tuple[str, _Processor, bool]]  # name, converter, may be left out (NULL)


def _insert_sql(table: Table, dialect: Dialect) -> tuple[str, _Columns]:
    """An INSERT of every column but the autoincrement key. A column added to the model later
    without a value here fails the batch (KeyError in ``_values``) unless it may be NULL."""
    cols: _Columns = [
        (
            c.name,
            c.type.dialect_impl(dialect).bind_processor(dialect),
            bool(c.nullable) and c.default is None and c.server_default is None,
        )
        for c in table.columns
        if not (c.primary_key and c.autoincrement is True)
    ]
    names = ", ".join(name for name, _, _ in cols)
    # names of our own model's table and columns, and "?" placeholders: no outside text
    return f"INSERT INTO {table.name} ({names}) VALUES ({_marks(len(cols))})", cols  # noqa: S608


def _values(cols: _Columns, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Rows as tuples of column values. A value that is the very object of the row before
    (a batch's rows share their ``created_at``) is converted once."""
    out = []
    last: list[tuple[Any, Any]] = [(_NOTHING, None)] * len(cols)
    for row in rows:
        values = []
        for i, (name, convert, optional) in enumerate(cols):
            value = row.get(name) if optional else row[name]
            if convert is not None and value is not None:
                before, converted = last[i]
                if value is not before:
                    converted = convert(value)
                    last[i] = (value, converted)
                value = converted
            values.append(value)
        out.append(tuple(values))
    return out


_NOTHING = object()


def _marks(n: int) -> str:
    """``n`` placeholders: every value travels as a parameter, never inside the SQL text."""
    return ", ".join("?" * n)


_SQL_BY_DIALECT: WeakKeyDictionary[Dialect, _SqliteSql] = WeakKeyDictionary()


def _sqlite_sql(dialect: Dialect) -> _SqliteSql:
    sql = _SQL_BY_DIALECT.get(dialect)
    if sql is None:
        sql = _SQL_BY_DIALECT[dialect] = _SqliteSql(dialect)
    return sql
