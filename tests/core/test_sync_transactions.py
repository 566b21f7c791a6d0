"""core/sync_transactions (SQLite in a file): a whole transaction in one synchronous call, on
the event loop while SQLite's write lock is free and on the database thread while another
process holds it; taken in turn with the async engine's units of work, the turn given back
whatever happens; the WAL checkpointed off the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from ventanilla.core import sync_transactions
from ventanilla.core.db import Database

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'v.db'}")
    database.path = tmp_path / "v.db"  # type: ignore[attr-defined]
    async with database.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield database
    await database.dispose()


def _insert(n: int) -> Callable[[Connection], int]:
    def run(conn: Connection) -> int:
        conn.exec_driver_sql("INSERT INTO t (n) VALUES (?)", (n,))
        return n

    return run


async def _rows(db: Database) -> list[int]:
    async with db.unit() as uow:
        return list((await uow.session.execute(text("SELECT n FROM t ORDER BY n"))).scalars())


async def test_a_batch_waits_for_the_unit_that_holds_the_turn(db: Database) -> None:
    tt = db.sync_transactions
    assert tt is not None
    order: list[str] = []
    async with db.unit() as uow:
        await uow.session.execute(text("INSERT INTO t (n) VALUES (1)"))
        batch = asyncio.ensure_future(tt.run(_insert(2)))
        await asyncio.sleep(0.05)
        assert not batch.done()  # the async engine's one connection is this unit's
        order.append("unit")
    assert await batch == 2
    order.append("batch")
    assert order == ["unit", "batch"]
    assert await _rows(db) == [1, 2]


async def test_the_turn_is_given_back_after_an_error_and_a_cancelled_caller(db: Database) -> None:
    tt = db.sync_transactions
    assert tt is not None

    def fail(conn: Connection) -> None:
        conn.exec_driver_sql("INSERT INTO t (n) VALUES (9)")
        raise ValueError("mal")

    with pytest.raises(ValueError, match="mal"):
        await tt.run(fail)  # rolled back
    other = sqlite3.connect(db.path, isolation_level=None)  # type: ignore[attr-defined]
    other.execute("BEGIN IMMEDIATE")  # the call waits on the database thread
    slow = asyncio.ensure_future(tt.run(_insert(3)))
    await asyncio.sleep(0.05)
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    other.execute("COMMIT")
    other.close()
    pool = db.engine.sync_engine.pool
    async with asyncio.timeout(5):  # neither kept the connection: units of work go on
        assert await tt.run(_insert(4)) == 4
        rows = await _rows(db)
    assert 9 not in rows and 4 in rows
    assert pool.checkedout() == 0


async def test_a_call_runs_on_the_loop_while_the_write_lock_is_free(db: Database) -> None:
    tt = db.sync_transactions
    assert tt is not None
    loop_thread = threading.get_ident()
    ran_on: list[int] = []

    def where(conn: Connection) -> int:
        ran_on.append(threading.get_ident())
        conn.exec_driver_sql("INSERT INTO t (n) VALUES (5)")
        return 5

    assert await tt.run(where) == 5
    assert ran_on == [loop_thread] and tt.on_thread == 0
    assert await _rows(db) == [5]


async def test_another_process_holding_the_lock_sends_the_call_to_the_thread(db: Database) -> None:
    """A CLI command or a backup holds SQLite's write lock: the call waits on the database thread
    in SQLite's busy handler while the event loop goes on, then commits."""
    tt = db.sync_transactions
    assert tt is not None
    other = sqlite3.connect(db.path, isolation_level=None)  # type: ignore[attr-defined]
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO t (n) VALUES (1)")
    ran_on: list[int] = []

    def insert_two(conn: Connection) -> int:
        ran_on.append(threading.get_ident())
        conn.exec_driver_sql("INSERT INTO t (n) VALUES (2)")
        return 2

    batch = asyncio.ensure_future(tt.run(insert_two))
    ticks = 0
    for _ in range(20):  # the loop is not stopped by the waiting call
        await asyncio.sleep(0.01)
        ticks += 1
    assert not batch.done() and ticks == 20
    other.execute("COMMIT")
    other.close()
    async with asyncio.timeout(10):
        assert await batch == 2
    assert tt.on_thread == 1 and ran_on and ran_on[0] != threading.get_ident()
    assert await _rows(db) == [1, 2]
    assert await tt.run(_insert(3)) == 3  # the lock is free again: back on the loop
    assert tt.on_thread == 1


async def test_an_error_on_the_loop_rolls_back_and_the_next_call_goes_on(db: Database) -> None:
    tt = db.sync_transactions
    assert tt is not None

    def fail(conn: Connection) -> None:
        conn.exec_driver_sql("INSERT INTO t (n) VALUES (7)")
        conn.exec_driver_sql("INSERT INTO nowhere (n) VALUES (7)")

    with pytest.raises(Exception, match="nowhere"):
        await tt.run(fail)
    assert await tt.run(_insert(8)) == 8
    assert await _rows(db) == [8]


