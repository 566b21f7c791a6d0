"""Two server processes on one PostgreSQL and one Redis: conversations across processes,
a crashed process, a restarted Redis, exclusive takes, gap-free filings, jobs that run once."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import websockets

from tests.clients import HTTP_TIMEOUT, Agent, Citizen
from tests.scaleout.conftest import SITE, Cluster, needs_cluster

pytestmark = needs_cluster


async def _agent(url: str, email: str = "ana@entidad.gov.co") -> Agent:
    agent = Agent(url)
    assert (await agent.login(email)).status_code == 303
    await agent.connect()
    return agent


async def _citizen(url: str, name: str = "Ana Pérez") -> Citizen:
    citizen = Citizen(url, origin=SITE)
    r = await citizen.start(name=name)
    assert r.status_code == 201, r.text
    await citizen.connect()
    return citizen


async def _until(check: object, timeout: float = 20.0) -> None:
    """Poll a condition that depends on another process (bounded, not a timing assertion)."""
    async with asyncio.timeout(timeout):
        while not await check():  # type: ignore[operator]
            await asyncio.sleep(0.1)


@pytest.mark.parametrize("sockets", ["http", "own"])
async def test_a_conversation_across_processes_survives_a_crash(
    cluster: Cluster, sockets: str
) -> None:
    """``own``: each node serves the websockets on their own listener (socket_server.py)."""
    own = sockets == "own"
    a, b = cluster.node("a", own_sockets=own), cluster.node("b", own_sockets=own)
    agent = await _agent(b.url)
    assert agent.socket

    # Presence is shared: the widget on A knows an agent is connected to B.
    async with httpx.AsyncClient(
        timeout=HTTP_TIMEOUT, base_url=a.url, headers={"Origin": SITE}
    ) as http:
        config = (await http.get("/api/widget/config")).json()
    assert config["availability"]["agents_available"] is True, config

    citizen = await _citizen(a.url)
    queued = await agent.socket.expect_type("queue", action="added")  # published by A
    conv = citizen.conversation_id
    assert queued["conversation"]["id"] == conv

    assert (await citizen.say("Hola, ¿me ayudan con la señal?"))["seq"] == 1
    taken = await agent.post(f"/api/agent/conversations/{conv}/take")
    assert taken.status_code == 200, taken.text
    await agent.subscribe(conv)
    first = await agent.socket.expect_type("event", seq=1)
    assert first["body"] == "Hola, ¿me ayudan con la señal?"
    assert (await citizen.event(seq=2))["kind"] == "joined"  # published by B, seen on A
    assert (await agent.say(conv, "Claro, ¿en qué barrio?"))["seq"] == 3
    assert (await citizen.event(seq=3))["body"] == "Claro, ¿en qué barrio?"
    assert citizen.socket
    await citizen.socket.send({"type": "typing", "active": True})
    assert (await agent.socket.expect_type("typing"))["role"] == "citizen"

    # A crashes mid-conversation. The agent keeps writing; nothing is lost.
    a.kill()
    assert (await agent.say(conv, "¿Sigue ahí?"))["seq"] == 4
    assert (await agent.say(conv, "Le dejo el número de soporte"))["seq"] == 5

    moved = Citizen(b.url, origin=SITE)  # the widget reconnects, to the process still up
    moved.token, moved.conversation_id, moved.last_seq = citizen.token, conv, citizen.last_seq
    welcome = await moved.connect()
    assert welcome["type"] == "welcome"
    assert [(await moved.event(seq=s))["body"] for s in (4, 5)] == [
        "¿Sigue ahí?",
        "Le dejo el número de soporte",
    ]
    ack = await moved.say("Sí, en Kennedy")
    assert ack["seq"] == 6
    assert (await agent.socket.expect_type("event", seq=6))["body"] == "Sí, en Kennedy"

    # The full history, read from B, has every event exactly once and in order.
    detail = await agent.http.get(f"/api/agent/conversations/{conv}")
    assert detail.status_code == 200, detail.text
    bodies = [(e["seq"], e["body"]) for e in detail.json()["events"] if e["kind"] == "message"]
    assert [seq for seq, _ in bodies] == [1, 3, 4, 5, 6]
    assert [e["seq"] for e in detail.json()["events"]] == [1, 2, 3, 4, 5, 6]
    await moved.close()
    await agent.close()


async def test_a_nodes_workers_share_the_sockets_port(cluster: Cluster) -> None:
    """Two workers of one node listen on the same sockets port (SO_REUSEPORT): the kernel
    spreads the sockets over both (counted by each worker in /metrics), and conversations go
    on whichever worker holds each side (across workers through Redis, as between nodes)."""
    node = cluster.node("a", own_sockets=True, workers=2)
    agent = await _agent(node.url)
    citizens = [await _citizen(node.url, name=f"Ciudadano {i}") for i in range(24)]

    async def per_worker() -> dict[str, float]:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, base_url=node.url) as http:
            text = (await http.get("/metrics")).text
        rows = [r for r in text.splitlines() if r.startswith("ventanilla_open_sockets{")]
        counts: dict[str, float] = {}
        for r in rows:
            if 'role="citizen"' in r:
                process = r.split('process="', 1)[1].split('"', 1)[0]
                counts[process] = counts.get(process, 0) + float(r.rsplit(" ", 1)[1])
        return counts

    async def spread() -> bool:
        counts = await per_worker()
        return len(counts) == 2 and sum(counts.values()) == 24 and min(counts.values()) > 0

    await _until(spread)  # all 24 on one worker: 2 × 2^-24 with an even spread
    for citizen in citizens:
        conv = citizen.conversation_id
        assert (await agent.post(f"/api/agent/conversations/{conv}/take")).status_code == 200
        await agent.subscribe(conv)
        assert (await citizen.say("¿Me escuchan?"))["seq"] == 2  # 1: the agent joined
        assert agent.socket
        assert (await agent.socket.expect_type("event", seq=2))["body"] == "¿Me escuchan?"
        assert (await agent.say(conv, "Sí, la escuchamos"))["seq"] == 3
        assert (await citizen.event(seq=3))["body"] == "Sí, la escuchamos"
        if citizen is citizens[3]:
            break  # four conversations, agent and citizens on either worker
    for client in (*citizens, agent):
        await client.close()


async def test_an_agent_on_a_crashed_process_becomes_disconnected(cluster: Cluster) -> None:
    a, b = cluster.node("a"), cluster.node("b")
    watcher = await _agent(b.url, "beto@entidad.gov.co")
    assert watcher.socket
    gone = await _agent(a.url)  # Ana's only console is on A
    me = (await gone.http.get("/api/agent/me")).json()
    online = await watcher.http.get("/api/agent/agents")
    assert {x["id"]: x["presence"] for x in online.json()}[me["id"]] == "available"

    a.kill()  # no clean shutdown: nobody on A can say goodbye
    frame = await watcher.socket.expect(
        lambda f: (
            f.get("type") == "presence"
            and f.get("agent_id") == me["id"]
            and f.get("presence") == "disconnected"
        ),
        timeout=30,
    )
    assert frame["agent_id"] == me["id"]
    listed = await watcher.http.get("/api/agent/agents")
    assert {x["id"]: x["presence"] for x in listed.json()}[me["id"]] == "disconnected"
    await watcher.close()
    await gone.http.aclose()


async def test_fan_out_recovers_after_redis_restarts(cluster: Cluster) -> None:
    a, b = cluster.node("a"), cluster.node("b")
    agent = await _agent(b.url)
    assert agent.socket
    citizen = await _citizen(a.url)
    conv = citizen.conversation_id
    assert (await agent.post(f"/api/agent/conversations/{conv}/take")).status_code == 200
    await agent.subscribe(conv)
    await citizen.event(seq=1)  # joined

    cluster.redis.kill()
    # Redis is down: messages are still stored and acknowledged (the database is the truth).
    ack = await citizen.say("Escribo mientras Redis está caído")
    assert ack["type"] == "ack" and ack["seq"] == 2
    cluster.redis.start()  # empty, like a restart without persistence

    # B's broker reconnects and resubscribes; the console (which may have missed queue and
    # presence frames too) is asked to reconnect, and gets a fresh welcome and what it missed.
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await agent.socket.expect_type("never", timeout=30)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
    welcome = await agent.connect()
    assert [c["id"] for c in welcome["mine"]] == [conv]
    await agent.subscribe(conv, last_seq=1)
    missed = await agent.socket.expect_type("event", seq=2, timeout=30)
    assert missed["body"] == "Escribo mientras Redis está caído"
    assert (await agent.say(conv, "Le leo de nuevo"))["seq"] == 3
    assert (await citizen.event(seq=3))["body"] == "Le leo de nuevo"
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, base_url=a.url) as http:
        health = await http.get("/healthz")
    assert health.status_code == 200, health.text
    await citizen.close()
    await agent.close()


async def test_concurrent_takes_and_filings_across_processes(cluster: Cluster) -> None:
    a, b = cluster.node("a"), cluster.node("b")
    ana, beto = Agent(a.url), Agent(b.url)
    assert (await ana.login("ana@entidad.gov.co")).status_code == 303
    assert (await beto.login("beto@entidad.gov.co")).status_code == 303
    citizens = [await _citizen((a.url, b.url)[i % 2], f"Ciudadano {i}") for i in range(6)]

    # Both agents take every conversation at the same time, from different processes.
    won: dict[str, str] = {}
    for citizen in citizens:
        path = f"/api/agent/conversations/{citizen.conversation_id}/take"
        r_ana, r_beto = await asyncio.gather(ana.post(path), beto.post(path))
        assert sorted((r_ana.status_code, r_beto.status_code)) == [200, 409]
        won[citizen.conversation_id] = "ana" if r_ana.status_code == 200 else "beto"

    # Each agent files its conversations, all at once, half on each process.
    def filing(cid: str) -> object:
        agent = ana if won[cid] == "ana" else beto
        body = {"type": "queja", "subject": "Sin señal desde ayer"}
        return agent.post(f"/api/agent/conversations/{cid}/file", body)

    results = await asyncio.gather(*(filing(c.conversation_id) for c in citizens))  # type: ignore[arg-type]
    assert [r.status_code for r in results] == [201] * len(citizens), [r.text for r in results]
    numbers = sorted(int(r.json()["number"].rsplit("-", 1)[1]) for r in results)
    assert numbers == list(range(1, len(citizens) + 1))

    # Either process answers /metrics for both (snapshots shared through Redis).
    async def both_counted() -> bool:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, base_url=a.url) as http:
            text = (await http.get("/metrics")).text
        rows = [r for r in text.splitlines() if r.startswith("ventanilla_open_sockets{")]
        processes = {r.split('process="', 1)[1].split('"', 1)[0] for r in rows}
        citizen_sockets = sum(float(r.rsplit(" ", 1)[1]) for r in rows if "citizen" in r)
        return len(processes) == 2 and citizen_sockets == len(citizens)

    await _until(both_counted)
    for client in (*citizens, ana, beto):
        await client.close()


async def test_a_job_runs_once_and_again_after_its_holder_dies(cluster: Cluster) -> None:
    a, b = cluster.node("a"), cluster.node("b")
    runs = cluster.job_file

    def started() -> list[str]:
        return runs.read_text().split() if runs.exists() else []

    async def ran(n: int) -> bool:
        return len(started()) >= n

    await _until(lambda: ran(1))
    [holder_group] = started()
    holder, survivor = (a, b) if holder_group == a.group else (b, a)
    assert holder_group == holder.group
    # Both processes poll every 0.3 s; the job keeps running in the holder (it renews its
    # 2 s lease), so the other one must not start it. Watch several lease periods.
    watch_until = time.monotonic() + 5
    while time.monotonic() < watch_until:
        assert len(started()) == 1
        await asyncio.sleep(0.2)

    holder.kill()  # the lease is no longer renewed; once it expires the survivor runs the job
    await _until(lambda: ran(2))
    assert started()[1] == survivor.group
