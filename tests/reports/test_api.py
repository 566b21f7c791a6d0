"""The reports API: role checks (agents see only their own figures), exports, targets."""

from __future__ import annotations

import io

import openpyxl

from tests.clients import Agent
from tests.conftest import LiveServer
from tests.reports.dataset import october
from ventanilla.core.db import Database
from ventanilla.notifications.models import OutboxEmail

OCT = {"start": "2026-10-01", "end": "2026-10-31"}


async def test_roles_exports_and_targets(server: LiveServer, db: Database) -> None:
    u = await october(db)
    ana, sara, admin = Agent(server.url), Agent(server.url), Agent(server.url)
    await ana.login("ana@entidad.gov.co")
    await sara.login("sara@entidad.gov.co")
    await admin.login("admin@entidad.gov.co")

    mine = (await ana.http.get("/api/reports/dashboard", params=OCT)).json()
    assert mine["filters"]["agent_id"] == u["a1"]
    assert mine["figures"]["conversations"] == 2  # k1 and k6 only
    assert [a["agent_id"] for a in mine["agents"]] == [u["a1"]]
    assert mine["findings"] == [] and mine["options"]["agents"] == []
    other = await ana.http.get("/api/reports/dashboard", params={**OCT, "agent_id": u["a2"]})
    assert other.status_code == 403 and other.json()["error"]["code"] == "reports_own_only"
    csv_other = await ana.http.get("/api/reports/export", params={**OCT, "agent_id": u["a2"]})
    assert csv_other.status_code == 403
    own_csv = await ana.http.get("/api/reports/export", params=OCT)
    assert own_csv.status_code == 200 and len(own_csv.text.strip().splitlines()) == 3
    assert (
        await ana.http.get("/api/reports/monthly.pdf", params={"month": "2026-10"})
    ).status_code == 403

    board = (await sara.http.get("/api/reports/dashboard", params={**OCT, "grain": "week"})).json()
    assert board["figures"]["conversations"] == 6 and len(board["agents"]) == 2
    assert board["timezone"] == "America/Bogota"
    beto = await sara.http.get("/api/reports/dashboard", params={**OCT, "agent_id": u["a2"]})
    assert beto.json()["figures"]["conversations"] == 2
    bad = await sara.http.get(
        "/api/reports/dashboard", params={"start": "2026-10-31", "end": "2026-10-01"}
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "report_period_invalid"
    bad = await sara.http.get("/api/reports/dashboard", params={**OCT, "grain": "year"})
    assert bad.json()["error"]["code"] == "grain_invalid"
    x = await sara.http.get("/api/reports/export", params={**OCT, "format": "xlsx"})
    assert x.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert openpyxl.load_workbook(io.BytesIO(x.content)).sheetnames[0] == "Resumen"
    pdf = await sara.http.get("/api/reports/monthly.pdf", params={"month": "2026-10"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # targets: supervisors read, only admins change; a wrong value changes nothing
    assert (await sara.http.get("/api/reports/targets")).json()["wait_seconds"] == 60
    t = await sara.http.put(
        "/api/reports/targets", json={"wait_seconds": 30}, headers={"X-CSRF-Token": sara.csrf}
    )
    assert t.status_code == 403
    wrong = await admin.http.put(
        "/api/reports/targets", json={"wait_seconds": 1}, headers={"X-CSRF-Token": admin.csrf}
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "wait_seconds"
    assert (await admin.http.get("/api/reports/targets")).json()["wait_seconds"] == 60
    ok = await admin.http.put(
        "/api/reports/targets",
        json={"wait_seconds": 30, "satisfaction": 4.5},
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert ok.status_code == 200 and ok.json()["satisfaction"] == 4.5
    page = await ana.http.get("/console/reports")
    assert page.status_code == 200 and 'id="reports-app"' in page.text
    for c in (ana, sara, admin):
        await c.http.aclose()
    assert OutboxEmail  # imported for the digest test below


async def test_daily_summary_email(db: Database, server: LiveServer) -> None:
    from datetime import date

    from sqlalchemy import select

    from ventanilla.reports.digest import send_daily_summary

    await october(db)
    assert await send_daily_summary(db, server.settings, date(2026, 10, 6)) == 2
    async with db.unit() as uow:
        mails = list(
            await uow.session.scalars(
                select(OutboxEmail).where(OutboxEmail.kind == "daily_summary")
            )
        )
    assert sorted(m.to_address for m in mails) == ["admin@entidad.gov.co", "sara@entidad.gov.co"]
    assert "2026-10-06" in mails[0].subject and "Conversaciones: 3" in mails[0].text_body
    assert await send_daily_summary(db, server.settings, date(2026, 10, 6)) == 0
