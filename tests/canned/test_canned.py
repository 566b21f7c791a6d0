from __future__ import annotations

from tests.clients import Agent, create_user, seed_demo
from tests.conftest import LiveServer


async def test_supervisors_edit_agents_read(server: LiveServer) -> None:
    await seed_demo(server.settings.database_url, server.url)
    await create_user(server.settings.database_url, "sup@entidad.gov.co", role="supervisor")
    await create_user(server.settings.database_url, "ana@entidad.gov.co", role="agent")
    sup, ana = Agent(server.url), Agent(server.url)
    await sup.login("sup@entidad.gov.co")
    await ana.login("ana@entidad.gov.co")
    seeded = (await ana.http.get("/api/agent/canned")).json()
    assert {c["shortcut"] for c in seeded} >= {"saludo", "detalles", "cierre"}

    r = await sup.post(
        "/api/agent/canned",
        {
            "shortcut": "/Horario",
            "title": "Horario",
            "body": "Atendemos de lunes a viernes.",
            "category": "Información",
        },
    )
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["shortcut"] == "horario"
    dup = await sup.post("/api/agent/canned", {"shortcut": "horario", "title": "x", "body": "y"})
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "shortcut_taken"
    bad = await sup.post(
        "/api/agent/canned", {"shortcut": "con espacio", "title": "x", "body": "y"}
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "shortcut_invalid"
    empty = await sup.post("/api/agent/canned", {"shortcut": "vacio", "title": "x", "body": " "})
    assert empty.json()["error"]["code"] == "body_required"

    denied = await ana.post("/api/agent/canned", {"shortcut": "mia", "title": "x", "body": "y"})
    assert denied.status_code == 403
    r = await sup.http.put(
        f"/api/agent/canned/{created['id']}",
        json={
            "shortcut": "horario",
            "title": "Horario de atención",
            "body": "Lunes a viernes de 7:00 a 16:30.",
            "category": "",
        },
        headers={"X-CSRF-Token": sup.csrf},
    )
    assert r.status_code == 200 and r.json()["title"] == "Horario de atención"
    r = await sup.http.delete(
        f"/api/agent/canned/{created['id']}", headers={"X-CSRF-Token": sup.csrf}
    )
    assert r.status_code == 204
    after = (await ana.http.get("/api/agent/canned")).json()
    assert len(after) == len(seeded)
    await sup.close()
    await ana.close()
