"""Filing a PQRSD from a conversation (a gap-free number, the due date with the entity's terms
and closed days, the constancia of a verbal petition, Decreto 1166 de 2016) and the citizen's
status lookup. The later steps of a case are in ``workflow``."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ventanilla.agents.models import User
from ventanilla.cases import repository
from ventanilla.cases.models import Case, CaseEvent
from ventanilla.cases.types import calendar, case_type
from ventanilla.conversations import service as conversations
from ventanilla.core.db import UnitOfWork, utcnow
from ventanilla.core.errors import Conflict, NotFound
from ventanilla.core.i18n import translate
from ventanilla.core.text import clean_text
from ventanilla.notifications.compose import enqueue, render
from ventanilla.notifications.service import entity_settings
from ventanilla.settings import Settings


def format_number(prefix: str, year: int, seq: int) -> str:
    return f"{prefix}-{year}-{seq:06d}"


async def file_case(
    uow: UnitOfWork,
    conversation_id: str,
    agent: User,
    *,
    type_code: str,
    subject: str,
    reasons: str,
    settings: Settings,
) -> Case:
    """One step: number, due date, constancia stored and sent by email and in the chat."""
    kind = await case_type(uow.session, type_code)
    subject = clean_text(subject, field="subject", max_chars=4000)
    reasons = clean_text(reasons, field="reasons", max_chars=4000, required=False)
    conv = await conversations.get(uow, conversation_id)
    if await repository.for_conversation(uow.session, conv.id) is not None:
        raise Conflict("case_already_filed")
    entity = await entity_settings(uow)
    now = utcnow()
    local = now.astimezone(ZoneInfo(entity.office_hours.timezone))
    seq = await repository.next_number(uow.session, local.year)
    number = format_number(settings.filing_prefix, local.year, seq)
    due = (await calendar(uow.session)).add_business_days(local.date(), kind.term_days)
    attachments: list[dict[str, object]] = []
    context = {
        "number": number,
        "when": local.strftime("%d/%m/%Y %H:%M"),
        "conv": conv,
        "type_label": (
            kind.label if kind.custom_label else translate(conv.lang, f"case_type.{type_code}")
        ),
        "request_subject": subject,
        "reasons": reasons,
        "attachments": attachments,
        "agent_name": agent.display_name,
        "entity": entity,
        "due": due,
        "term": kind.term_days,
        "lang": conv.lang,
    }
    constancia, _ = render("constancia", **context)
    case = Case(
        number=number,
        year=local.year,
        seq=seq,
        type=type_code,
        conversation_id=conv.id,
        petitioner_name=conv.citizen_name,
        petitioner_email=conv.citizen_email,
        subject=subject,
        reasons=reasons,
        attachments=attachments,
        received_by=agent.id,
        received_by_name=agent.display_name,
        filed_at=now,
        filed_on=local.date(),
        due_date=due,
        constancia=constancia,
        term_days=kind.term_days,
        area=kind.area,
        status="filed",
        updated_at=now,
    )
    uow.session.add(case)
    await uow.session.flush()
    uow.session.add(
        CaseEvent(
            case_id=case.id,
            kind="filed",
            status="filed",
            at=now,
            actor_id=agent.id,
            actor_name=agent.display_name,
            data={"due_date": due.isoformat(), "term_days": kind.term_days},
        )
    )
    await conversations.append_event(
        uow,
        conv.id,
        kind="filed",
        author=("agent", agent.id, agent.display_name),
        body=translate(conv.lang, "case.filed", number=number, due=due.strftime("%d/%m/%Y")),
        data={"number": number, "type": type_code, "due_date": due.isoformat()},
    )
    await enqueue(
        uow,
        kind="constancia",
        conv=conv,
        entity=entity,
        settings=settings,
        subject=translate(conv.lang, "case.constancia_subject", number=number),
        template="constancia",
        **{k: v for k, v in context.items() if k not in ("conv", "entity", "lang")},
    )
    return case


async def lookup(uow: UnitOfWork, number: str, email: str) -> Case:
    """A citizen's status request: the number AND the email it was filed with must match.
    A wrong email gets the same answer as an unknown number: nothing about other people leaks."""
    case = await repository.by_number(uow.session, number.strip())
    if case is None or case.petitioner_email.lower() != email.strip().lower():
        raise NotFound("case_not_found")
    return case
