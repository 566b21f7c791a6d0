"""The life of a case over HTTP with a real SMTP server: on hold (the clock stops), completed
(the term starts again), answered (email with proof, chat), and the transitions refused."""

from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import pytest
from sqlalchemy import delete, func, select

from tests.cases.helpers import file_directly, filed_over_http
from tests.conftest import LiveServer
from tests.notifications.smtp_server import SmtpServer
from ventanilla.cases import workflow
from ventanilla.cases.models import Case, CaseEvent
from ventanilla.cases.notices import NOTICE_KINDS
from ventanilla.cases.types import calendar
from ventanilla.conversations.models import Conversation
from ventanilla.core import i18n
from ventanilla.core.db import Database
from ventanilla.core.errors import AppError
from ventanilla.notifications.models import OutboxEmail
from ventanilla.settings import Settings

I18N = Path(i18n.__file__).parent


def _text(msg: object) -> str:
    part = msg.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    return str(part.get_content())


async def _event_count(db: Database, number: str) -> int:
    async with db.unit() as uow:
        case = await uow.session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        return int(
            await uow.session.scalar(
                select(func.count()).select_from(CaseEvent).where(CaseEvent.case_id == case.id)
            )
            or 0
        )


async def test_hold_complete_and_answer_with_delivery_proof(
    mail_server: LiveServer, smtp: SmtpServer
) -> None:
    agent, citizen, number = await filed_over_http(mail_server)
    await smtp.wait_for(1)  # the constancia
    db = Database(mail_server.settings.database_url)  # the server's own runs on its loop

    r = await agent.post(
        f"/api/agent/cases/{number}/hold", {"request": "Copia de la factura del servicio"}
    )
    assert r.status_code == 200, r.text
    detail = r.json()
    assert detail["case"]["status"] == "on_hold" and detail["case"]["due_date"] is None
    assert detail["allowed"] == ["complete", "withdraw"]
    [_, held] = await smtp.wait_for(2)
    assert number in held["Subject"] and "Copia de la factura" in _text(held)
    assert held["To"] == "marta@example.com"
    note = await citizen.event(kind="message")
    assert "Copia de la factura" in note["body"] and note["author"]["role"] == "system"

    # Invalid steps are refused with a clear error and change nothing.
    events_before = await _event_count(db, number)
    for path, body in (
        ("hold", {"request": "Otra cosa"}),
        ("answer", {"answer": "Respuesta"}),
        ("forward", {"competent_entity": "IDU"}),
    ):
        bad = await agent.post(f"/api/agent/cases/{number}/{path}", body)
        assert bad.status_code == 409, (path, bad.text)
        assert bad.json()["error"]["code"] == "case_transition_invalid"
    assert await _event_count(db, number) == events_before

    # The citizen sends what was missing in the chat; the agent records it: the term restarts.
    await citizen.say("Adjunto la factura número 4455")
    shown = (await agent.http.get(f"/api/agent/cases/{number}")).json()
    assert shown["citizen_replied_at"]  # the agent sees that the citizen answered
    r = await agent.post(f"/api/agent/cases/{number}/complete", {"note": "Llegó por el chat"})
    assert r.status_code == 200, r.text
    detail = r.json()
    completed = next(e for e in detail["events"] if e["kind"] == "completed")
    completed_on = date.fromisoformat(completed["data"]["completed_on"])
    async with db.unit() as uow:
        expected = (await calendar(uow.session)).add_business_days(completed_on, 15)
    assert detail["case"]["status"] == "filed"
    assert detail["case"]["due_date"] == expected.isoformat()
    await smtp.wait_for(3)

    r = await agent.post(
        f"/api/agent/cases/{number}/answer",
        {"answer": "Corregimos los datos y publicamos la fe de erratas."},
    )
    assert r.status_code == 200, r.text
    detail = r.json()
    assert detail["case"]["status"] == "answered"
    assert detail["case"]["answered_on_time"] is True
    assert detail["allowed"] == []
    answer = (await smtp.wait_for(4))[3]
    assert "fe de erratas" in _text(answer) and number in answer["Subject"]
    chat = await citizen.socket.expect(  # type: ignore[union-attr]
        lambda f: f.get("type") == "event" and "fe de erratas" in (f.get("body") or "")
    )
    assert chat["author"]["name"] == "Ana"  # the display name of the agent who answered

    # The proof: the SMTP server's acceptance, the time and the Message-ID, linked to the case.
    for _ in range(100):
        proof = (await agent.http.get(f"/api/agent/cases/{number}")).json()["answer_email"]
        if proof["status"] == "sent":
            break
        await asyncio.sleep(0.05)
    assert proof["status"] == "sent" and proof["sent_at"]
    assert proof["server_response"].startswith("2.0.0") or "Queued" in proof["server_response"]
    assert answer["Message-ID"] == f"<{proof['message_id']}>"
    kinds = [
        e["kind"] for e in (await agent.http.get(f"/api/agent/cases/{number}")).json()["events"]
    ]
    assert kinds == ["filed", "on_hold", "completed", "answered"]

    again = await agent.post(f"/api/agent/cases/{number}/answer", {"answer": "Otra"})
    assert again.status_code == 409
    hold = await agent.post(f"/api/agent/cases/{number}/hold", {"request": "x"})
    assert hold.json()["error"]["code"] == "case_transition_invalid"
    await agent.close()
    await citizen.close()
    await db.dispose()


