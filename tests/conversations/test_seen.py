"""``seen`` frames are merged per (conversation, role) and committed together."""

from __future__ import annotations

import asyncio

from tests.conversations.test_writer import _conversations
from ventanilla.conversations.models import Conversation
from ventanilla.conversations.seen import SeenMarks
from ventanilla.core.db import Database, decode_envelope


async def test_marks_gather_into_few_transactions_and_only_raise(db: Database) -> None:
    await _conversations(db, ("s1", "active", 1), ("s2", "active", 1))
    async with db.unit() as uow:
        for conv_id in ("s1", "s2"):
            conv = await uow.session.get(Conversation, conv_id)
            assert conv is not None
            conv.last_seq = 40
            conv.agent_seen_seq = 5
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
    await _conversations(db, ("s3", "active", 1))
    async with db.unit() as uow:
        conv = await uow.session.get(Conversation, "s3")
        assert conv is not None
        conv.last_seq = 10
    marks = SeenMarks(db)
    marks.mark("s3", "agent", 2)
    await asyncio.sleep(0)  # the first commit is under way
    marks.mark("s3", "agent", 7)
    await marks.flush()
    async with db.unit() as uow:
        conv = await uow.session.get(Conversation, "s3")
        assert conv is not None and conv.agent_seen_seq == 7