async def test_the_wal_is_checkpointed_off_the_loop(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop's connection never checkpoints itself; after enough changed rows a passive
    checkpoint runs on the database thread and the WAL's frames are copied back."""
    tt = db.sync_transactions
    assert tt is not None
    monkeypatch.setattr(sync_transactions, "CHECKPOINT_CHANGES", 50)

    def many(conn: Connection) -> None:
        conn.exec_driver_sql("INSERT INTO t (n) VALUES (?)", (0,))
        for _ in range(6):
            conn.exec_driver_sql("INSERT INTO t (n) SELECT n + 1 FROM t")  # doubles the rows

    size = db.path.stat().st_size  # type: ignore[attr-defined]
    await tt.run(many)  # 64 rows inserted: over the threshold
    assert tt.checkpoints == 0  # not on the loop
    async with asyncio.timeout(10):
        while tt.checkpoints == 0:
            await asyncio.sleep(0.01)
    assert db.path.stat().st_size > size  # type: ignore[attr-defined]  # pages copied back
    loop_conn = tt._loop_conn
    assert loop_conn is not None
    dbapi = loop_conn.connection.dbapi_connection
    assert dbapi is not None
    assert dbapi.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)


def _many(n: int) -> Callable[[Connection], int]:
    def run(conn: Connection) -> int:
        for i in range(n):
            conn.exec_driver_sql("INSERT INTO t (n) VALUES (?)", (i,))
        return n

    return run


def _slow_commit(
    commits: list[int], release: threading.Event
) -> Callable[[sqlite3.Connection], None]:
    def commit(dbapi: sqlite3.Connection) -> None:
        commits.append(threading.get_ident())
        release.wait(5)  # holds the commit thread (and not the GIL) until the test lets go
        dbapi.commit()

    return commit


async def test_a_large_transaction_commits_on_the_commit_thread_while_the_loop_goes_on(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    tt = db.sync_transactions
    assert tt is not None
    commits: list[int] = []
    release = threading.Event()
    monkeypatch.setattr(sync_transactions, "_driver_commit", _slow_commit(commits, release))
    assert await tt.run(_many(3)) == 3  # small: committed on the loop, as before
    assert commits == [] and tt.commits_on_thread == 0
    large = sync_transactions.COMMIT_ON_THREAD_CHANGES
    batch = asyncio.ensure_future(tt.run(_many(large)))
    ticks = 0
    for _ in range(10):  # the loop is not stopped by the commit
        await asyncio.sleep(0.01)
        ticks += 1
    assert ticks == 10 and not batch.done()
    assert len(commits) == 1 and commits[0] != threading.get_ident()
    other = sqlite3.connect(db.path)  # type: ignore[attr-defined]
    assert other.execute("SELECT count(*) FROM t").fetchone() == (3,)  # not committed yet
    release.set()
    async with asyncio.timeout(5):
        assert await batch == large
    assert other.execute("SELECT count(*) FROM t").fetchone() == (3 + large,)
    other.close()
    assert tt.commits_on_thread == 1
    assert await tt.run(_insert(100)) == 100  # the connection and the turn are free again


async def test_a_failed_commit_on_the_thread_rolls_back_and_the_next_call_goes_on(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    tt = db.sync_transactions
    assert tt is not None

    def fail(dbapi: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(sync_transactions, "_driver_commit", fail)
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        await tt.run(_many(sync_transactions.COMMIT_ON_THREAD_CHANGES))
    assert await tt.run(_insert(7)) == 7  # small: on the loop
    assert await _rows(db) == [7]
    assert db.engine.sync_engine.pool.checkedout() == 0


async def test_a_caller_cancelled_during_the_commit_leaves_it_whole(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection is the commit thread's until its COMMIT ends: the cancelled caller waits
    for it, then gives the turn back; the batch is stored all the same."""
    tt = db.sync_transactions
    assert tt is not None
    commits: list[int] = []
    release = threading.Event()
    monkeypatch.setattr(sync_transactions, "_driver_commit", _slow_commit(commits, release))
    large = sync_transactions.COMMIT_ON_THREAD_CHANGES
    batch = asyncio.ensure_future(tt.run(_many(large)))
    async with asyncio.timeout(5):
        while not commits:
            await asyncio.sleep(0.01)
    batch.cancel()
    await asyncio.sleep(0.05)
    assert not batch.done()  # still waiting for the commit it cannot stop
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await batch
    assert len(await _rows(db)) == large
    assert await tt.run(_insert(-1)) == -1
    assert db.engine.sync_engine.pool.checkedout() == 0