async def test_a_reply_by_email_completes_the_petition_from_its_date(
    mail_server: LiveServer, smtp: SmtpServer
) -> None:
    """The citizen answers the hold request by email (not in the chat): the reply lands in the
    conversation, the agent sees it, and completing without a date counts the new term from the
    day of that email (art. 17)."""
    agent, citizen, number = await filed_over_http(mail_server, connect=False)
    r = await agent.post(f"/api/agent/cases/{number}/hold", {"request": "Copia de la cédula"})
    assert r.status_code == 200, r.text
    assert r.json()["citizen_replied_at"] is None
    [_, held] = await smtp.wait_for(2)
    assert held["Reply-To"]

    reply = EmailMessage()
    reply["From"] = "Marta Gómez <marta@example.com>"
    reply["To"] = held["Reply-To"]
    reply["Subject"] = "Re: " + held["Subject"]
    reply["Message-ID"] = "<cedula-4455@example.com>"
    reply["In-Reply-To"] = held["Message-ID"]
    reply.set_content("Adjunto la copia de la cédula.")
    port = mail_server.settings.mail.smtp_receiver_port
    await aiosmtplib.send(reply, hostname="127.0.0.1", port=port)
    for _ in range(200):  # the receiver adds it to the conversation after the SMTP exchange
        shown = (await agent.http.get(f"/api/agent/cases/{number}")).json()
        if shown["citizen_replied_at"]:
            break
        await asyncio.sleep(0.05)
    replied_at = datetime.fromisoformat(shown["citizen_replied_at"])
    conv = (await agent.http.get(f"/api/agent/conversations/{citizen.conversation_id}")).json()
    by_email = [
        e
        for e in conv["events"]
        if e["author"]["role"] == "citizen" and (e.get("data") or {}).get("via") == "email"
    ]
    assert [e["body"] for e in by_email] == ["Adjunto la copia de la cédula."]

    r = await agent.post(f"/api/agent/cases/{number}/complete", {"note": "Llegó por correo"})
    assert r.status_code == 200, r.text
    detail = r.json()
    db = Database(mail_server.settings.database_url)
    async with db.unit() as uow:
        zone = await workflow.entity_zone(uow)
        replied_on = replied_at.astimezone(zone).date()
        expected = (await calendar(uow.session)).add_business_days(replied_on, 15)
    await db.dispose()
    completed = next(e for e in detail["events"] if e["kind"] == "completed")
    assert completed["data"]["completed_on"] == replied_on.isoformat()
    assert detail["case"]["status"] == "filed"
    assert detail["case"]["due_date"] == expected.isoformat()
    notice = (await smtp.wait_for(3))[2]
    assert number in notice["Subject"] and expected.strftime("%d/%m/%Y") in _text(notice)
    await agent.close()
    await citizen.close()


async def test_not_competent_forwards_with_a_notice(
    mail_server: LiveServer, smtp: SmtpServer
) -> None:
    agent, citizen, number = await filed_over_http(mail_server, connect=False)
    empty = await agent.post(f"/api/agent/cases/{number}/forward", {"competent_entity": " "})
    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "competent_entity_required"
    before = (await agent.http.get(f"/api/agent/cases/{number}")).json()
    assert before["forward_by"]  # the 5-business-day deadline is shown while it runs
    r = await agent.post(
        f"/api/agent/cases/{number}/forward",
        {"competent_entity": "Secretaría Distrital de Movilidad", "note": "Oficio 123"},
    )
    assert r.status_code == 200, r.text
    detail = r.json()
    assert detail["case"]["status"] == "forwarded"
    assert detail["case"]["forward_due"] == before["forward_by"]
    forwarded = detail["events"][-1]
    assert forwarded["data"]["on_time"] is True and forwarded["email"]["to_address"]
    notice = (await smtp.wait_for(2))[1]
    assert "Secretaría Distrital de Movilidad" in _text(notice)
    await agent.close()
    await citizen.close()


