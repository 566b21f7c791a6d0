"""The entity's types and closed days: validated edits, used by filing, the console's lists and
``ventanilla cases due-date`` alike."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.cases.helpers import file_directly
from tests.clients import Agent, create_user, seed_demo
from tests.conftest import LiveServer
from ventanilla.agents.models import User
from ventanilla.cases import types
from ventanilla.cases.deadlines import BusinessCalendar
from ventanilla.cases.models import CaseTypeSetting
from ventanilla.cli import app
from ventanilla.core.db import Database
from ventanilla.core.errors import AppError
from ventanilla.settings import Settings


async def _admin(db: Database) -> User:
    async with db.unit() as uow:
        user = await uow.session.scalar(select(User).where(User.role == "admin"))
    assert user is not None
    return user


async def test_terms_are_validated_against_the_law(db: Database, settings: Settings) -> None:
    await seed_demo(settings.database_url, settings.base_url)
    admin = await _admin(db)
    for code, term in (("queja", 16), ("queja", 0), ("acceso_informacion", 11), ("consulta", 31)):
        with pytest.raises(AppError) as exc:
            async with db.unit() as uow:
                await types.update_type(uow, code, label="", term_days=term, area="", user=admin)
        assert exc.value.code == "case_term_invalid", (code, term)
    with pytest.raises(AppError) as exc:
        async with db.unit() as uow:
            await types.update_type(
                uow, "queja", label="x" * 121, term_days=10, area="", user=admin
            )
    assert exc.value.code == "label_too_long"
    async with db.unit() as uow:
        assert await uow.session.scalar(select(CaseTypeSetting)) is None  # nothing stored
        updated = await types.update_type(
            uow, "queja", label="Queja ciudadana", term_days=10, area="Programación", user=admin
        )
    assert (updated.label, updated.term_days, updated.legal_term_days) == (
        "Queja ciudadana",
        10,
        15,
    )


async def test_filing_uses_the_entitys_terms_names_and_closed_days(
    db: Database, settings: Settings
) -> None:
    await seed_demo(settings.database_url, settings.base_url)
    admin = await _admin(db)
    today = date.today()
    async with db.unit() as uow:
        await types.update_type(
            uow, "queja", label="Queja ciudadana", term_days=8, area="Programación", user=admin
        )
        cal = await types.calendar(uow.session)
        closed = cal.add_business_days(today, 2)
        await types.add_closed_day(uow, closed, "Inventario", admin, today)
    _, [case] = await file_directly(db, settings, type_code="queja")
    expected = BusinessCalendar([closed]).add_business_days(case.filed_on, 8)
    assert case.term_days == 8 and case.area == "Programación"
    assert case.due_date == expected
    assert "Queja ciudadana" in case.constancia and "8 días hábiles" in case.constancia

    async def refused(day: date, code: str) -> None:
        with pytest.raises(AppError) as exc:
            async with db.unit() as uow:
                await types.add_closed_day(uow, day, "", admin, today)
        assert exc.value.code == code

    await refused(today - timedelta(days=1), "closed_day_invalid")
    await refused(closed, "closed_day_exists")
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    await refused(saturday, "closed_day_weekend")


async def test_admin_api_and_the_cli_read_the_same_data(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed_demo(server.settings.database_url, server.url)
    await create_user(server.settings.database_url, "admin2@entidad.gov.co", role="admin")
    await create_user(server.settings.database_url, "agente@entidad.gov.co")
    admin, agent = Agent(server.url), Agent(server.url)
    await admin.login("admin2@entidad.gov.co")
    await agent.login("agente@entidad.gov.co")

    assert (await agent.http.get("/console/case-types")).status_code == 403
    page = await admin.http.get("/console/case-types")
    assert page.status_code == 200 and "case_types.js" in page.text
    cases_page = await agent.http.get("/console/cases")
    assert cases_page.status_code == 200 and 'data-testid="nav-cases-count"' in cases_page.text
    forbidden = await agent.http.put(
        "/api/admin/case-types/consulta",
        json={"label": "", "term_days": 20, "area": ""},
        headers={"X-CSRF-Token": agent.csrf},
    )
    assert forbidden.status_code == 403
    r = await admin.http.put(
        "/api/admin/case-types/consulta",
        json={"label": "Consulta técnica", "term_days": 20, "area": "Jurídica"},
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert r.status_code == 200, r.text
    bad = await admin.http.put(
        "/api/admin/case-types/consulta",
        json={"label": "", "term_days": 45, "area": ""},
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "term_days"
    tuesday = date(2028, 1, 4)
    r = await admin.post("/api/admin/closed-days", {"day": tuesday.isoformat(), "reason": "Cierre"})
    assert r.status_code == 201, r.text
    listed = (await agent.http.get("/api/agent/case-types")).json()
    consulta = next(t for t in listed["types"] if t["code"] == "consulta")
    assert consulta == {
        "code": "consulta",
        "label": "Consulta técnica",
        "term_days": 20,
        "legal_term_days": 30,
        "area": "Jurídica",
        "custom_label": True,
    }
    assert listed["closed_days"] == [{"day": "2028-01-04", "reason": "Cierre"}]

    monkeypatch.setenv("VENTANILLA_DATABASE_URL", server.settings.database_url)
    runner = CliRunner()
    out = await asyncio.to_thread(
        runner.invoke, app, ["cases", "due-date", "--type", "consulta", "--filed", "2027-12-30"]
    )
    # 20 business days from Thu Dec 30, 2027: Jan 10, 2028 (Reyes, moved to Monday) and the
    # entity's closed Tuesday Jan 4 do not count.
    expected = BusinessCalendar([tuesday]).add_business_days(date(2027, 12, 30), 20)
    assert expected != BusinessCalendar().add_business_days(date(2027, 12, 30), 20)
    assert out.exit_code == 0, out.output
    assert out.output.startswith(expected.isoformat()) and "entidad" in out.output
    law = await asyncio.to_thread(
        runner.invoke,
        app,
        ["cases", "due-date", "--law", "--type", "consulta", "--filed", "2027-12-30"],
    )
    assert law.output.startswith(
        BusinessCalendar().add_business_days(date(2027, 12, 30), 30).isoformat()
    )
    removed = await admin.http.delete(
        "/api/admin/closed-days/2028-01-04", headers={"X-CSRF-Token": admin.csrf}
    )
    assert removed.status_code == 204
    await admin.close()
    await agent.close()
