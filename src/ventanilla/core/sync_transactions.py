"""SQLite only: a whole transaction as ONE synchronous call, on the event loop when it can.

Through SQLAlchemy's async layer over aiosqlite every statement, fetch and commit is a hand-off
between the event loop and aiosqlite's thread (about 20 for the chat writer's batch: ~2.5 ms of
CPU whatever its size). Here a function gets a plain synchronous connection (pysqlite, same
file, same pragmas, ``BEGIN IMMEDIATE``) and does all its statements and the commit in one call.
While it runs, the caller holds the async engine's only connection, so this process's other
units of work wait their turn exactly as they do for each other (no second writer sleeping in
SQLite's busy handler); other processes are serialised by SQLite's write lock.

**Where the call runs.** On the event loop itself, when SQLite's write lock is free at once
(``busy_timeout`` 0 on that connection): a batch is a few hundred microseconds of work, and on
a thread of its own it cost more than it saved. ``sqlite3`` gives up the GIL around every
``sqlite3_step`` and takes it back after, so a batch of n rows asked for the GIL ~3n times
while the event loop held it, and each time waited for the loop's switch interval (5 ms): a
20-row insert took ~50 ms beside a busy loop against ~0.1 ms alone, and that wait was the tail
of message delivery (bench/README.md, session 13). Only when another process holds the write
lock (a CLI command, a backup, another worker on the same file) does the call go to the
database thread, which waits in SQLite's busy handler (30 s) without stopping the loop.

**A large COMMIT off the loop.** Committing writes each changed page to the WAL; for a large
batch spread over many conversations that is ~40 % of its time, in one C call that gives up the
GIL once. From ``COMMIT_ON_THREAD_CHANGES`` changed rows it runs on a commit thread of its own
while the loop serves the sockets; a small one stays on the loop (``_commit``).

**Checkpoints off the loop.** The loop's connection never checkpoints the WAL itself
(``wal_autocheckpoint=0``): copying pages back into the database file, and its fsync, would stop
every socket of the process. After ``CHECKPOINT_CHANGES`` rows changed through it, a passive
checkpoint runs on the database thread, beside the writers, as SQLite's own automatic one
would every 1,000 pages.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine, RootTransaction, make_url
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util.concurrency import greenlet_spawn

from ventanilla.core.handoff import ThreadWorker

log = logging.getLogger(__name__)

T = TypeVar("T")

CHECKPOINT_CHANGES = 1000  # rows changed on the loop's connection between two checkpoints
COMMIT_ON_THREAD_CHANGES = 32  # rows changed from which the COMMIT goes to the commit thread


class SyncTransactions:
    def __init__(
        self,
        url: str,
        engine: AsyncEngine,
        configure: Callable[[Engine], None],
        json_serializer: Callable[[Any], str],
    ) -> None:
        sync_url = make_url(url).set(drivername="sqlite+pysqlite")
        self._async_engine = engine
        # Two connections, never used at the same time (one call holds the turn): the loop's,
        # which gives up at once on a busy lock, and the thread's, which waits.
        self._engine = create_sync_engine(
            sync_url,
            json_serializer=json_serializer,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=2,
            max_overflow=0,
        )
        configure(self._engine)
        self._thread = ThreadWorker("sqlite-batch")
        self._committer = ThreadWorker("sqlite-commit")
        self._loop_conn: Connection | None = None  # used on the event loop only
        self._thread_conn: Connection | None = None  # used on the database thread only
        self._changes_seen = 0  # the loop connection's total_changes at the last checkpoint
        self._checkpointing = False
        self.checkpoints = 0  # for tests and benchmarks
        self.on_thread = 0  # calls that found the write lock taken and went to the thread
        self.commits_on_thread = 0  # large transactions committed by the commit thread

    async def run(self, fn: Callable[[Connection], T]) -> T:
        """``fn(conn)`` inside one transaction, committed when it returns (rolled back if it
        raises). The result is returned only after the commit."""
        # Our turn as this process's SQLite writer: the async engine's only pooled connection,
        # held (not used) while the call works. Taken from the pool itself: wrapped in an
        # AsyncConnection it cost ~100 us more of CPU per batch (bench/README.md, session 7).
        turn = await greenlet_spawn(self._async_engine.sync_engine.pool.connect)
        try:
            try:
                transaction, changed, result = self._on_loop(fn)
            except _LockTaken:
                self.on_thread += 1
                result = await self._thread.call(self._on_thread, fn)
            else:
                await self._commit(transaction, changed)
        except BaseException:
            await asyncio.shield(greenlet_spawn(turn.close))  # given back even if cancelled
            raise
        await greenlet_spawn(turn.close)
        return result

    def _on_loop(self, fn: Callable[[Connection], T]) -> tuple[RootTransaction, int, T]:
        """Begin and run ``fn`` on the loop's connection. Returns the transaction, still to
        commit, and the number of rows ``fn`` changed."""
        conn = self._loop_conn
        if conn is None or conn.closed or conn.invalidated:
            conn = self._loop_conn = self._engine.connect()
            dbapi = _driver(conn)  # (not through SQLAlchemy: no autobegin)
            dbapi.execute("PRAGMA busy_timeout=0")
            dbapi.execute("PRAGMA wal_autocheckpoint=0")
        try:
            transaction = conn.begin()  # BEGIN IMMEDIATE: the write lock, or "locked" at once
        except OperationalError as exc:
            if _locked(exc):
                raise _LockTaken from exc
            raise
        before = _driver(conn).total_changes
        try:
            result = fn(conn)
        except BaseException:
            transaction.rollback()
            raise
        return transaction, _driver(conn).total_changes - before, result

    async def _commit(self, transaction: RootTransaction, changed: int) -> None:
        """COMMIT, on the loop for a small transaction, on the commit thread for a large one.

        Committing writes every page the transaction changed to the WAL, two writes each: for
        a large batch of messages spread over many conversations, ~40 % of its time (about
        three pages per message: its conversation's row and its leaf in each of the two unique
        indexes of ``events``), and all of it in one C call without the GIL. On the commit
        thread the loop serves the sockets meanwhile. A small commit stays on the loop: the
        hand-off, and taking the GIL back beside a busy loop, would cost it more than it saves
        (bench/README.md, session 14). Nobody uses the loop's connection until this returns
        (the caller holds the turn), even if the caller is cancelled meanwhile."""
        conn = transaction.connection
        if changed < COMMIT_ON_THREAD_CHANGES:
            transaction.commit()
            self._maybe_checkpoint(conn)
            return
        self.commits_on_thread += 1
        done = self._committer.call(_driver_commit, _driver(conn))
        cancelled = False
        while not done.done():
            try:
                await asyncio.shield(done)
            except asyncio.CancelledError:
                cancelled = True  # the connection stays ours until the commit has ended
            except Exception:
                break  # the commit failed: its error is read from the future below
        error = done.exception()
        if error is not None:
            transaction.rollback()
            raise error
        transaction.commit()  # SQLAlchemy's side only: the driver's transaction has ended
        self._maybe_checkpoint(conn)
        if cancelled:
            raise asyncio.CancelledError

    def _on_thread(self, fn: Callable[[Connection], T]) -> T:
        conn = self._thread_connection()
        with conn.begin():
            return fn(conn)

    def _thread_connection(self) -> Connection:
        conn = self._thread_conn
        if conn is None or conn.closed or conn.invalidated:
            conn = self._thread_conn = self._engine.connect()
        return conn

    def _maybe_checkpoint(self, conn: Connection) -> None:
        changes = _driver(conn).total_changes
        if self._checkpointing or changes - self._changes_seen < CHECKPOINT_CHANGES:
            return
        self._changes_seen = changes
        self._checkpointing = True
        self._thread.call(self._checkpoint).add_done_callback(self._checkpointed)

    def _checkpoint(self) -> None:
        dbapi = _driver(self._thread_connection())
        # PASSIVE: copies what no reader still needs, without taking the write lock. On the
        # driver's connection: through SQLAlchemy it would begin a transaction first, and a
        # checkpoint cannot run inside one.
        dbapi.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    def _checkpointed(self, done: asyncio.Future[None]) -> None:
        self._checkpointing = False
        if done.cancelled():
            return
        if done.exception() is not None:  # the next one tries again; the WAL only grows
            log.warning("WAL checkpoint failed: %r", done.exception())
            return
        self.checkpoints += 1

    def _close(self) -> None:
        for conn in (self._thread_conn, self._loop_conn):
            if conn is not None:
                conn.close()
        self._thread_conn = self._loop_conn = None

    def dispose(self) -> None:
        # both connections are closed on the thread (the loop's is idle: no call is running)
        self._committer.stop()
        self._thread.stop(last=self._close)
        self._engine.dispose()


def _driver(conn: Connection) -> sqlite3.Connection:
    """The pysqlite connection under a SQLAlchemy one (always there while it is open)."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    return cast(sqlite3.Connection, dbapi)


def _driver_commit(dbapi: sqlite3.Connection) -> None:
    """The COMMIT itself, on the commit thread (a function of its own for the tests)."""
    dbapi.commit()


class _LockTaken(Exception):
    """Another connection holds SQLite's write lock: the call goes to the database thread."""


def _locked(exc: OperationalError) -> bool:
    orig = exc.orig
    return isinstance(orig, sqlite3.OperationalError) and (
        getattr(orig, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
        or "locked" in str(orig)
    )
