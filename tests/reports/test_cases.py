"""PQRSD answered on time by type (the cases domain's rates) in the dashboard, with a finding."""

from __future__ import annotations

from datetime import date, timedelta

from tests.reports.dataset import october
from ventanilla.agents.models import User
from ventanilla.cases import service as cases
from ventanilla.cases import workflow
from ventanilla.core.db import Database, utcnow
from ventanilla.reports import recorder, service
from ventanilla.reports.schemas import Period
from ventanilla.settings import Settings


async def test_cases_on_time_by_type_and_finding(db: Database, settings: Settings) -> None:
    u = await october(db)
    async with db.unit() as uow:
        agent = await uow.session.get(User, u["a1"])
        assert agent is not None
        case = await cases.file_case(
            uow,
            "k1",
            agent,
            type_code="queja",
            subject="Cobro doble del predial",
            reasons="",
            settings=settings,
        )
        number, due = case.number, case.due_date
    assert due is not None
    async with db.unit() as uow:
        agent = await uow.session.get(User, u["a1"])
        assert agent is not None
        await workflow.answer(
            uow,
            number,
            text="Respuesta de fondo.",
            actor=agent,
            today=due + timedelta(days=1),
            settings=settings,
        )
    async with db.unit() as uow:
        tz = await recorder.timezone(uow.session)
        today = utcnow().astimezone(tz).date()
        p = Period(start=today.replace(day=1), end=today)
        board = await service.dashboard(uow.session, p, "day", "es", supervisor=True)
        october_board = await service.dashboard(
            uow.session,
            Period(start=date(2026, 10, 1), end=date(2026, 10, 31)),
            "day",
            "es",
            supervisor=True,
        )
    rows = {r["key"]: r for r in board["cases_on_time"]}
    assert rows["queja"]["answered"] == 1 and rows["queja"]["late"] == 1
    assert rows["queja"]["rate"] == 0 and rows["queja"]["label"] == "Queja"
    late = [f for f in board["findings"] if f["kind"] == "cases_late"]
    assert len(late) == 1 and late[0]["evidence"][0]["key"] == "queja"
    assert october_board["cases_on_time"] == []  # filed today, not in October
