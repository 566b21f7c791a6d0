"""Database engine, declarative base and the unit of work.

A request (or a websocket frame) is one unit of work: ``UnitOfWork`` opens a session, the
services flush, and the unit of work commits or rolls back. Frames to publish are collected
during the unit and handed to the broker only after a successful commit, so nobody ever sees
an event that was rolled back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection, DateTime, Engine, MetaData, event, make_url
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util.concurrency import greenlet_spawn

from ventanilla.core.handoff import ThreadWorker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    if url.startswith("sqlite"):
        # One connection: SQLite has one writer anyway, and with several connections the waiting
        # ones sleep in SQLite's busy handler (up to 100 ms per try) instead of queueing in order.
        # Units of work are short and never nested, so they simply take turns.
        engine = create_async_engine(
            url,
            echo=echo,
            json_serializer=_json_dumps,
            connect_args={"timeout": 30},
            pool_size=1,
            max_overflow=0,
            pool_timeout=60,
            # The driver is in autocommit mode and SQLAlchemy ends every transaction it begins
            # (commit, or rollback on close), so the pool's reset on return was a rollback of
            # nothing: a round trip to aiosqlite's thread for each turn the chat writer takes
            # (``ThreadTransactions.run``), ~3 % of the process's time at 2,000 msgs/s.
            pool_reset_on_return=None,
        )
        _configure_sqlite(engine.sync_engine)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        json_serializer=_json_dumps,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
    )


def _json_dumps(value: Any) -> str:
    """JSON columns are written with orjson (several times faster than ``json.dumps``)."""
    return orjson.dumps(value).decode()


def _configure_sqlite(sync_engine: Engine) -> None:
    """WAL, foreign keys, and ``BEGIN IMMEDIATE`` so two writers never deadlock on upgrade."""

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


Publisher = Callable[[list[tuple[str, bytes]]], Any]
T = TypeVar("T")


class ThreadTransactions:
    """SQLite only: run a whole transaction as ONE call on a thread of its own.

    Through SQLAlchemy's async layer over aiosqlite every statement, fetch and commit is a
    hand-off between the event loop and aiosqlite's thread (about 20 for the chat writer's
    batch: ~2.5 ms of CPU whatever its size). Here a function gets a plain synchronous
    connection (pysqlite, same file, same pragmas, ``BEGIN IMMEDIATE``) and does all its
    statements and the commit in one hand-off. While it runs, the caller holds the async
    engine's only connection, so this process's other units of work wait their turn exactly as
    they do for each other (no second writer sleeping in SQLite's busy handler); other
    processes are serialised by SQLite's write lock and ``busy_timeout`` as before.
    """

    def __init__(self, url: str, engine: AsyncEngine) -> None:
        sync_url = make_url(url).set(drivername="sqlite+pysqlite")
        self._async_engine = engine
        self._engine = create_sync_engine(
            sync_url,
            json_serializer=_json_dumps,
            connect_args={"timeout": 30},
            pool_size=1,
            max_overflow=0,
        )
        _configure_sqlite(self._engine)
        self._thread = ThreadWorker("sqlite-batch")
        self._conn: Connection | None = None  # used on that thread only

    async def run(self, fn: Callable[[Connection], T]) -> T:
        """``fn(conn)`` inside one transaction, committed when it returns (rolled back if it
        raises). The result is returned only after the commit."""
        # Our turn as this process's SQLite writer: the async engine's only pooled connection,
        # held (not used) while the thread works. Taken from the pool itself: wrapped in an
        # AsyncConnection it cost ~100 us more of CPU per batch (bench/README.md, session 7).
        turn = await greenlet_spawn(self._async_engine.sync_engine.pool.connect)
        try:
            result: T = await self._thread.call(self._transaction, fn)
        except BaseException:
            await asyncio.shield(greenlet_spawn(turn.close))  # given back even if cancelled
            raise
        await greenlet_spawn(turn.close)
        return result

    def _transaction(self, fn: Callable[[Connection], T]) -> T:
        # One connection kept open on this thread (no pool checkout and reset per batch).
        conn = self._conn
        if conn is None or conn.closed or conn.invalidated:
            conn = self._conn = self._engine.connect()
        with conn.begin():
            return fn(conn)

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def dispose(self) -> None:
        self._thread.stop(last=self._close)
        self._engine.dispose()


def _file_sqlite(url: str) -> bool:
    """A SQLite database in a file: a second connection sees the same data."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")


