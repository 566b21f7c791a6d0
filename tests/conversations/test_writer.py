"""Group commit: messages posted together share a transaction but keep their own outcome."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from sqlalchemy import select

from ventanilla.agents.models import User
from ventanilla.conversations.models import Conversation, Event
from ventanilla.conversations.writer import MessageWriter, Posted
from ventanilla.core.db import Database, decode_envelope, utcnow
from ventanilla.core.errors import AppError, NotFound
from ventanilla.entity import repository as entity_repository

CITIZEN = ("citizen", None, "Ana")


async def _conversations(db: Database, *specs: tuple[str, str, int | None]) -> int:
    """Create an agent and conversations (id, status, agent); returns the agent's id."""
    async with db.unit() as uow:
        await entity_repository.add_notice(uow.session, "v1", "aviso")
        agent = User(email="a@x.co", name="Ag", display_name="Ag", password_hash="-")
        uow.session.add(agent)
        await uow.session.flush()
        for conv_id, status, agent_id in specs:
            uow.session.add(
                Conversation(
                    id=conv_id,
                    token_digest=conv_id,
                    status=status,
                    citizen_name="Ana",
                    citizen_email="ana@x.co",
                    request_type="peticion",
                    consent_version="v1",
                    consent_at=utcnow(),
                    agent_id=agent.id if agent_id else None,
                )
            )
        return agent.id


