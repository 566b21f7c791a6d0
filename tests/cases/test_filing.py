"""Filing: gap-free numbers under concurrent filing, the constancia, extension rules, and a
status lookup that never reveals another citizen's case."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.cases.helpers import first_user, start_conversations
from tests.clients import Agent, Citizen, create_user, seed_demo
from tests.conftest import LiveServer
from ventanilla.cases import service, workflow
from ventanilla.cases.models import Case
from ventanilla.conversations import service as conversations
from ventanilla.core.db import Database
from ventanilla.core.errors import AppError
from ventanilla.notifications.models import OutboxEmail
from ventanilla.settings import Settings


async def test_numbers_are_unique_and_gap_free_under_concurrent_filing(
    db: Database, settings: Settings
) -> None:
    await seed_demo(settings.database_url, settings.base_url)
    ids = await start_conversations(db, settings, 12)
    agent = await first_user(db)

    async def file(cid: str, fail: bool = False) -> None:
        other = Database(settings.database_url)  # separate pools, like separate processes
        try:
            async with other.unit() as uow:
                await service.file_case(
                    uow,
                    cid,
                    agent,
                    type_code="queja",
                    subject="Señal caída",
                    reasons="",
                    settings=settings,
                )
                if fail:
                    raise RuntimeError("rolled back after taking a number")
        finally:
            await other.dispose()

    results = await asyncio.gather(
        *(file(c, fail=(i % 4 == 0)) for i, c in enumerate(ids)), return_exceptions=True
    )
    failed = sum(isinstance(r, RuntimeError) for r in results)
    assert failed == 3
    async with db.unit() as uow:
        cases = list(await uow.session.scalars(select(Case).order_by(Case.seq)))
    assert [c.seq for c in cases] == list(range(1, 10))  # rolled-back filings left no gap
    year = cases[0].year
    assert cases[0].number == f"PQRSD-{year}-000001"


async def test_constancia_is_stored_sent_and_shown(db: Database, settings: Settings) -> None:
    await seed_demo(settings.database_url, settings.base_url)
    [cid] = await start_conversations(db, settings, 1)
    agent = await first_user(db)
    async with db.unit() as uow:
        case = await service.file_case(
            uow,
            cid,
            agent,
            type_code="acceso_informacion",
            subject="Copia del contrato 123 de 2026",
            reasons="Control ciudadano",
            settings=settings,
        )
    for text in (
        "Decreto 1166 de 2016",
        case.number,
        "Ciudadano 0",
        "c0@example.com",
        "Copia del contrato 123 de 2026",
        "Control ciudadano",
        "Ninguno",
        agent.display_name,
        "forma verbal, por el chat",
        "10 días hábiles",
    ):
        assert text in case.constancia, text
    async with db.unit() as uow:
        email = await uow.session.scalar(
            select(OutboxEmail).where(OutboxEmail.kind == "constancia")
        )
        assert email is not None and case.number in email.subject
        events = await conversations.repository.events_after(
            uow.session, cid, 0, include_internal=False
        )
        filed = [e for e in events if e.kind == "filed"]
        assert filed and filed[0].data["number"] == case.number
    with pytest.raises(AppError) as exc:
        async with db.unit() as uow:
            await service.file_case(
                uow, cid, agent, type_code="queja", subject="x", reasons="", settings=settings
            )
    assert exc.value.code == "case_already_filed"
    with pytest.raises(AppError) as exc:
        async with db.unit() as uow:
            await service.file_case(
                uow, cid, agent, type_code="pqr", subject="x", reasons="", settings=settings
            )
    assert exc.value.code == "case_type_invalid"


async def test_extension_rules(db: Database, settings: Settings) -> None:
    await seed_demo(settings.database_url, settings.base_url)
    [cid] = await start_conversations(db, settings, 1)
    agent = await first_user(db)
    async with db.unit() as uow:
        case = await service.file_case(
            uow, cid, agent, type_code="queja", subject="Ruido", reasons="", settings=settings
        )
    number, due = case.number, case.due_date

    async def extend(
        new_due: date, today: date, reason: str = "Se requiere concepto técnico"
    ) -> str:
        try:
            async with db.unit() as uow:
                await workflow.extend(uow, number, new_due=new_due, reason=reason, today=today)
        except AppError as exc:
            return exc.code
        return "ok"

    assert (
        await extend(due + timedelta(days=5), today=due + timedelta(days=1)) == "extension_too_late"
    )
    assert await extend(due + timedelta(days=60), today=due) == "extension_date_invalid"  # > double
    assert await extend(due, today=due) == "extension_date_invalid"  # not later than now
    assert await extend(due + timedelta(days=3), today=due, reason=" ") == "reason_required"
    assert await extend(due + timedelta(days=7), today=due) == "ok"
    assert await extend(due + timedelta(days=8), today=due) == "extension_already_used"


async def test_status_lookup_never_reveals_another_citizens_case(server: LiveServer) -> None:
    await seed_demo(server.settings.database_url, server.url)
    await create_user(server.settings.database_url, "ana@entidad.gov.co")
    agent, citizen = Agent(server.url), Citizen(server.url)
    await agent.login("ana@entidad.gov.co")
    await citizen.start(name="Marta", email="marta@example.com")
    cid = citizen.conversation_id
    await agent.post(f"/api/agent/conversations/{cid}/take")
    r = await agent.post(
        f"/api/agent/conversations/{cid}/file",
        {"type": "reclamo", "subject": "Cobro indebido", "reasons": ""},
    )
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    assert re.fullmatch(r"PQRSD-\d{4}-000001", number)

    ok = await citizen.http.get(
        "/api/widget/case-status", params={"number": number.lower(), "email": "MARTA@example.com"}
    )
    assert ok.status_code == 200 and ok.json()["status"] == "filed"
    assert set(ok.json()) == {"number", "type", "status", "filed_on", "due_date"}
    other = await citizen.http.get(
        "/api/widget/case-status", params={"number": number, "email": "otra@example.com"}
    )
    unknown = await citizen.http.get(
        "/api/widget/case-status",
        params={"number": "PQRSD-2026-999999", "email": "marta@example.com"},
    )
    assert other.status_code == unknown.status_code == 404
    assert other.json() == unknown.json()  # the same answer: nothing leaks
    await agent.close()
    await citizen.close()
