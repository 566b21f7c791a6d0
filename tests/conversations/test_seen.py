"""``seen`` frames are merged per (conversation, role) and committed together."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conversations.test_writer import _conversations
from ventanilla.conversations.models import Conversation
from ventanilla.conversations.seen import SeenMarks
from ventanilla.core.db import Database, decode_envelope


async def _with_events(db: Database, last_seq: int, *ids: str, agent_seen: int = 0) -> None:
    """Active conversations ``ids`` whose last event is ``last_seq``."""
    await _conversations(db, *((i, "active", 1) for i in ids))
    async with db.unit() as uow:
        for conv_id in ids:
            conv = await uow.session.get(Conversation, conv_id)
            assert conv is not None
            conv.last_seq = last_seq
            conv.agent_seen_seq = agent_seen


@pytest.mark.parametrize("path", ["one call", "async driver"])
async def test_marks_gather_into_few_transactions_and_only_raise(db: Database, path: str) -> None:
    """Both write paths: SQLite in a file commits in one synchronous call (``_commit_sync``);
    the async driver's path is PostgreSQL's, and SQLite's in memory."""
    if path == "async driver":
        db.sync_transactions = None
    elif db.sync_transactions is None:
        pytest.skip("the one-call path is for SQLite in a file only")
    await _with_events(db, 40, "s1", "s2", agent_seen=5)
    one_call = db.sync_transactions
    in_one_call = []
    if one_call is not None:
        run = one_call.run

        async def counted(fn: Any) -> Any:
            in_one_call.append(fn)
            return await run(fn)

        one_call.run = counted  # type: ignore[method-assign]
    published: list[tuple[str, bytes]] = []

    async def publish(outgoing: list[tuple[str, bytes]]) -> None:
        published.extend(outgoing)

    db.after_commit = publish
    marks = SeenMarks(db)
    for seq in range(1, 31):  # a console reporting every event, and a widget now and then
        marks.mark("s1", "agent", seq)
        if seq % 10 == 0:
            marks.mark("s1", "citizen", seq)
    marks.mark("s2", "agent", 3)  # lower than stored: changes nothing
    marks.mark("s2", "citizen", 99)  # beyond the last event: capped
    marks.mark("gone", "citizen", 1)  # no such conversation: skipped, the rest still stored
    await marks.flush()
    assert marks.transactions <= 2
    assert len(in_one_call) == (marks.transactions if path == "one call" else 0)
    async with db.unit() as uow:
        s1 = await uow.session.get(Conversation, "s1")
        s2 = await uow.session.get(Conversation, "s2")
        assert s1 is not None and s2 is not None
        assert (s1.agent_seen_seq, s1.citizen_seen_seq) == (30, 30)
        assert (s2.agent_seen_seq, s2.citizen_seen_seq) == (5, 40)
    frames = sorted((ch, decode_envelope(p)[1]) for ch, p in published)
    assert [ch for ch, _ in frames] == ["conv:s1:a", "conv:s1:c", "conv:s2:a"]
    assert all(b'"type":"seen"' in body for _, body in frames)


async def test_marks_made_during_a_commit_go_in_the_next_one(db: Database) -> None:
    await _with_events(db, 10, "s3")
    marks = SeenMarks(db, delay=0)
    marks.mark("s3", "agent", 2)
    await asyncio.sleep(0)  # the first commit is under way
    marks.mark("s3", "agent", 7)
    await marks.flush()
    async with db.unit() as uow:
        conv = await uow.session.get(Conversation, "s3")
        assert conv is not None and conv.agent_seen_seq == 7


async def test_marks_of_the_next_moments_wait_for_the_same_transaction(db: Database) -> None:
    """A batch waits a moment before committing, so a steady stream of ``seen`` frames does
    not keep the database busy with one transaction after another."""
    await _with_events(db, 10, "s4", "s5")
    at_once = SeenMarks(db, delay=0)
    at_once.mark("s4", "agent", 1)
    await asyncio.sleep(0.1)
    at_once.mark("s5", "agent", 1)
    await at_once.flush()
    assert at_once.transactions == 2  # without the wait: a transaction per moment
    gathered = SeenMarks(db, delay=0.5)
    gathered.mark("s4", "agent", 2)
    await asyncio.sleep(0.1)
    gathered.mark("s5", "agent", 2)
    await gathered.flush()
    assert gathered.transactions == 1


async def test_a_conversation_held_by_the_writer_is_marked_in_a_later_batch(db: Database) -> None:
    """``seen`` never waits for a row another transaction holds (PostgreSQL: SKIP LOCKED), so it
    cannot deadlock with the chat writer; the mark is kept for the next batch."""
    from ventanilla.conversations import repository

    await _with_events(db, 9, "s6")
    marks = SeenMarks(db, delay=0.05)
    postgres = db.engine.dialect.name == "postgresql"
    async with db.unit() as writer:
        await repository.lock(writer.session, "s6")  # the chat writer's batch holds the row
        marks.mark("s6", "citizen", 5)
        if postgres:
            await asyncio.sleep(0.3)  # batches meanwhile skip it instead of waiting
            assert marks.transactions >= 2
    await marks.flush()
    async with db.unit() as uow:
        conv = await uow.session.get(Conversation, "s6")
        assert conv is not None and conv.citizen_seen_seq == 5


async def test_the_wait_is_short_on_the_one_call_path_only(db: Database) -> None:
    """20 ms on SQLite's one-call path (a batch's frames go out at once, bench/README.md
    session 8); 200 ms through the async driver, where a shorter wait only cost CPU."""
    from ventanilla.conversations import seen

    expected = seen.DELAY_THREAD if db.sync_transactions is not None else seen.DELAY
    assert SeenMarks(db)._delay == expected
    one_call, db.sync_transactions = db.sync_transactions, None
    assert SeenMarks(db)._delay == seen.DELAY
    db.sync_transactions = one_call  # disposed with the database
