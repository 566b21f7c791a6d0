"""core/db.ThreadTransactions (SQLite in a file): a whole transaction in one call on its thread,
taken in turn with the async engine's units of work, the turn given back whatever happens."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from ventanilla.core.db import Database

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'v.db'}")
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
    tt = db.thread_transactions
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
    tt = db.thread_transactions
    assert tt is not None

    def fail(conn: Connection) -> None:
        conn.exec_driver_sql("INSERT INTO t (n) VALUES (9)")
        raise ValueError("mal")

    with pytest.raises(ValueError, match="mal"):
        await tt.run(fail)  # rolled back
    slow = asyncio.ensure_future(tt.run(_insert(3)))
    await asyncio.sleep(0)
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    pool = db.engine.sync_engine.pool
    async with asyncio.timeout(5):  # neither kept the connection: units of work go on
        assert await tt.run(_insert(4)) == 4
        rows = await _rows(db)
    assert 9 not in rows and 4 in rows
    assert pool.checkedout() == 0
