"""The daily summary emailed to supervisors: yesterday's score, its trend over the last week,
the key figures and the findings of the last four weeks. Written to the email outbox, once per
day and person (the Message-ID says which day, so a repeated run writes nothing twice)."""

from __future__ import annotations

import html
from datetime import date, time, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from ventanilla.agents.models import User
from ventanilla.core.db import Database, utcnow
from ventanilla.core.i18n import translate
from ventanilla.entity import repository as entity_repository
from ventanilla.entity.schemas import EntitySettings
from ventanilla.notifications.compose import domain_of
from ventanilla.notifications.models import OutboxEmail
from ventanilla.reports import recorder, service
from ventanilla.reports.schemas import Period
from ventanilla.settings import Settings

if TYPE_CHECKING:
    from ventanilla.core.jobs import JobRun, Scheduler

FINDINGS_DAYS = 28


def _fmt(v: float | None, pct: bool = False) -> str:
    if v is None:
        return "-"
    return f"{round(100 * v)} %" if pct else f"{v:.1f}"


def compose(
    board: dict[str, Any], week: dict[str, Any], entity: str, day: date, lang: str
) -> tuple[str, str, str]:
    """(subject, text, html) of the summary."""
    f = board["figures"]
    score = board["score"]["value"]
    subject = translate(
        lang, "reports.digest.subject", entity=entity, day=day.isoformat(), score=_fmt(score)
    )
    trend = " · ".join(f"{p['period'][5:]}: {_fmt(p['score'])}" for p in week["trend"])
    lines = [
        translate(lang, "reports.digest.intro", day=day.isoformat(), entity=entity),
        "",
        f"{translate(lang, 'reports.score')}: {_fmt(score)}",
        f"{translate(lang, 'reports.digest.trend')}: {trend}",
        "",
        f"{translate(lang, 'reports.metric.conversations')}: {f['conversations']}",
        f"{translate(lang, 'reports.metric.citizens')}: {f['citizens']}",
        f"{translate(lang, 'reports.metric.assistant_only')}: {f['assistant_only']}",
        f"{translate(lang, 'reports.metric.missed')}: {f['missed']}",
        f"{translate(lang, 'reports.metric.wait_avg')}: {_fmt(f['wait_avg'])} s",
        f"{translate(lang, 'reports.metric.first_response_within_share')}: "
        + _fmt(f["first_response_within_share"], pct=True),
        f"{translate(lang, 'reports.metric.satisfaction_avg')}: {_fmt(f['satisfaction_avg'])}",
        "",
        translate(lang, "reports.digest.findings", days=FINDINGS_DAYS),
    ]
    found = week["findings"]
    if not found:
        lines.append("  " + translate(lang, "reports.findings_none"))
    for item in found:
        lines.append(f"- {item['title']}: {item['detail']}")
    text = "\n".join(lines) + "\n"
    body = "".join(f"<p>{html.escape(line)}</p>" if line else "" for line in lines)
    return subject, text, f"<!doctype html><html><body>{body}</body></html>"


async def send_daily_summary(db: Database, settings: Settings, day: date | None = None) -> int:
    """Write the summary of local ``day`` (default: yesterday) for every active supervisor and
    admin; returns how many emails were written (0 when already written or switched off)."""
    written = 0
    async with db.unit() as uow:
        s = uow.session
        t = await recorder.targets(s)
        if not t.daily_summary:
            return 0
        tz = await recorder.timezone(s)
        day = day or (utcnow().astimezone(tz).date() - timedelta(days=1))
        row = await entity_repository.load(s)
        entity = (EntitySettings.model_validate(row.data) if row else EntitySettings()).name
        people = list(
            await s.scalars(
                select(User).where(User.is_active.is_(True), User.role.in_(("supervisor", "admin")))
            )
        )
        domain = domain_of(settings.mail.from_address)
        boards: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        for person in people:
            message_id = f"daily-summary.{day.isoformat()}.{person.id}@{domain}"
            if await s.scalar(select(OutboxEmail.id).where(OutboxEmail.message_id == message_id)):
                continue
            lang = settings.default_lang
            if lang not in boards:
                board = await service.dashboard(
                    s, Period(start=day, end=day), "day", lang, supervisor=True
                )
                week = await service.dashboard(
                    s,
                    Period(start=day - timedelta(days=FINDINGS_DAYS - 1), end=day),
                    "day",
                    lang,
                    supervisor=True,
                )
                week["trend"] = week["trend"][-7:]
                boards[lang] = (board, week)
            subject, text, body = compose(*boards[lang], entity, day, lang)
            s.add(
                OutboxEmail(
                    kind="daily_summary",
                    conversation_id=None,
                    to_address=person.email,
                    subject=subject[:300],
                    text_body=text,
                    html_body=body,
                    message_id=message_id,
                )
            )
            written += 1
        await s.flush()
    return written


async def _job(run: JobRun) -> None:
    written = await send_daily_summary(run.ctx.db, run.ctx.settings)
    if written:
        run.ctx.wake_mail()


def register(jobs: Scheduler) -> None:
    """Every morning at 06:30 (the entity's jobs time zone, America/Bogota by default)."""
    jobs.register("reports.daily_summary", _job, at=time(6, 30))
