"""The console's lists and counters, the daily summary to supervisors and the on-time rates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from tests.cases.helpers import file_directly
from tests.clients import create_user
from ventanilla.cases import stats, summary, views, workflow
from ventanilla.cases.models import Case
from ventanilla.cases.types import calendar
from ventanilla.core.db import Database
from ventanilla.notifications.models import OutboxEmail
from ventanilla.settings import Settings


async def _set_due(db: Database, number: str, due: date) -> None:
    async with db.unit() as uow:
        await uow.session.execute(update(Case).where(Case.number == number).values(due_date=due))


async def test_lists_counters_summary_and_rates(db: Database, settings: Settings) -> None:
    agent, cases = await file_directly(db, settings, n=5)
    await create_user(settings.database_url, "sup@entidad.gov.co", role="supervisor")
    today = date.today()
    async with db.unit() as uow:
        cal = await calendar(uow.session)
    overdue, soon, later, held, answered = (c.number for c in cases)
    await _set_due(db, overdue, today - timedelta(days=1))
    await _set_due(db, soon, cal.add_business_days(today, 2))
    await _set_due(db, later, cal.add_business_days(today, 10))
    async with db.unit() as uow:
        await workflow.hold(
            uow, held, request="Falta la dirección", actor=agent, today=today, settings=settings
        )
        await workflow.answer(
            uow, answered, text="Respuesta", actor=agent, today=today, settings=settings
        )

    async def numbers(view: str, type_code: str | None = None) -> list[str]:
        async with db.unit() as uow:
            listed = await views.case_list(
                uow, view=view, type_code=type_code, search="", today=today
            )
        return [r.number for r in listed.items]

    assert await numbers("overdue") == [overdue]
    assert await numbers("due_soon") == [soon]
    assert await numbers("on_hold") == [held]
    assert await numbers("answered") == [answered]
    assert await numbers("open") == [overdue, soon, later]
    assert await numbers("open", "consulta") == []
    async with db.unit() as uow:
        counts = (
            await views.case_list(uow, view="all", type_code=None, search="", today=today)
        ).counters
    assert counts["overdue"] == 1 and counts["due_soon"] == 1 and counts["open"] == 3
    assert counts["on_hold"] == 1 and counts["answered"] == 1

    async with db.unit() as uow:
        built = await summary.build_summary(uow, today)
    assert [line.number for line in built.overdue] == [overdue]
    assert [line.number for line in built.due_soon] == [soon]
    sent = await summary.send_summary(db, settings, today)
    async with db.unit() as uow:
        mails = list(
            await uow.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "case_summary"))
        )
    recipients = {m.to_address for m in mails}
    assert sent == len(mails) and "sup@entidad.gov.co" in recipients
    assert all(overdue in m.text_body and soon in m.text_body for m in mails)
    assert all(later not in m.text_body for m in mails)

    async with db.unit() as uow:
        by_type = await stats.on_time_rates(uow.session, by="type", today=today)
        by_agent = await stats.on_time_rates(uow.session, by="agent", today=today)
        empty = await stats.on_time_rates(
            uow.session, by="type", today=today, since=today + timedelta(days=1)
        )
    [queja] = by_type
    assert (queja.answered, queja.on_time, queja.overdue_open) == (1, 1, 1)
    assert queja.rate == 0.5
    assert {r.key: r.answered for r in by_agent}[agent.display_name] == 1
    assert empty == []


async def test_no_summary_when_nothing_is_due(db: Database, settings: Settings) -> None:
    await file_directly(db, settings, n=1)
    assert await summary.send_summary(db, settings, date.today()) == 0


async def test_the_daily_job_sends_one_summary_per_day(db: Database, settings: Settings) -> None:
    from datetime import UTC, datetime
    from types import SimpleNamespace
    from zoneinfo import ZoneInfo

    from ventanilla.cases.jobs import daily_summary
    from ventanilla.core.jobs import JobRun

    _, [case] = await file_directly(db, settings, n=1)
    await create_user(settings.database_url, "sup@entidad.gov.co", role="supervisor")
    today = datetime.now(UTC).astimezone(ZoneInfo("America/Bogota")).date()
    await _set_due(db, case.number, today - timedelta(days=1))
    woken: list[bool] = []
    ctx = SimpleNamespace(db=db, settings=settings, wake_mail=lambda: woken.append(True))
    slot = datetime.combine(today, datetime.min.time(), ZoneInfo("America/Bogota"))
    run = JobRun(ctx, "cases.daily_summary", slot, None)  # type: ignore[arg-type]
    await daily_summary(run)
    await daily_summary(run)  # a repeated run (after a crash) sends nothing more
    async with db.unit() as uow:
        mails = list(
            await uow.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "case_summary"))
        )
    assert len(mails) == len({m.to_address for m in mails}) >= 1
    assert woken == [True]


async def test_summary_command(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from typer.testing import CliRunner

    from ventanilla.cli import app

    _, [case] = await file_directly(db, settings, n=1)
    await create_user(settings.database_url, "sup@entidad.gov.co", role="supervisor")
    await _set_due(db, case.number, date.today() - timedelta(days=3))
    monkeypatch.setenv("VENTANILLA_DATABASE_URL", settings.database_url)
    runner = CliRunner()
    shown = await asyncio.to_thread(runner.invoke, app, ["cases", "summary"])
    assert shown.exit_code == 0, shown.output
    assert case.number in shown.output and "Vencidas sin respuesta" in shown.output
    async with db.unit() as uow:
        count = await uow.session.scalar(
            select(func.count()).select_from(OutboxEmail).where(OutboxEmail.kind == "case_summary")
        )
    assert count == 0  # without --send nothing is written
    sent = await asyncio.to_thread(runner.invoke, app, ["cases", "summary", "--send"])
    assert sent.exit_code == 0 and "Correos en la bandeja de salida" in sent.output
    async with db.unit() as uow:
        count = await uow.session.scalar(
            select(func.count()).select_from(OutboxEmail).where(OutboxEmail.kind == "case_summary")
        )
    assert count and count >= 1
