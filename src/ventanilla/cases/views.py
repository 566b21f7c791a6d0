"""What the console shows of cases: a case with its history and delivery proofs, the lists with
their counters, and the entity's types and closed days."""

from __future__ import annotations

from datetime import date

from ventanilla.cases import repository
from ventanilla.cases.deadlines import FORWARD_DAYS, HOLD_REQUEST_DAYS, latest_extension
from ventanilla.cases.models import Case
from ventanilla.cases.schemas import (
    CaseDetail,
    CaseEventOut,
    CaseList,
    CaseOut,
    CaseRow,
    CaseTypeOut,
    CaseTypesOut,
    ClosedDayOut,
    DeliveryProof,
)
from ventanilla.cases.summary import soon_limit
from ventanilla.cases.types import calendar, case_types, closed_days
from ventanilla.cases.workflow import ALLOWED, one_month_after, term_start
from ventanilla.core.db import UnitOfWork
from ventanilla.core.errors import AppError, NotFound
from ventanilla.notifications.models import OutboxEmail

VIEWS = ("all", "open", "due_soon", "overdue", "on_hold", "answered", "forwarded", "closed")


def proof(row: OutboxEmail | None) -> DeliveryProof | None:
    if row is None:
        return None
    return DeliveryProof(
        id=row.id,
        kind=row.kind,
        to_address=row.to_address,
        status=row.status,
        message_id=row.message_id,
        created_at=row.created_at,
        sent_at=row.sent_at,
        server_response=row.server_response,
        last_error=row.last_error,
        attempts=row.attempts,
    )


def allowed_actions(case: Case) -> list[str]:
    actions = [a for a, states in ALLOWED.items() if case.status in states]
    if case.extended and "extend" in actions:
        actions.remove("extend")
    return actions


async def case_detail(uow: UnitOfWork, number: str, lang: str) -> CaseDetail:
    case = await repository.by_number(uow.session, number.strip())
    if case is None:
        raise NotFound("case_not_found")
    events = await repository.events(uow.session, case.id)
    ids = [e.email_id for e in events if e.email_id] + (
        [case.answer_email_id] if case.answer_email_id else []
    )
    mails = await repository.emails(uow.session, ids)
    types = await case_types(uow.session, lang)
    cal = await calendar(uow.session)
    running = case.status in ("filed", "extended")
    replied = None
    if case.status == "on_hold":
        held = next((e for e in reversed(events) if e.kind == "on_hold"), None)
        if held is not None:
            replied = await repository.first_citizen_reply(uow.session, case, held.at)
    return CaseDetail(
        case=CaseOut.model_validate(case),
        type_label=types[case.type].label if case.type in types else case.type,
        events=[
            CaseEventOut(
                kind=e.kind,
                status=e.status,
                at=e.at,
                actor_name=e.actor_name,
                note=e.note,
                data=e.data or {},
                email=proof(mails.get(e.email_id) if e.email_id else None),
            )
            for e in events
        ],
        answer_email=proof(mails.get(case.answer_email_id) if case.answer_email_id else None),
        forward_by=case.forward_due
        or (cal.add_business_days(case.filed_on, FORWARD_DAYS) if case.status == "filed" else None),
        hold_request_by=cal.add_business_days(case.filed_on, HOLD_REQUEST_DAYS)
        if case.status == "filed"
        else None,
        withdraw_from=one_month_after(case.hold_requested_on)
        if case.status == "on_hold" and case.hold_requested_on
        else None,
        extension_limit=latest_extension(
            case.type, await term_start(uow.session, case), cal, case.term_days
        )
        if running and not case.extended
        else None,
        citizen_replied_at=replied,
        allowed=allowed_actions(case),
    )


async def case_list(
    uow: UnitOfWork, *, view: str, type_code: str | None, search: str, today: date
) -> CaseList:
    if view not in VIEWS:
        raise AppError("case_view_invalid", field="view")
    soon = await soon_limit(uow, today)
    rows = await repository.listing(
        uow.session, view=view, today=today, soon=soon, type_code=type_code, search=search
    )
    return CaseList(
        items=[CaseRow.model_validate(r) for r in rows],
        counters=await repository.counters(uow.session, today, soon),
        today=today,
        due_soon_until=soon,
    )


async def counters(uow: UnitOfWork, today: date) -> dict[str, int]:
    return await repository.counters(uow.session, today, await soon_limit(uow, today))


async def types_view(uow: UnitOfWork, lang: str, today: date | None = None) -> CaseTypesOut:
    types = await case_types(uow.session, lang)
    return CaseTypesOut(
        types=[CaseTypeOut(**t.__dict__) for t in types.values()],
        closed_days=[ClosedDayOut.model_validate(d) for d in await closed_days(uow.session, today)],
    )