class UnitOfWork:
    """One transaction plus the frames to publish once it has committed."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._outgoing: list[tuple[str, bytes]] = []

    def publish(self, channel: str, frame: dict[str, Any], *, seq: int = 0) -> None:
        """Queue ``frame`` for ``channel``; encoded once, sent only after commit."""
        self._outgoing.append((channel, encode_envelope(seq, frame)))

    def publish_encoded(self, channel: str, payload: bytes) -> None:
        """Queue an already encoded payload (``encode_envelope``), e.g. one event for two
        channels: its JSON is encoded once, not once per channel or per socket."""
        self._outgoing.append((channel, payload))

    def take_outgoing(self) -> list[tuple[str, bytes]]:
        out, self._outgoing = self._outgoing, []
        return out


def encode_envelope(seq: int, frame: dict[str, Any]) -> bytes:
    """Broker payload: ``b"<seq> <json>"`` so a receiver can order without decoding JSON."""
    return str(seq).encode() + b" " + orjson.dumps(frame)


def decode_envelope(data: bytes) -> tuple[int, bytes]:
    head, _, body = data.partition(b" ")
    return int(head), body


# The writer's statements find every row by key (conversations by id, events by
# (conversation, client_id)). asyncpg prepares them once per connection and PostgreSQL then
# keeps a generic plan; one made while the tables were small (a new entity, the first minutes)
# scans ``events`` whole on every batch for as long as the connection lives: measured 0.3 ms
# of database CPU per message at 16,000 events. Without sequential scans the plans use the
# indexes whatever the statistics said when they were made.
WRITER_PG_SETTINGS = {"enable_seqscan": "off"}


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False)
        self.after_commit: Publisher | None = None
        # SQLite in a file: whole transactions in one call (the chat writer's batches)
        self.thread_transactions = (
            ThreadTransactions(url, self.engine) if _file_sqlite(url) else None
        )
        self._writer_pg: Any = None  # PostgreSQL: the chat writer's own asyncpg connection
        self._writer_pg_lock = asyncio.Lock()

    async def writer_connection(self) -> Any:
        """PostgreSQL only: the chat writer's own ``asyncpg.Connection``, kept open.

        The writer runs one batch at a time per process, so it needs exactly one connection;
        taking it from the pool for every batch cost a checkout, a pre-ping round trip
        (``SELECT``-like ``;``) and a reset. A connection found closed (the server restarted,
        or a batch failed mid-way, see ``writer_connection_broken``) is replaced."""
        conn = self._writer_pg
        if conn is not None and not conn.is_closed():
            return conn
        async with self._writer_pg_lock:
            conn = self._writer_pg
            if conn is None or conn.is_closed():
                import asyncpg  # type: ignore[import-untyped]

                dsn = make_url(self.url).set(drivername="postgresql")
                conn = self._writer_pg = await asyncpg.connect(
                    dsn.render_as_string(hide_password=False),
                    timeout=10,
                    server_settings=WRITER_PG_SETTINGS,
                )
            return conn

    def writer_connection_broken(self) -> None:
        """A batch failed with the connection in an unknown state: open a fresh one next."""
        conn, self._writer_pg = self._writer_pg, None
        if conn is not None and not conn.is_closed():
            conn.terminate()

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[UnitOfWork]:
        async with self.sessionmaker() as session:
            uow = UnitOfWork(session)
            try:
                yield uow
                await session.commit()
            except BaseException:
                await session.rollback()
                raise
        outgoing = uow.take_outgoing()
        if outgoing and self.after_commit is not None:
            await self.after_commit(outgoing)

    async def create_all(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(Base.metadata.create_all)

    async def publish(self, outgoing: list[tuple[str, bytes]]) -> None:
        """Hand frames of a transaction committed outside ``unit`` to the broker."""
        if outgoing and self.after_commit is not None:
            await self.after_commit(outgoing)

    async def dispose(self) -> None:
        conn, self._writer_pg = self._writer_pg, None
        if conn is not None and not conn.is_closed():
            try:
                await asyncio.wait_for(conn.close(), 5)
            except Exception:
                conn.terminate()
        if self.thread_transactions is not None:
            self.thread_transactions.dispose()
        await self.engine.dispose()
