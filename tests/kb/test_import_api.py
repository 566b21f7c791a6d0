"""Importing is all-or-nothing; the console API is for supervisors and admins only."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from tests.clients import Agent, create_user, seed_demo
from tests.conftest import LiveServer
from ventanilla.cli import app
from ventanilla.core.db import Database
from ventanilla.demo import DEMO_KB
from ventanilla.kb import repository
from ventanilla.migrate import upgrade


async def _entries(url: str) -> dict[str, str]:
    db = Database(url)
    try:
        async with db.unit() as uow:
            return {e.id: e.answer for e in await repository.all_(uow.session)}
    finally:
        await db.dispose()


def test_cli_import_export_and_refusal_changes_nothing(tmp_path: Path, monkeypatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'kb.db'}"
    monkeypatch.setenv("VENTANILLA_DATABASE_URL", url)
    upgrade(url)
    runner = CliRunner()
    ok = runner.invoke(app, ["kb", "import", str(DEMO_KB)])
    assert ok.exit_code == 0, ok.output
    before = asyncio.run(_entries(url))
    assert len(before) >= 30

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "- {id: horario-atencion, question: q, answer: nueva respuesta, category: c}\n"
        "- {id: otra, question: q, answer: '', category: c}\n",
        encoding="utf-8",
    )
    refused = runner.invoke(app, ["kb", "import", str(bad)])
    assert refused.exit_code == 2
    assert "bad.yaml, entrada #2 (otra), campo answer" in refused.output
    assert asyncio.run(_entries(url)) == before  # the first, valid entry was not applied either

    out = tmp_path / "export.csv"
    exported = runner.invoke(app, ["kb", "export", str(out)])
    assert exported.exit_code == 0, exported.output
    again = runner.invoke(app, ["kb", "import", str(out)])
    assert "0 nuevas, 0 actualizadas" in again.output
    assert asyncio.run(_entries(url)) == before


async def test_api_roles_crud_and_history(server: LiveServer) -> None:
    url = server.settings.database_url
    await seed_demo(url, server.url)
    await create_user(url, "ana@entidad.gov.co")
    await create_user(url, "sup@entidad.gov.co", role="supervisor")
    agent, sup = Agent(server.url), Agent(server.url)
    await agent.login("ana@entidad.gov.co")
    await sup.login("sup@entidad.gov.co")

    assert (await agent.http.get("/api/kb/entries")).status_code == 403
    assert (
        await agent.post("/api/kb/entries", {"question": "q", "answer": "a"})
    ).status_code == 403
    assert (await agent.http.get("/console/kb")).status_code == 403

    entry = {"question": "¿Tienen parqueadero?", "answer": "No.", "category": "Sede"}
    created = await sup.post("/api/kb/entries", entry)
    assert created.status_code == 201, created.text
    entry_id = created.json()["id"]
    assert entry_id == "tienen-parqueadero"
    assert (await sup.post("/api/kb/entries", {**entry, "id": entry_id})).status_code == 409
    empty = await sup.post("/api/kb/entries", {"question": "x", "answer": " "})
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "answer"

    changed = await sup.http.put(
        f"/api/kb/entries/{entry_id}",
        json={**entry, "answer": "No, pero hay uno público cerca.", "alternatives": ["parqueo"]},
        headers={"X-CSRF-Token": sup.csrf},
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    off = await sup.post(f"/api/kb/entries/{entry_id}/deactivate")
    assert off.json()["active"] is False
    found = (await sup.http.get("/api/kb/entries", params={"q": "parqueadero"})).json()
    assert [e["id"] for e in found] == [entry_id]
    detail = (await sup.http.get(f"/api/kb/entries/{entry_id}")).json()
    assert [c["action"] for c in detail["history"]] == ["deactivated", "updated", "created"]
    assert {c["actor"] for c in detail["history"]} == {"Ana Asesora"}
    assert (await sup.http.get("/console/kb")).status_code == 200
    await agent.close()
    await sup.close()