async def test_rules_of_art_17_and_art_14(db: Database, settings: Settings) -> None:
    agent, [case] = await file_directly(db, settings)
    number, filed = case.number, case.filed_on

    async def attempt(step: str, **kw: object) -> str:
        try:
            async with db.unit() as uow:
                await getattr(workflow, step)(uow, number, actor=agent, settings=settings, **kw)
        except AppError as exc:
            return exc.code
        return "ok"

    async with db.unit() as uow:
        cal = await calendar(uow.session)
    late = cal.add_business_days(filed, 11)
    assert await attempt("hold", request="Falta la cédula", today=late) == "hold_too_late"
    assert await attempt("withdraw", today=filed) == "case_transition_invalid"
    assert await attempt("hold", request="Falta la cédula", today=filed) == "ok"
    month = workflow.one_month_after(filed)
    assert await attempt("withdraw", today=month) == "withdraw_too_early"
    assert (
        await attempt("complete", today=filed, completed_on=filed - timedelta(days=1))
        == "completed_on_invalid"
    )
    assert await attempt("withdraw", today=month + timedelta(days=1)) == "ok"
    async with db.unit() as uow:
        row = await uow.session.scalar(select(Case).where(Case.number == number))
        assert row is not None and row.status == "closed" and row.closed_reason == "withdrawn"
    assert await attempt("complete", today=month) == "case_transition_invalid"


def test_one_month_after() -> None:
    assert workflow.one_month_after(date(2026, 1, 31)) == date(2026, 2, 28)
    assert workflow.one_month_after(date(2026, 12, 15)) == date(2027, 1, 15)


async def test_after_completion_the_extension_counts_from_the_new_term(
    db: Database, settings: Settings
) -> None:
    agent, [case] = await file_directly(db, settings)
    filed = case.filed_on
    async with db.unit() as uow:
        cal = await calendar(uow.session)
        await workflow.hold(
            uow, case.number, request="Falta la cédula", actor=agent, today=filed, settings=settings
        )
    completed_on = filed + timedelta(days=25)
    async with db.unit() as uow:
        resumed = await workflow.complete(
            uow,
            case.number,
            actor=agent,
            today=completed_on,
            settings=settings,
            completed_on=completed_on,
        )
    assert resumed.due_date == cal.add_business_days(completed_on, 15)
    double = cal.add_business_days(completed_on, 30)
    assert double > cal.add_business_days(filed, 30)  # beyond double the term from filing
    async with db.unit() as uow:
        extended = await workflow.extend(
            uow, case.number, new_due=double, reason="Concepto técnico", today=completed_on
        )
    assert extended.due_date == double and extended.status == "extended"


async def test_the_citizen_is_told_of_an_extension(
    mail_server: LiveServer, smtp: SmtpServer
) -> None:
    agent, citizen, number = await filed_over_http(mail_server, connect=False)
    detail = (await agent.http.get(f"/api/agent/cases/{number}")).json()
    limit = date.fromisoformat(detail["extension_limit"])
    r = await agent.post(
        f"/api/agent/cases/{number}/extend",
        {"new_due": limit.isoformat(), "reason": "Se requiere un concepto técnico del área"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["case"]["status"] == "extended" and "extend" not in r.json()["allowed"]
    notice = (await smtp.wait_for(2))[1]
    body = _text(notice)
    assert limit.strftime("%d/%m/%Y") in body and "concepto técnico" in body
    assert number in notice["Subject"]
    again = await agent.post(
        f"/api/agent/cases/{number}/extend", {"new_due": limit.isoformat(), "reason": "Otra"}
    )
    assert again.json()["error"]["code"] == "extension_already_used"
    await agent.close()
    await citizen.close()


async def test_a_case_outlives_its_deleted_conversation(db: Database, settings: Settings) -> None:
    """When the conversation is deleted (the case keeps the petitioner's data), the answer still
    reaches the citizen by email, with its proof, and nothing is written to a chat."""
    agent, [case] = await file_directly(db, settings)
    async with db.unit() as uow:
        await uow.session.execute(
            delete(Conversation).where(Conversation.id == case.conversation_id)
        )
    async with db.unit() as uow:
        answered = await workflow.answer(
            uow,
            case.number,
            text="Respuesta por correo",
            actor=agent,
            today=case.filed_on,
            settings=settings,
        )
        assert answered.conversation_id is None and answered.status == "answered"
        email = await uow.session.get(OutboxEmail, answered.answer_email_id)
    assert email is not None and email.conversation_id is None
    assert email.to_address == case.petitioner_email == "c0@example.com"
    assert case.number in email.subject and "Respuesta por correo" in email.text_body


@pytest.mark.parametrize("lang", ["es", "en"])
def test_every_notice_to_the_citizen_has_its_texts(lang: str) -> None:
    """Each kind of notice ``workflow`` sends has a subject and a heading in the language's own
    catalog (not the Spanish fallback), and a body unless the agent writes it (the answer)."""
    texts: dict[str, str] = {}
    for path in (I18N / lang).glob("*.json"):
        texts.update(json.loads(path.read_text(encoding="utf-8")))
    for kind in NOTICE_KINDS:
        parts = ("subject", "heading") if kind == "answered" else ("subject", "heading", "body")
        for part in parts:
            assert texts.get(f"case.notice.{kind}.{part}"), (lang, kind, part)
