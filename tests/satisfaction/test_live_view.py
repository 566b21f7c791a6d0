"""The supervisors' live view: snapshot, real-time frames, and who may watch."""

from __future__ import annotations

import asyncio

import pytest
import websockets

from tests.clients import Agent, Citizen, Socket, seed_demo
from tests.conftest import LiveServer
from tests.satisfaction.helpers import setup, staff

# every test here runs with the websockets on the HTTP port and on their own listener
pytestmark = pytest.mark.parametrize("settings", ["http", "own"], indirect=True)


async def _watch(sup: Agent) -> tuple[Socket, dict[str, object]]:
    cookie = "; ".join(f"{k}={v}" for k, v in sup.http.cookies.items())
    ws = await websockets.connect(
        sup.ws_url + "/ws/live",
        origin=sup.base_url,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie},
    )
    sock = Socket(ws)
    await sock.send({"type": "hello"})
    return sock, await sock.expect_type("welcome")


async def test_live_view_follows_the_queue_and_the_agents(server: LiveServer) -> None:
    await setup(server)
    ana = await staff(server, "ana@entidad.gov.co", name="Ana Ríos")
    sofia = await staff(server, "sofia@entidad.gov.co", role="supervisor", name="Sofía Díaz")
    await ana.connect()  # Ana has her console open
    ana_id = int((await ana.http.get("/api/agent/me")).json()["id"])

    live, welcome = await _watch(sofia)
    snap = welcome["snapshot"]
    assert snap["waiting"] == []  # type: ignore[index]
    rows = {a["display_name"]: a for a in snap["agents"]}  # type: ignore[index]
    assert rows["Ana"]["presence"] == "available" and rows["Ana"]["active_chats"] == 0
    # Watching is not attending: the supervisor is not counted as connected.
    assert rows["Sofía"]["presence"] == "disconnected"
    agents = (await sofia.http.get("/api/agent/agents")).json()
    assert {a["display_name"]: a["presence"] for a in agents}["Sofía"] == "disconnected"

    citizen = Citizen(server.url)
    assert (await citizen.start(name="Carla Mesa")).status_code == 201
    added = await live.expect_type("queue", action="added")
    assert added["conversation"]["citizen_name"] == "Carla Mesa"
    now = (await sofia.http.get("/api/agent/live")).json()
    assert [w["id"] for w in now["waiting"]] == [citizen.conversation_id]

    cid = citizen.conversation_id
    assert (await ana.post(f"/api/agent/conversations/{cid}/take")).status_code == 200
    removed = await live.expect_type("queue", action="removed")
    assert removed["conversation"]["id"] == cid
    # (Ana's own "connected" frame may still be on its way through the broker: wait for the load.)
    await live.expect_type("presence", agent_id=ana_id, active_chats=1)
    now = (await sofia.http.get("/api/agent/live")).json()
    assert now["waiting"] == []
    [ana_row] = [a for a in now["agents"] if a["id"] == ana_id]
    assert [c["id"] for c in ana_row["conversations"]] == [cid]
    assert ana_row["conversations"][0]["citizen_name"] == "Carla Mesa"

    live.frames.clear()  # only frames caused by the close from here on
    await ana.post(f"/api/agent/conversations/{cid}/close", {"request_type": "consulta"})
    await live.expect_type("presence", agent_id=ana_id, active_chats=0)
    await live.close()
    await ana.close()


async def test_live_view_shows_who_the_assistant_attends(server: LiveServer) -> None:
    await seed_demo(server.settings.database_url, server.url, knowledge_base=True)
    sofia = await staff(server, "sofia@entidad.gov.co", role="supervisor", name="Sofía Díaz")
    citizen = Citizen(server.url)
    started = await citizen.start(name="Rosa Páez")
    assert started.status_code == 201 and started.json()["status"] == "assistant"
    now = (await sofia.http.get("/api/agent/live")).json()
    assert now["waiting"] == []  # not in the people's queue...
    [row] = now["with_assistant"]  # ...but in sight
    assert row["id"] == citizen.conversation_id and row["citizen_name"] == "Rosa Páez"
    page = await sofia.http.get("/console/live")
    assert page.status_code == 200 and "Conversaciones con el asistente" in page.text

    # Once the citizen asks for a person it leaves the assistant's list for the queue.
    await citizen.connect()
    assert (await citizen.say("quiero hablar con un asesor"))["type"] == "ack"
    for _ in range(100):
        now = (await sofia.http.get("/api/agent/live")).json()
        if now["waiting"]:
            break
        await asyncio.sleep(0.1)
    assert [w["id"] for w in now["waiting"]] == [citizen.conversation_id]
    assert now["with_assistant"] == []


async def test_only_supervisors_watch(server: LiveServer) -> None:
    await setup(server)
    ana = await staff(server, "ana@entidad.gov.co")
    r = await ana.http.get("/api/agent/live")
    assert r.status_code == 403
    page = await ana.http.get("/console/live")
    assert page.status_code == 403
    cookie = "; ".join(f"{k}={v}" for k, v in ana.http.cookies.items())
    ws = await websockets.connect(
        server.ws_url + "/ws/live",
        origin=server.url,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie},
    )
    try:  # the server may close before the hello is even sent: either call sees the close
        await ws.send('{"type": "hello"}')
        await ws.recv()
        raise AssertionError("the socket should have been closed")
    except websockets.ConnectionClosed as closed:
        assert closed.rcvd is not None and closed.rcvd.code == 4401
    anonymous = await websockets.connect(server.ws_url + "/ws/live", origin=server.url)  # type: ignore[arg-type]
    try:
        await anonymous.recv()
        raise AssertionError("the socket should have been closed")
    except websockets.ConnectionClosed as closed:
        assert closed.rcvd is not None and closed.rcvd.code == 4401
