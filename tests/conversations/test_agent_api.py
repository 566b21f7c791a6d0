"""Agents: limits, transfers, permissions, history search."""

from __future__ import annotations

from tests.clients import Agent, Citizen, create_user, seed_demo
from tests.conftest import LiveServer


async def _agent(server: LiveServer, email: str, role: str = "agent", **kw: object) -> Agent:
    await create_user(
        server.settings.database_url,
        email,
        role=role,
        name=email.split("@")[0].capitalize() + " Pérez",
        **kw,
    )  # type: ignore[arg-type]
    a = Agent(server.url)
    assert (await a.login(email)).status_code == 303
    return a


async def _conversation(server: LiveServer, **kw: str) -> Citizen:
    c = Citizen(server.url)
    assert (await c.start(**kw)).status_code == 201
    return c


async def test_chat_limit(server: LiveServer) -> None:
    await seed_demo(server.settings.database_url, server.url)
    agent = await _agent(server, "una@entidad.gov.co", max_chats=1)
    first, second = await _conversation(server), await _conversation(server)
    assert (
        await agent.post(f"/api/agent/conversations/{first.conversation_id}/take")
    ).status_code == 200
    r = await agent.post(f"/api/agent/conversations/{second.conversation_id}/take")
    assert r.status_code == 409 and r.json()["error"]["code"] == "chat_limit_reached"
    queue = (await agent.http.get("/api/agent/queue")).json()
    assert [q["id"] for q in queue] == [second.conversation_id]  # still waiting


async def test_transfer_and_permissions(server: LiveServer) -> None:
    await seed_demo(server.settings.database_url, server.url)
    ana = await _agent(server, "ana@entidad.gov.co")
    beto = await _agent(server, "beto@entidad.gov.co")
    citizen = await _conversation(server)
    cid = citizen.conversation_id
    await citizen.connect()
    await ana.post(f"/api/agent/conversations/{cid}/take")

    await beto.connect()
    await beto.subscribe(cid)  # not his: refused
    err = await beto.socket.expect_type("error")  # type: ignore[union-attr]
    assert err["code"] == "not_assigned"
    r = await beto.post(
        f"/api/agent/conversations/{cid}/messages", {"client_id": "b1", "body": "hola"}
    )
    assert r.status_code == 403
    r = await beto.post(f"/api/agent/conversations/{cid}/close", {"request_type": "queja"})
    assert r.status_code == 403

    agents = (await ana.http.get("/api/agent/agents")).json()
    beto_id = next(a["id"] for a in agents if a["display_name"] == "Beto")
    r = await ana.post(f"/api/agent/conversations/{cid}/transfer", {"agent_id": beto_id})
    assert r.status_code == 200, r.text
    assert r.json()["agent_name"] == "Beto"
    assigned = await beto.socket.expect_type("assigned")  # type: ignore[union-attr]
    assert assigned["conversation"]["id"] == cid
    ev = await citizen.event(kind="transferred")
    assert ev["data"] == {"from_name": "Ana", "to_name": "Beto"}
    r = await beto.post(
        f"/api/agent/conversations/{cid}/messages", {"client_id": "b2", "body": "Hola, soy Beto"}
    )
    assert r.status_code == 200 and r.json()["seq"] == 3
    r = await ana.post(
        f"/api/agent/conversations/{cid}/messages", {"client_id": "a9", "body": "sigo aquí"}
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_assigned"
    # an away agent cannot receive transfers
    r = await beto.http.put(
        "/api/agent/me/presence", json={"presence": "away"}, headers={"X-CSRF-Token": beto.csrf}
    )
    assert r.status_code == 200 and r.json()["presence"] == "away"
    ana_id = next(a["id"] for a in agents if a["display_name"] == "Ana")
    await ana.http.put(
        "/api/agent/me/presence", json={"presence": "away"}, headers={"X-CSRF-Token": ana.csrf}
    )
    r = await beto.post(f"/api/agent/conversations/{cid}/transfer", {"agent_id": ana_id})
    assert r.status_code == 409 and r.json()["error"]["code"] == "target_unavailable"
    for c in (ana, beto, citizen):
        await c.close()


async def test_history_search(server: LiveServer) -> None:
    await seed_demo(server.settings.database_url, server.url)
    ana = await _agent(server, "ana@entidad.gov.co")
    one = await _conversation(
        server, name="Carlos Ruiz", email="carlos@example.com", request_type="queja"
    )
    two = await _conversation(
        server, name="Diana Ortiz", email="diana@example.com", request_type="consulta"
    )
    await one.connect()
    await one.say("La señal TDT se ve pixelada en Kennedy")
    await ana.post(f"/api/agent/conversations/{one.conversation_id}/take")
    await ana.post(
        f"/api/agent/conversations/{one.conversation_id}/close",
        {"request_type": "reclamo", "topic": "Señal TDT"},
    )

    async def ids(**params: object) -> list[str]:
        r = await ana.http.get("/api/agent/history", params=params)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert set(await ids()) == {one.conversation_id, two.conversation_id}
    assert await ids(q="pixelada") == [one.conversation_id]
    assert await ids(q="100%") == []  # LIKE wildcards are escaped
    assert await ids(email="diana@") == [two.conversation_id]
    assert await ids(request_type="reclamo") == [one.conversation_id]  # classification on close
    me = (await ana.http.get("/api/agent/me")).json()
    assert await ids(agent_id=me["id"]) == [one.conversation_id]
    assert await ids(date_from="2000-01-01", date_to="2000-01-02") == []
    r = await ana.http.get("/api/agent/history", params={"date_from": "ayer"})
    assert r.status_code == 422
    r = await ana.http.get("/api/agent/history", params={"request_type": "nada"})
    assert r.status_code == 422
    detail = (await ana.http.get(f"/api/agent/conversations/{one.conversation_id}")).json()
    assert detail["conversation"]["topic"] == "Señal TDT"
    assert [e["kind"] for e in detail["events"]] == ["message", "joined", "closed"]
    for c in (ana, one, two):
        await c.close()