async def _events(db: Database) -> list[tuple[str, int, str | None, str]]:
    async with db.unit() as uow:
        rows = await uow.session.execute(
            select(Event.conversation_id, Event.seq, Event.client_id, Event.body).order_by(
                Event.conversation_id, Event.seq
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_one_batch_orders_dedups_and_isolates_failures(db: Database) -> None:
    agent_id = await _conversations(
        db, ("c_a", "active", 1), ("c_b", "waiting", None), ("c_x", "closed", None)
    )
    published: list[tuple[str, bytes]] = []

    async def publish(outgoing: list[tuple[str, bytes]]) -> None:
        published.extend(outgoing)

    db.after_commit = publish
    writer = MessageWriter(db)
    agent = ("agent", agent_id, "Ag")
    posts = [
        writer.post("c_a", author=CITIZEN, client_id="m1", body="uno", internal=False),
        writer.post("c_b", author=CITIZEN, client_id="m1", body="otro", internal=False),
        writer.post("c_a", author=agent, client_id="m2", body="dos", internal=False),
        writer.post("c_a", author=CITIZEN, client_id="m1", body="uno otra vez", internal=False),
        writer.post("c_x", author=CITIZEN, client_id="m3", body="cerrada", internal=False),
        writer.post("c_b", author=agent, client_id="m4", body="ajena", internal=False),
        writer.post("c_b", author=agent, client_id="m5", body="nota", internal=True),
        writer.post("c_none", author=CITIZEN, client_id="m6", body="?", internal=False),
    ]
    results = await asyncio.gather(*posts, return_exceptions=True)

    first, other, second, resend, closed, foreign, note, missing = results
    assert isinstance(first, Posted) and (first.seq, first.created) == (1, True)
    assert isinstance(second, Posted) and (second.seq, second.created) == (2, True)
    assert isinstance(resend, Posted) and (resend.seq, resend.created) == (1, False)
    assert isinstance(other, Posted) and other.seq == 1 and other.status == "waiting"
    assert isinstance(note, Posted) and note.seq == 2
    assert isinstance(closed, AppError) and closed.code == "conversation_closed"
    assert isinstance(foreign, AppError) and foreign.code == "not_assigned"
    assert isinstance(missing, NotFound)
    assert await _events(db) == [
        ("c_a", 1, "m1", "uno"),
        ("c_a", 2, "m2", "dos"),
        ("c_b", 1, "m1", "otro"),
        ("c_b", 2, "m5", "nota"),
    ]
    async with db.unit() as uow:
        a = await uow.session.get(Conversation, "c_a")
        b = await uow.session.get(Conversation, "c_b")
        assert a is not None and b is not None
        assert (a.last_seq, a.last_message, a.last_agent_seq) == (2, "dos", 2)
        assert (b.last_seq, b.last_message, b.last_agent_seq) == (2, "otro", 0)

    by_channel: dict[str, list[int]] = {}
    for channel, payload in published:
        seq, body = decode_envelope(payload)
        by_channel.setdefault(channel, []).append(seq)
        if channel.startswith("conv:"):
            assert orjson.loads(body)["seq"] == seq
    assert by_channel["conv:c_a:a"] == [1, 2] and by_channel["conv:c_a:c"] == [1, 2]
    assert by_channel["conv:c_b:a"] == [1, 2] and by_channel["conv:c_b:c"] == [1]  # no note
    assert "agents" in by_channel  # the waiting conversation's summary moved in the queue


async def test_later_batches_continue_the_sequence_and_see_resends(db: Database) -> None:
    await _conversations(db, ("c_a", "active", 1))
    writer = MessageWriter(db)
    for i in range(3):
        posted = await writer.post(
            "c_a", author=CITIZEN, client_id=f"k{i}", body=f"m{i}", internal=False
        )
        assert (posted.seq, posted.created) == (i + 1, True)
    again = await writer.post("c_a", author=CITIZEN, client_id="k0", body="x", internal=False)
    assert (again.seq, again.created) == (1, False)
    assert [seq for _, seq, _, _ in await _events(db)] == [1, 2, 3]


async def test_a_failing_batch_is_retried_message_by_message(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _conversations(db, ("c_a", "active", 1), ("c_b", "active", 1))
    writer = MessageWriter(db)
    from ventanilla.conversations import writer as writer_module

    # inside the transaction, after its reads, on every path (PostgreSQL's writer_pg, SQLite's
    # batch thread, the async session) they all number the batch with writer._decide
    real = writer_module._decide

    def flaky(batch, convs, seen, now):  # type: ignore[no-untyped-def]
        if len(batch) > 1 or batch[0].conversation_id == "c_b":
            raise RuntimeError("database hiccup")
        return real(batch, convs, seen, now)

    monkeypatch.setattr(writer_module, "_decide", flaky)
    ok, bad = await asyncio.gather(
        writer.post("c_a", author=CITIZEN, client_id="k1", body="a", internal=False),
        writer.post("c_b", author=CITIZEN, client_id="k1", body="b", internal=False),
        return_exceptions=True,
    )
    assert isinstance(ok, Posted) and ok.seq == 1
    assert isinstance(bad, RuntimeError)
    assert await _events(db) == [("c_a", 1, "k1", "a")]


async def test_stored_rows_read_back_as_the_published_frames(db: Database) -> None:
    """On SQLite the batch bypasses SQLAlchemy's statements: the rows must still be exactly what
    the ORM reads (times, JSON, booleans), and the assistant's job is queued with the message."""
    from ventanilla.assistant.models import AssistantJob
    from ventanilla.conversations.frames import event_frame

    if db.url.startswith("sqlite"):
        assert db.sync_transactions is not None  # the one-call path is the one under test
    agent_id = await _conversations(db, ("c_a", "active", 1), ("c_w", "waiting", None))
    published: list[tuple[str, bytes]] = []

    async def publish(outgoing: list[tuple[str, bytes]]) -> None:
        published.extend(outgoing)

    db.after_commit = publish
    writer = MessageWriter(db)
    agent = ("agent", agent_id, "Ag")
    before = utcnow()
    await asyncio.gather(
        writer.post("c_a", author=agent, client_id="a1", body="hola", internal=False),
        writer.post("c_a", author=agent, client_id="a2", body="nota", internal=True),
        writer.post("c_w", author=CITIZEN, client_id="w1", body="¿hay alguien?", internal=False),
    )
    frames = {
        orjson.loads(decode_envelope(p)[1])["client_id"]: orjson.loads(decode_envelope(p)[1])
        for ch, p in published
        if ch.startswith("conv:")
    }
    async with db.unit() as uow:
        events = (await uow.session.execute(select(Event).order_by(Event.id))).scalars().all()
        assert [orjson.loads(orjson.dumps(event_frame(e))) for e in events] == [
            frames["a1"],
            frames["a2"],
            frames["w1"],
        ]
        assert [e.internal for e in events] == [False, True, False]
        assert all(e.created_at >= before and e.created_at.tzinfo is not None for e in events)
        a = await uow.session.get(Conversation, "c_a")
        assert a is not None and a.last_agent_at == events[0].created_at
        assert (a.last_seq, a.last_message, a.last_agent_seq) == (2, "hola", 1)
        jobs = (await uow.session.execute(select(AssistantJob))).scalars().all()
        assert [(j.conversation_id, j.seq, j.text, j.attempts) for j in jobs] == [
            ("c_w", 1, "¿hay alguien?", 0)
        ]
    summaries = [orjson.loads(decode_envelope(p)[1]) for ch, p in published if ch == "agents"]
    assert [s["conversation"]["last_message"] for s in summaries] == ["¿hay alguien?"]


async def test_a_batch_without_the_agent_keeps_the_agents_last_reply_time(db: Database) -> None:
    """The batch rewrites each conversation's counters; ``last_agent_at`` (what the unseen-reply
    emails wait on) changes only when the agent wrote in that batch."""
    agent_id = await _conversations(db, ("c_a", "active", 1))
    writer = MessageWriter(db)
    agent = ("agent", agent_id, "Ag")
    await writer.post("c_a", author=agent, client_id="a1", body="hola", internal=False)
    async with db.unit() as uow:
        first = await uow.session.get(Conversation, "c_a")
        assert first is not None and first.last_agent_at is not None
        replied_at = first.last_agent_at
    await writer.post("c_a", author=CITIZEN, client_id="c1", body="gracias", internal=False)
    await writer.post("c_a", author=agent, client_id="a2", body="nota", internal=True)
    async with db.unit() as uow:
        conv = await uow.session.get(Conversation, "c_a")
        assert conv is not None
        assert (conv.last_seq, conv.last_message, conv.last_agent_seq) == (3, "gracias", 1)
        assert conv.last_agent_at == replied_at
    await writer.post("c_a", author=agent, client_id="a3", body="¿algo más?", internal=False)
    async with db.unit() as uow:
        conv = await uow.session.get(Conversation, "c_a")
        assert conv is not None and conv.last_agent_at is not None
        assert conv.last_agent_at > replied_at and conv.last_agent_seq == 4


async def test_other_writers_take_turns_with_the_batches(db: Database) -> None:
    """The REST path (its own units on the same engine) and the writer's batches interleave on
    one conversation: sequence numbers stay unique and gapless, nothing is lost."""
    from ventanilla.conversations import service

    await _conversations(db, ("c_a", "active", 1))
    writer = MessageWriter(db)

    async def rest(i: int) -> int:
        async with db.unit() as uow:
            ev, _ = await service.post_message(
                uow,
                "c_a",
                author=CITIZEN,
                client_id=f"r{i}",
                body=f"rest {i}",
                internal=False,
                max_chars=2000,
            )
            return ev.seq

    async def socket(i: int) -> int:
        posted = await writer.post(
            "c_a", author=CITIZEN, client_id=f"s{i}", body=f"ws {i}", internal=False
        )
        return posted.seq

    seqs = await asyncio.gather(*(f(i) for i in range(15) for f in (rest, socket)))
    assert sorted(seqs) == list(range(1, 31))
    assert [seq for _, seq, _, _ in await _events(db)] == list(range(1, 31))


@pytest.mark.parametrize("path", ["default", "portable"])
async def test_an_agent_message_raises_the_agents_seen_mark(db: Database, path: str) -> None:
    """Whoever replies has read what came before: the agent's mark rises to its own message in
    the same transaction, so the console sends no ``seen`` for its own messages. It only ever
    rises, and a citizen's message leaves it alone."""
    if path == "portable":
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL always takes its own batch statement (writer_pg)")
        db.sync_transactions = None  # the SQLAlchemy path (SQLite in memory)
    agent_id = await _conversations(db, ("c_s", "active", 1), ("c_t", "active", 1))
    async with db.unit() as uow:
        ahead = await uow.session.get(Conversation, "c_t")
        assert ahead is not None
        ahead.agent_seen_seq = 9  # seen further already (another tab): never lowered
    writer = MessageWriter(db)
    agent = ("agent", agent_id, "Ag")
    for conv_id in ("c_s", "c_t"):
        await writer.post(conv_id, author=CITIZEN, client_id="q", body="hola", internal=False)
    await writer.post("c_s", author=agent, client_id="r", body="buenas", internal=False)
    await writer.post("c_t", author=agent, client_id="r", body="buenas", internal=False)
    await writer.post("c_s", author=CITIZEN, client_id="q2", body="gracias", internal=False)
    async with db.unit() as uow:
        s = await uow.session.get(Conversation, "c_s")
        t = await uow.session.get(Conversation, "c_t")
        assert s is not None and t is not None
        assert (s.last_seq, s.agent_seen_seq, s.citizen_seen_seq) == (3, 2, 0)
        assert (t.last_seq, t.agent_seen_seq) == (2, 9)
