"""The widget's survey API: one rating per closed conversation, by its own citizen only."""

from __future__ import annotations

from typing import Any

from tests.clients import Citizen
from tests.conftest import LiveServer
from tests.satisfaction.helpers import (
    attended,
    count_ratings,
    rate_headers,
    ratings_in_db,
    setup,
    staff,
)


async def _rate(citizen: Citizen, body: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else rate_headers(citizen)
    return await citizen.http.post("/api/widget/rating", json=body, headers=headers)


async def test_rate_once_then_refused_with_nothing_changed(server: LiveServer) -> None:
    await setup(server)
    ana = await staff(server, "ana@entidad.gov.co", name="Ana Asesora")
    citizen = await attended(server, ana)
    state = await citizen.http.get("/api/widget/rating", headers=rate_headers(citizen))
    assert state.json() == {"rated": False, "can_rate": True, "rating": None}

    r = await _rate(citizen, {"score": 4, "resolved": True, "comment": "  Muy amable.  "})
    assert r.status_code == 201, r.text
    assert r.json()["score"] == 4 and r.json()["comment"] == "Muy amable."

    again = await _rate(citizen, {"score": 1, "resolved": False, "comment": "otra"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_rated"
    assert "ya fue calificada" in again.json()["error"]["message"]

    [stored] = await ratings_in_db(server)
    assert (stored.score, stored.resolved, stored.comment) == (4, True, "Muy amable.")
    assert stored.channel == "chat" and stored.conversation_id == citizen.conversation_id
    me = (await ana.http.get("/api/agent/me")).json()
    assert stored.agent_id == me["id"]
    state = (await citizen.http.get("/api/widget/rating", headers=rate_headers(citizen))).json()
    assert state["rated"] is True and state["can_rate"] is False
    assert state["rating"]["score"] == 4


async def test_bad_input_is_refused_and_nothing_is_stored(server: LiveServer) -> None:
    await setup(server)
    ana = await staff(server, "ana@entidad.gov.co")
    citizen = await attended(server, ana)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"score": 0, "resolved": True}, "score_invalid"),
        ({"score": 6, "resolved": True}, "score_invalid"),
        ({"score": "cinco", "resolved": True}, "score_invalid"),
        ({"score": True, "resolved": True}, "score_invalid"),
        ({"score": 4.5, "resolved": True}, "score_invalid"),
        ({"resolved": True}, "score_invalid"),
        ({"score": 3}, "resolved_required"),
        ({"score": 3, "resolved": "tal vez"}, "resolved_required"),
        ({"score": 3, "resolved": True, "comment": "x" * 1001}, "comment_too_long"),
        ({"score": 3, "resolved": True, "comment": "hola\u202emundo"}, "invalid_characters"),
        ({"score": 3, "resolved": True, "comment": "nul\x00"}, "invalid_characters"),
    ]
    for body, code in cases:
        r = await _rate(citizen, body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["error"]["code"] == code, body
    assert await count_ratings(server) == 0
    # The same citizen can still rate properly afterwards.
    assert (await _rate(citizen, {"score": 5, "resolved": False})).status_code == 201


async def test_only_the_conversations_own_citizen_and_only_after_it_ends(
    server: LiveServer,
) -> None:
    await setup(server)
    ana = await staff(server, "ana@entidad.gov.co")
    mine = await attended(server, ana, email="mia@example.com")
    other = await attended(server, ana, close=False, email="otro@example.com")

    # A forged or foreign token rates nothing.
    r = await _rate(mine, {"score": 1, "resolved": False}, token="no-es-un-token")
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_invalid"
    r = await mine.http.post("/api/widget/rating", json={"score": 1, "resolved": False})
    assert r.status_code == 401  # no token at all
    # The other citizen's token only reaches their own conversation, still open: refused.
    r = await _rate(other, {"score": 1, "resolved": False})
    assert r.status_code == 409 and r.json()["error"]["code"] == "rating_not_closed"
    assert await count_ratings(server) == 0

    # Once the other conversation ends, its rating goes to it, never to someone else's.
    cid = other.conversation_id
    await ana.post(f"/api/agent/conversations/{cid}/close", {"request_type": "queja"})
    assert (await _rate(other, {"score": 2, "resolved": False})).status_code == 201
    [stored] = await ratings_in_db(server)
    assert stored.conversation_id == cid
    assert (await _rate(mine, {"score": 5, "resolved": True})).status_code == 201
    assert {r.conversation_id for r in await ratings_in_db(server)} == {
        cid,
        mine.conversation_id,
    }


async def test_a_foreign_origin_cannot_rate(server: LiveServer) -> None:
    await setup(server)
    ana = await staff(server, "ana@entidad.gov.co")
    citizen = await attended(server, ana)
    r = await citizen.http.post(
        "/api/widget/rating",
        json={"score": 5, "resolved": True},
        headers={**rate_headers(citizen), "Origin": "https://sitio-ajeno.example"},
    )
    assert r.status_code == 403
    assert await count_ratings(server) == 0
