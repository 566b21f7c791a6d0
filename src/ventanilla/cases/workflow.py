"""The life of a case: the allowed transitions and the operations that make them.

    filed ──extend──▶ extended ──answer──▶ answered
      │ │  └────────────answer───────────▶ answered
      │ └─hold──▶ on_hold ──complete──▶ filed (the term starts again, Ley 1755 art. 17)
      │              └──withdraw (after a month without an answer)──▶ closed
      └─forward (not competent, art. 21)──▶ forwarded

``answered``, ``forwarded`` and ``closed`` are final. Every step is refused unless the case is in
one of the states listed in ``ALLOWED`` (a clear error, nothing stored), records a ``CaseEvent``
and tells the citizen by email (and in the chat when it is open).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.agents.models import User
from ventanilla.cases import repository
from ventanilla.cases.deadlines import FORWARD_DAYS, HOLD_REQUEST_DAYS, latest_extension
from ventanilla.cases.models import Case, CaseEvent
from ventanilla.cases.notices import notify
from ventanilla.cases.types import calendar
from ventanilla.core.db import UnitOfWork, utcnow
from ventanilla.core.errors import AppError, NotFound
from ventanilla.core.text import clean_text
from ventanilla.notifications.service import entity_settings
from ventanilla.settings import Settings

ALLOWED: dict[str, tuple[str, ...]] = {
    "extend": ("filed",),
    "hold": ("filed",),
    "complete": ("on_hold",),
    "withdraw": ("on_hold",),
    "forward": ("filed",),
    "answer": ("filed", "extended"),
}
ANSWER_MAX_CHARS = 20000


def _fmt(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def one_month_after(day: date) -> date:
    """The same day of the next month (the last day when it has fewer days), art. 17's month."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


async def entity_zone(uow: UnitOfWork) -> ZoneInfo:
    return ZoneInfo((await entity_settings(uow)).office_hours.timezone)


async def entity_today(uow: UnitOfWork) -> date:
    return utcnow().astimezone(await entity_zone(uow)).date()


async def term_start(session: AsyncSession, case: Case) -> date:
    """The day the current term counts from: filing, or the day the citizen completed an
    incomplete petition (art. 17: the term starts again)."""
    completed = await repository.last_event(session, case.id, "completed")
    if completed is not None and (completed.data or {}).get("completed_on"):
        return date.fromisoformat(str(completed.data["completed_on"]))
    return case.filed_on


async def _take(uow: UnitOfWork, number: str, action: str) -> Case:
    """The case, locked for this transaction, if ``action`` is allowed in its state."""
    case = await repository.lock_by_number(uow.session, number)
    if case is None:
        raise NotFound("case_not_found")
    if case.status not in ALLOWED[action]:
        raise AppError(
            "case_transition_invalid",
            409,
            action=action,
            state=case.status,
        )
    return case


async def _record(
    uow: UnitOfWork,
    case: Case,
    kind: str,
    actor: User | None,
    note: str = "",
    email_id: int | None = None,
    **data: Any,
) -> CaseEvent:
    case.updated_at = utcnow()
    ev = CaseEvent(
        case_id=case.id,
        kind=kind,
        status=case.status,
        at=case.updated_at,
        actor_id=actor.id if actor else None,
        actor_name=actor.display_name if actor else "",
        note=note,
        data=data,
        email_id=email_id,
    )
    uow.session.add(ev)
    await uow.session.flush()
    return ev


async def extend(
    uow: UnitOfWork,
    number: str,
    *,
    new_due: date,
    reason: str,
    today: date,
    actor: User | None = None,
    settings: Settings | None = None,
) -> Case:
    """Once, before the term expires, with a reason, to at most double the original term."""
    reason = clean_text(reason, field="reason", max_chars=2000)
    case = await repository.lock_by_number(uow.session, number)
    if case is None:
        raise NotFound("case_not_found")
    if case.extended:
        raise AppError("extension_already_used", 409)
    if case.status == "answered":
        raise AppError("case_already_answered", 409)
    if case.status not in ALLOWED["extend"] or case.due_date is None:
        raise AppError("case_transition_invalid", 409, action="extend", state=case.status)
    if today > case.due_date:
        raise AppError("extension_too_late", 409, due=_fmt(case.due_date))
    cal = await calendar(uow.session)
    start = await term_start(uow.session, case)
    limit = latest_extension(case.type, start, cal, case.term_days)
    if new_due <= case.due_date or new_due > limit:
        raise AppError("extension_date_invalid", field="new_due", limit=_fmt(limit))
    old = case.due_date
    case.due_date, case.status, case.extension_reason, case.extended = (
        new_due,
        "extended",
        reason,
        True,
    )
    email_id = None
    if settings is not None:
        email = await notify(uow, case, settings, kind="extended", due=_fmt(new_due), reason=reason)
        email_id = email.id
    await _record(
        uow,
        case,
        "extended",
        actor,
        reason,
        email_id,
        previous_due=old.isoformat(),
        due_date=new_due.isoformat(),
    )
    return case


