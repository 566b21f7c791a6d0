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
from typing import Any

import orjson
from sqlalchemy import DateTime, Engine, MetaData, event, make_url
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

from ventanilla.core.sync_transactions import SyncTransactions

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
            # (``SyncTransactions.run``), ~3 % of the process's time at 2,000 msgs/s.
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
        self.sync_transactions = (
            SyncTransactions(url, self.engine, _configure_sqlite, _json_dumps)
            if _file_sqlite(url)
            else None
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
        if self.sync_transactions is not None:
            self.sync_transactions.dispose()
        await self.engine.dispose()
