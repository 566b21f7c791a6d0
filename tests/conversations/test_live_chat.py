"""A citizen and an agent hold a conversation over the real protocol."""

from __future__ import annotations

import pytest

from tests.clients import Agent, Citizen, create_user, seed_demo
from tests.conftest import LiveServer

# every test here runs with the websockets on the HTTP port and on their own listener
pytestmark = pytest.mark.parametrize("settings", ["http", "own"], indirect=True)


async def _setup(server: LiveServer) -> tuple[Citizen, Agent]:
    await seed_demo(server.settings.database_url, server.url)
    await create_user(server.settings.database_url, "ana@entidad.gov.co")
    citizen, agent = Citizen(server.url), Agent(server.url)
    assert (await agent.login("ana@entidad.gov.co")).status_code == 303
    return citizen, agent


async def test_full_conversation(server: LiveServer) -> None:
    citizen, agent = await _setup(server)
    welcome = await agent.connect()
    assert welcome["queue"] == []
    r = await citizen.start(name="Ana <b>Pérez</b>")
    assert r.status_code == 201, r.text
    queued = await agent.socket.expect_type("queue", action="added")  # type: ignore[union-attr]
    assert queued["conversation"]["citizen_name"] == "Ana <b>Pérez</b>"
    cw = await citizen.connect()
    assert cw["conversation"]["status"] == "waiting"

    ack = await citizen.say("Hola, ¿a qué hora dan el noticiero?")
    assert ack["type"] == "ack" and ack["seq"] == 1
    await citizen.event(seq=1)

    taken = await agent.post(f"/api/agent/conversations/{citizen.conversation_id}/take")
    assert taken.status_code == 200, taken.text
    assert taken.json()["status"] == "active"
    await agent.socket.expect_type("assigned")  # type: ignore[union-attr]
    await agent.subscribe(citizen.conversation_id)
    first = await agent.socket.expect_type("event", seq=1)  # type: ignore[union-attr]
    assert first["body"] == "Hola, ¿a qué hora dan el noticiero?"
    joined = await citizen.event(seq=2)
    assert joined["kind"] == "joined" and joined["data"]["agent_name"] == "Ana"

    ack = await agent.say(citizen.conversation_id, "Buenos días, a las 7:00 p. m.")
    assert ack["seq"] == 3
    reply = await citizen.event(seq=3)
    assert reply["author"] == {"role": "agent", "name": "Ana"}

    note = await agent.say(citizen.conversation_id, "Ciudadana frecuente", internal=True)
    assert note["seq"] == 4
    await agent.socket.expect_type("event", seq=4, kind="note")  # type: ignore[union-attr]
    await citizen.socket.nothing(lambda f: f.get("seq") == 4)  # type: ignore[union-attr]

    await citizen.socket.send({"type": "typing", "active": True})  # type: ignore[union-attr]
    typing = await agent.socket.expect_type("typing")  # type: ignore[union-attr]
    assert typing["role"] == "citizen" and typing["active"] is True
    await citizen.socket.send({"type": "seen", "seq": 3})  # type: ignore[union-attr]
    seen = await agent.socket.expect_type("seen")  # type: ignore[union-attr]
    assert seen["seq"] == 3 and seen["role"] == "citizen"

    closed = await agent.post(
        f"/api/agent/conversations/{citizen.conversation_id}/close",
        {"request_type": "consulta", "topic": "Programación"},
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    end = await citizen.event(kind="closed")
    assert end["data"]["topic"] == "Programación"

    detail = (await agent.http.get(f"/api/agent/conversations/{citizen.conversation_id}")).json()
    assert [e["seq"] for e in detail["events"]] == [1, 2, 3, 4, 5]
    widget_view = (
        await citizen.http.get(
            "/api/widget/conversation", headers={"Authorization": f"Bearer {citizen.token}"}
        )
    ).json()
    assert [e["seq"] for e in widget_view["events"]] == [1, 2, 3, 5]  # no internal note
    await citizen.close()
    await agent.close()


async def test_reconnect_resumes_and_retries_are_exactly_once(server: LiveServer) -> None:
    citizen, agent = await _setup(server)
    await agent.connect()
    await citizen.start()
    await citizen.connect()
    await agent.post(f"/api/agent/conversations/{citizen.conversation_id}/take")
    await agent.subscribe(citizen.conversation_id)
    await citizen.event(seq=1)  # joined
    await citizen.socket.close()  # type: ignore[union-attr]

    # While the citizen is away the agent writes twice.
    for body in ("¿Sigue ahí?", "Le respondo por aquí."):
        assert (await agent.say(citizen.conversation_id, body))["type"] == "ack"

    await citizen.connect(last_seq=1)
    got = [await citizen.event(seq=2), await citizen.event(seq=3)]
    assert [g["body"] for g in got] == ["¿Sigue ahí?", "Le respondo por aquí."]

    # A message whose ack was lost is resent with the same client_id: stored once.
    first = await citizen.say("Sí, aquí estoy", client_id="retry-1")
    again = await citizen.say("Sí, aquí estoy", client_id="retry-1")
    assert first["seq"] == again["seq"] == 4
    detail = (await agent.http.get(f"/api/agent/conversations/{citizen.conversation_id}")).json()
    assert [e["body"] for e in detail["events"]].count("Sí, aquí estoy") == 1
    await citizen.close()
    await agent.close()


async def test_two_agents_race_for_one_conversation(server: LiveServer) -> None:
    import asyncio

    await seed_demo(server.settings.database_url, server.url)
    await create_user(server.settings.database_url, "uno@entidad.gov.co")
    await create_user(server.settings.database_url, "dos@entidad.gov.co")
    one, two, citizen = Agent(server.url), Agent(server.url), Citizen(server.url)
    await one.login("uno@entidad.gov.co")
    await two.login("dos@entidad.gov.co")
    await citizen.start()
    path = f"/api/agent/conversations/{citizen.conversation_id}/take"
    results = await asyncio.gather(one.post(path), two.post(path))
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409]
    loser = next(r for r in results if r.status_code == 409)
    assert loser.json()["error"]["code"] == "already_taken"
    assert "Otro asesor" in loser.json()["error"]["message"]
    for c in (one, two, citizen):
        await c.close()
