"""Agents see their own ratings; supervisors see everyone's, per agent; history filters."""

from __future__ import annotations

from tests.clients import Agent, Citizen
from tests.conftest import LiveServer
from tests.satisfaction.helpers import attended, rate_headers, setup, staff


async def _rated(
    server: LiveServer, agent: Agent, score: int, resolved: bool, comment: str | None = None
) -> Citizen:
    citizen = await attended(server, agent)
    r = await citizen.http.post(
        "/api/widget/rating",
        json={"score": score, "resolved": resolved, "comment": comment},
        headers=rate_headers(citizen),
    )
    assert r.status_code == 201, r.text
    return citizen


async def _me(agent: Agent) -> int:
    return int((await agent.http.get("/api/agent/me")).json()["id"])


async def test_agents_see_their_own_and_supervisors_everyones(server: LiveServer) -> None:
    await setup(server)
    ana = await staff(server, "ana@entidad.gov.co", name="Ana Ríos")
    beto = await staff(server, "beto@entidad.gov.co", name="Beto Díaz")
    sofia = await staff(server, "sofia@entidad.gov.co", role="supervisor", name="Sofía Supervisora")
    await _rated(server, ana, 5, True, "Excelente atención")
    await _rated(server, ana, 4, True)
    await _rated(server, beto, 1, False, "No me resolvieron")
    ana_id, beto_id = await _me(ana), await _me(beto)

    mine = (await ana.http.get("/api/agent/ratings")).json()
    assert mine["agent_id"] == ana_id
    assert mine["summary"]["count"] == 2 and mine["summary"]["average"] == 4.5
    assert mine["summary"]["distribution"] == {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1}
    assert mine["summary"]["resolved_share"] == 1.0
    assert [c["comment"] for c in mine["recent"]] == ["Excelente atención"]  # only with comments
    assert "No me resolvieron" not in str(mine)

    r = await ana.http.get("/api/agent/ratings", params={"agent_id": beto_id})
    assert r.status_code == 403 and r.json()["error"]["code"] == "ratings_not_yours"
    assert (await ana.http.get("/api/agent/ratings/agents")).status_code == 403
    assert (await ana.http.get("/console/ratings")).status_code == 200

    everyone = (await sofia.http.get("/api/agent/ratings")).json()
    assert everyone["agent_id"] is None
    assert everyone["summary"]["count"] == 3
    assert everyone["summary"]["average"] == round((5 + 4 + 1) / 3, 2)
    assert everyone["summary"]["resolved"] == 2
    assert {c["agent_name"] for c in everyone["recent"]} == {"Ana", "Beto"}
    betos = (await sofia.http.get("/api/agent/ratings", params={"agent_id": beto_id})).json()
    assert betos["summary"]["count"] == 1 and betos["recent"][0]["comment"] == "No me resolvieron"
    rows = (await sofia.http.get("/api/agent/ratings/agents")).json()
    assert [(r["agent_name"], r["count"], r["average"], r["resolved_share"]) for r in rows] == [
        ("Ana", 2, 4.5, 1.0),
        ("Beto", 1, 1.0, 0.0),
    ]
    r = await sofia.http.get("/api/agent/ratings", params={"days": 12})
    assert r.status_code == 422 and r.json()["error"]["code"] == "period_invalid"


async def test_history_filters_by_rating_and_resolution(server: LiveServer) -> None:
    await setup(server)
    ana = await staff(server, "ana@entidad.gov.co")
    great = await _rated(server, ana, 5, True)
    poor = await _rated(server, ana, 2, False, "Sin solución")
    unrated = await attended(server, ana)

    async def ids(**params: str) -> set[str]:
        r = await ana.http.get("/api/agent/history", params=params)
        assert r.status_code == 200, r.text
        return {item["id"] for item in r.json()["items"]}

    assert await ids() == {great.conversation_id, poor.conversation_id, unrated.conversation_id}
    assert await ids(rating="5") == {great.conversation_id}
    assert await ids(rating="2") == {poor.conversation_id}
    assert await ids(rating="3") == set()
    assert await ids(rating="none") == {unrated.conversation_id}
    assert await ids(resolved="no") == {poor.conversation_id}
    assert await ids(resolved="yes") == {great.conversation_id}
    assert await ids(rating="5", resolved="no") == set()

    page = (await ana.http.get("/api/agent/history")).json()
    assert page["ratings"] == {
        great.conversation_id: {"score": 5, "resolved": True, "comment": None},
        poor.conversation_id: {"score": 2, "resolved": False, "comment": "Sin solución"},
    }
    # Another agent's ratings stay theirs: not shown to Ana, not found by her filters.
    beto = await staff(server, "beto@entidad.gov.co")
    sofia = await staff(server, "sofia@entidad.gov.co", role="supervisor")
    betos = await _rated(server, beto, 1, False, "Mala")
    page = (await ana.http.get("/api/agent/history")).json()
    assert betos.conversation_id in {i["id"] for i in page["items"]}
    assert betos.conversation_id not in page["ratings"]
    assert await ids(rating="1") == set()
    assert await ids(resolved="no") == {poor.conversation_id}
    assert await ids(rating="none") == {unrated.conversation_id}
    r = await sofia.http.get("/api/agent/history", params={"rating": "1"})
    assert [i["id"] for i in r.json()["items"]] == [betos.conversation_id]
    assert r.json()["ratings"][betos.conversation_id]["comment"] == "Mala"

    for params, code in (
        ({"rating": "9"}, "rating_filter_invalid"),
        ({"resolved": "x"}, "resolved_filter_invalid"),
    ):
        r = await ana.http.get("/api/agent/history", params=params)
        assert r.status_code == 422 and r.json()["error"]["code"] == code
