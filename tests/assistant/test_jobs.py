"""Durable replies: the job is stored with the message, claimed by one run only, finished with
the reply, and picked up by the sweep when the process that stored the message died."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

from sqlalchemy import func, select

from tests.clients import Citizen, create_user, seed_demo
from tests.conftest import LiveServer
from ventanilla.agents.models import User
from ventanilla.assistant import queue, repository
from ventanilla.assistant.models import AssistantJob
from ventanilla.conversations import service as conversations
from ventanilla.conversations.models import Conversation, Event
from ventanilla.conversations.writer import MessageWriter
from ventanilla.core.db import Database, utcnow
from ventanilla.entity import repository as entity_repository
from ventanilla.notifications import inbound
from ventanilla.notifications.links import reply_address
from ventanilla.settings import Settings

CITIZEN = ("citizen", None, "Ana")
SLOW = 120.0


async def _conversations(db: Database, *specs: tuple[str, str]) -> None:
    async with db.unit() as uow:
        await entity_repository.add_notice(uow.session, "v1", "aviso")
        uow.session.add(User(email="a@x.co", name="Ag", display_name="Ag", password_hash="-"))
        for conv_id, status in specs:
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
                )
            )


async def _jobs(db: Database) -> list[tuple[str, int, str]]:
    async with db.unit() as uow:
        rows = await uow.session.execute(
            select(AssistantJob.conversation_id, AssistantJob.seq, AssistantJob.text).order_by(
                AssistantJob.conversation_id, AssistantJob.seq
            )
        )
        return [(c, s, t) for c, s, t in rows]


async def test_the_writer_stores_the_job_with_the_message(db: Database) -> None:
    await _conversations(db, ("c_bot", "assistant"), ("c_wait", "waiting"), ("c_act", "active"))
    writer = MessageWriter(db)
    await writer.post(
        "c_bot", author=CITIZEN, client_id="k1", body="¿a qué hora abren?", internal=False
    )
    await writer.post("c_wait", author=CITIZEN, client_id="k2", body="hola", internal=False)
    await writer.post(
        "c_act", author=CITIZEN, client_id="k3", body="gracias", internal=False
    )  # a person attends
    await writer.post(
        "c_act", author=CITIZEN, client_id="k4", body="¿cómo va CC-2026-000123?", internal=False
    )
    again = await writer.post(
        "c_bot", author=CITIZEN, client_id="k1", body="¿a qué hora abren?", internal=False
    )
    assert not again.created  # a resend: no second job
    assert await _jobs(db) == [
        ("c_act", 2, "¿cómo va CC-2026-000123?"),  # a case lookup is answered whoever attends
        ("c_bot", 1, "¿a qué hora abren?"),
        ("c_wait", 1, "hola"),
    ]


async def test_one_claim_wins_and_only_it_can_finish(db: Database) -> None:
    await _conversations(db, ("c1", "assistant"))
    now = utcnow()
    async with db.unit() as uow:
        await queue.enqueue(uow.session, [("c1", 1, "hola", "assistant")], now)
    async with db.unit() as uow:
        first = await repository.claim_job(
            uow.session, "run-a", now, now + timedelta(minutes=2), message=("c1", 1)
        )
        assert first is not None and first.attempts == 1
        job_id = first.id
    async with db.unit() as uow:  # held: nobody else gets it
        assert await repository.claim_job(uow.session, "run-b", now, now, job_id=job_id) is None
        assert await repository.due_jobs(uow.session, now, now + timedelta(minutes=1)) == []
    later = now + timedelta(minutes=3)  # run-a died: its lease ran out
    async with db.unit() as uow:
        assert await repository.due_jobs(uow.session, later, later) == [job_id]
        second = await repository.claim_job(
            uow.session, "run-b", later, later + timedelta(minutes=2), job_id=job_id
        )
        assert second is not None and second.attempts == 2
    async with db.unit() as uow:
        assert not await repository.finish_job(uow.session, job_id, "run-a")  # too late
        assert await repository.finish_job(uow.session, job_id, "run-b")
    assert await _jobs(db) == []


async def _assistant_events(db: Database, conversation_id: str) -> int:
    async with db.unit() as uow:
        count = await uow.session.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.conversation_id == conversation_id, Event.author_role == "assistant")
        )
        return int(count or 0)


async def test_a_reply_left_by_a_dead_process_is_sent_once(server: LiveServer) -> None:
    await seed_demo(server.settings.database_url, server.url, knowledge_base=True)
    await create_user(server.settings.database_url, "ana@entidad.gov.co")
    citizen = Citizen(server.url)
    r = await citizen.start()
    assert r.status_code == 201 and r.json()["status"] == "assistant"
    await citizen.connect()
    conv_id = citizen.conversation_id
    assert conv_id
    # Another process stored a message and its job, then died before replying: the rows are
    # there (its creation time is old enough to count as orphaned), nobody claimed the job.
    db = Database(server.settings.database_url)
    try:
        async with db.unit() as uow:
            ev, created = await conversations.post_message(
                uow,
                conv_id,
                author=("citizen", None, "Ana"),
                client_id="lost-1",
                body="¿dónde queda la sede del canal?",
                internal=False,
                max_chars=2000,
            )
            old = utcnow() - timedelta(minutes=1)
            await queue.enqueue(uow.session, [(conv_id, ev.seq, ev.body or "", "assistant")], old)
        assert created
        assert citizen.socket
        reply = await citizen.socket.expect(
            lambda f: f.get("type") == "event" and f["author"]["role"] == "assistant", SLOW
        )
        assert reply["data"].get("entry_id") == "direccion-sede" or reply["kind"] in (
            "choices",
            "handover",
        )
        assert await _jobs(db) == []
        # The sweep keeps running: the same message is never answered again.
        await citizen.socket.nothing(
            lambda f: f.get("type") == "event" and f["author"]["role"] == "assistant", 6.0
        )
        assert await _assistant_events(db, conv_id) == 1
    finally:
        await db.dispose()
        await citizen.close()


async def test_a_chat_message_is_answered_and_its_job_finished(server: LiveServer) -> None:
    await seed_demo(server.settings.database_url, server.url, knowledge_base=True)
    await create_user(server.settings.database_url, "ana@entidad.gov.co")
    citizen = Citizen(server.url)
    await citizen.start()
    await citizen.connect()
    await citizen.say("muchas gracias")
    assert citizen.socket
    thanks = await citizen.socket.expect(
        lambda f: f.get("type") == "event" and f["author"]["role"] == "assistant", SLOW
    )
    assert thanks["data"]["small_talk"] == "thanks"
    db = Database(server.settings.database_url)
    try:
        assert await _jobs(db) == []
    finally:
        await db.dispose()
        await citizen.close()


async def test_an_email_reply_to_a_conversation_with_the_assistant_queues_a_reply(
    db: Database, settings: Settings
) -> None:
    await _conversations(db, ("c_bot", "assistant"), ("c_act", "active"))
    for conv_id in ("c_bot", "c_act"):
        msg = EmailMessage()
        msg["From"] = "ana@x.co"
        msg["To"] = reply_address(settings.secret_key, "respuesta@canal.test", conv_id)
        msg["Subject"] = "Re: su conversación"
        msg["Message-ID"] = f"<{conv_id}@example.com>"
        msg.set_content("¿y a qué hora atienden?")
        stored = await inbound.receive(db, msg.as_bytes(), settings, "smtp")
        assert stored.status == "added"
    # only the conversation still with the assistant owes a reply (a person attends the other)
    assert await _jobs(db) == [("c_bot", 1, "¿y a qué hora atienden?")]
