"""The daily summary of due-soon and overdue cases, emailed to supervisors and admins.

``build_summary`` reads; ``send_summary`` writes one outbox email per supervisor (sent by the
mail worker after commit). ``ventanilla cases summary [--send]`` calls them; a periodic job
runner can call ``send_summary`` once a day (docs/protocol.md 5b).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ventanilla.agents.models import User
from ventanilla.cases import repository
from ventanilla.cases.types import calendar, case_types
from ventanilla.core.db import Database, UnitOfWork
from ventanilla.core.i18n import translate
from ventanilla.notifications.compose import domain_of, render
from ventanilla.notifications.models import OutboxEmail
from ventanilla.notifications.service import entity_settings
from ventanilla.settings import Settings

DUE_SOON_BUSINESS_DAYS = 3  # "due soon": due within the next three business days


@dataclass(frozen=True)
class SummaryLine:
    number: str
    type_label: str
    due: str
    petitioner: str


@dataclass
class Summary:
    today: date
    overdue: list[SummaryLine] = field(default_factory=list)
    due_soon: list[SummaryLine] = field(default_factory=list)
    on_hold: int = 0

    @property
    def empty(self) -> bool:
        return not self.overdue and not self.due_soon


async def _sent_today(uow: UnitOfWork, today: date) -> bool:
    entity = await entity_settings(uow)
    start = datetime.combine(today, time.min, ZoneInfo(entity.office_hours.timezone))
    found = await uow.session.scalar(
        select(OutboxEmail.id)
        .where(OutboxEmail.kind == "case_summary", OutboxEmail.created_at >= start)
        .limit(1)
    )
    return found is not None


async def soon_limit(uow: UnitOfWork, today: date) -> date:
    return (await calendar(uow.session)).add_business_days(today, DUE_SOON_BUSINESS_DAYS)


async def build_summary(uow: UnitOfWork, today: date) -> Summary:
    soon = await soon_limit(uow, today)
    types = await case_types(uow.session)
    summary = Summary(today)
    for case in await repository.due_for_summary(uow.session, soon):
        assert case.due_date is not None
        line = SummaryLine(
            case.number,
            types[case.type].label if case.type in types else case.type,
            case.due_date.strftime("%d/%m/%Y"),
            case.petitioner_name,
        )
        (summary.overdue if case.due_date < today else summary.due_soon).append(line)
    summary.on_hold = (await repository.counters(uow.session, today, soon))["on_hold"]
    return summary


def render_summary(summary: Summary, entity_name: str, console_url: str) -> tuple[str, str, str]:
    """(subject, text, html) in Spanish, the staff's language."""
    from types import SimpleNamespace

    context = {
        "lang": "es",
        "entity": SimpleNamespace(name=entity_name),
        "today": summary.today.strftime("%d/%m/%Y"),
        "overdue": summary.overdue,
        "due_soon": summary.due_soon,
        "on_hold": summary.on_hold,
        "console_url": console_url,
    }
    text, html = render("case_summary", **context)
    subject = translate(
        "es",
        "case.summary.subject",
        overdue=len(summary.overdue),
        due_soon=len(summary.due_soon),
    )
    return subject, text, html


async def send_summary(
    db: Database, settings: Settings, today: date, *, once_per_day: bool = False
) -> int:
    """Write the summary to every active supervisor and admin; returns how many emails. Nothing
    is sent when no case is due soon or overdue, nor (``once_per_day``, the daily job) when a
    summary was already written today: a job run repeated after a crash sends no second one."""
    async with db.unit() as uow:
        if once_per_day and await _sent_today(uow, today):
            return 0
        summary = await build_summary(uow, today)
        if summary.empty:
            return 0
        entity = await entity_settings(uow)
        console_url = settings.base_url.rstrip("/") + "/console/cases"
        subject, text, html = render_summary(summary, entity.name, console_url)
        staff = list(
            await uow.session.scalars(
                select(User).where(User.is_active.is_(True), User.role.in_(("supervisor", "admin")))
            )
        )
        for user in staff:
            uow.session.add(
                OutboxEmail(
                    kind="case_summary",
                    conversation_id=None,
                    to_address=user.email,
                    subject=subject[:300],
                    text_body=text,
                    html_body=html,
                    message_id=f"{uuid.uuid4().hex}@{domain_of(settings.mail.from_address)}",
                )
            )
        await uow.session.flush()
        return len(staff)