async def hold(
    uow: UnitOfWork, number: str, *, request: str, actor: User, today: date, settings: Settings
) -> Case:
    """Incomplete petition (art. 17): ask the citizen for what is missing; the clock stops."""
    request = clean_text(request, field="request", max_chars=4000)
    case = await _take(uow, number, "hold")
    cal = await calendar(uow.session)
    if cal.business_days_between(case.filed_on, today) > HOLD_REQUEST_DAYS:
        limit = cal.add_business_days(case.filed_on, HOLD_REQUEST_DAYS)
        raise AppError("hold_too_late", 409, limit=_fmt(limit))
    old = case.due_date
    case.status, case.hold_requested_on, case.due_date = "on_hold", today, None
    until = one_month_after(today)
    email = await notify(uow, case, settings, kind="on_hold", request=request, until=_fmt(until))
    await _record(
        uow,
        case,
        "on_hold",
        actor,
        request,
        email.id,
        previous_due=old.isoformat() if old else None,
        answer_by=until.isoformat(),
    )
    return case


async def complete(
    uow: UnitOfWork,
    number: str,
    *,
    actor: User,
    today: date,
    settings: Settings,
    completed_on: date | None = None,
    note: str = "",
) -> Case:
    """The citizen completed the petition: the full term runs again from the next business day
    (art. 17). The date is the agent's, else the citizen's first reply after the request (chat
    or email), else today."""
    note = clean_text(note, field="note", max_chars=2000, required=False)
    case = await _take(uow, number, "complete")
    held = case.hold_requested_on or case.filed_on
    if completed_on is None:
        completed_on = today
        request = await repository.last_event(uow.session, case.id, "on_hold")
        if request is not None:
            replied = await repository.first_citizen_reply(uow.session, case, request.at)
            if replied is not None:
                completed_on = replied.astimezone(await entity_zone(uow)).date()
    if completed_on < held or completed_on > today:
        raise AppError("completed_on_invalid", field="completed_on", since=_fmt(held))
    cal = await calendar(uow.session)
    case.due_date = cal.add_business_days(completed_on, case.term_days)
    case.status = "filed"
    email = await notify(uow, case, settings, kind="completed", due=_fmt(case.due_date))
    await _record(
        uow,
        case,
        "completed",
        actor,
        note,
        email.id,
        completed_on=completed_on.isoformat(),
        due_date=case.due_date.isoformat(),
    )
    return case


async def withdraw(
    uow: UnitOfWork, number: str, *, actor: User, today: date, settings: Settings, note: str = ""
) -> Case:
    """Desistimiento tácito (art. 17): the citizen did not complete it within one month."""
    note = clean_text(note, field="note", max_chars=2000, required=False)
    case = await _take(uow, number, "withdraw")
    since = one_month_after(case.hold_requested_on or case.filed_on)
    if today <= since:
        raise AppError("withdraw_too_early", 409, since=_fmt(since + timedelta(days=1)))
    case.status, case.closed_reason = "closed", "withdrawn"
    email = await notify(uow, case, settings, kind="withdrawn")
    await _record(uow, case, "withdrawn", actor, note, email.id)
    return case


async def forward(
    uow: UnitOfWork,
    number: str,
    *,
    competent_entity: str,
    note: str,
    actor: User,
    today: date,
    settings: Settings,
) -> Case:
    """Not competent (art. 21): forward to the competent entity, tell the citizen; 5 business
    days from receipt. A late forwarding is still recorded, marked late."""
    competent_entity = clean_text(
        competent_entity, field="competent_entity", max_chars=200, multiline=False
    )
    note = clean_text(note, field="note", max_chars=2000, required=False)
    case = await _take(uow, number, "forward")
    cal = await calendar(uow.session)
    case.forward_due = cal.add_business_days(case.filed_on, FORWARD_DAYS)
    on_time = today <= case.forward_due
    case.status, case.competent_entity = "forwarded", competent_entity
    email = await notify(
        uow, case, settings, kind="forwarded", competent=competent_entity, date=_fmt(today)
    )
    await _record(
        uow,
        case,
        "forwarded",
        actor,
        note,
        email.id,
        competent_entity=competent_entity,
        forward_due=case.forward_due.isoformat(),
        on_time=on_time,
    )
    return case


async def answer(
    uow: UnitOfWork, number: str, *, text: str, actor: User, today: date, settings: Settings
) -> Case:
    """The answer goes to the citizen by email (the outbox row is the delivery proof) and to the
    chat if it is open; answered on time when written on or before the due date."""
    text = clean_text(text, field="answer", max_chars=ANSWER_MAX_CHARS)
    case = await _take(uow, number, "answer")
    case.status, case.answer = "answered", text
    case.answered_at, case.answered_by = utcnow(), actor.id
    case.answered_by_name = actor.display_name
    case.answered_on_time = case.due_date is not None and today <= case.due_date
    email = await notify(
        uow, case, settings, kind="answered", body=text, author_name=actor.display_name
    )
    case.answer_email_id = email.id
    await _record(uow, case, "answered", actor, "", email.id, on_time=case.answered_on_time)
    return case
