"""The citizen's side: bad input is refused in Spanish and stores nothing; tokens and origins."""

from __future__ import annotations

import httpx
import pytest
import websockets

from tests.clients import HTTP_TIMEOUT, Agent, Citizen, create_user, seed_demo
from tests.conftest import LiveServer

GOOD = {
    "name": "Ana",
    "email": "ana@example.com",
    "request_type": "queja",
    "privacy_accepted": True,
    "privacy_version": "demo-2026-11",
}


@pytest.fixture
async def demo(server: LiveServer) -> LiveServer:
    await seed_demo(server.settings.database_url, server.url)
    return server


async def _count(server: LiveServer) -> int:
    await create_user(server.settings.database_url, "sup@entidad.gov.co", role="supervisor")
    agent = Agent(server.url)
    await agent.login("sup@entidad.gov.co")
    total = int((await agent.http.get("/api/agent/history")).json()["total"])
    await agent.close()
    return total


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"name": "  "}, "name_required", "name"),
        ({"name": "x" * 121}, "name_too_long", "name"),
        ({"name": "Ana\x07"}, "invalid_characters", "name"),
        ({"email": "ana@"}, "email_invalid", "email"),
        ({"email": "no es un correo"}, "email_invalid", "email"),
        ({"request_type": "otro"}, "request_type_invalid", "request_type"),
        ({"privacy_accepted": False}, "privacy_not_accepted", "privacy_accepted"),
        ({"privacy_version": "2019-viejo"}, "privacy_version_outdated", "privacy_accepted"),
    ],
)
async def test_bad_form_is_refused_and_nothing_stored(
    demo: LiveServer, change: dict[str, object], code: str, field: str
) -> None:
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, base_url=demo.url) as http:
        r = await http.post("/api/widget/conversations", json={**GOOD, **change})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == code and err["field"] == field
    assert err["message"] and not err["message"].startswith("error.")
    assert await _count(demo) == 0


async def test_malformed_json_and_missing_fields(demo: LiveServer) -> None:
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, base_url=demo.url) as http:
        r = await http.post(
            "/api/widget/conversations",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        )
        assert r.status_code == 422 and r.json()["error"]["code"] == "field_invalid"
        r = await http.post("/api/widget/conversations", json={"name": "Ana"})
        assert r.status_code == 422 and r.json()["error"]["code"] == "field_required"
        r = await http.post("/api/widget/conversations", json={**GOOD, "name": "x" * 5000})
        assert r.status_code == 422
    assert await _count(demo) == 0


async def test_english_errors_on_request(demo: LiveServer) -> None:
    async with httpx.AsyncClient(
        timeout=HTTP_TIMEOUT, base_url=demo.url, headers={"Accept-Language": "en"}
    ) as http:
        r = await http.post("/api/widget/conversations", json={**GOOD, "email": "x"})
    assert r.json()["error"]["message"].startswith("Enter a valid email")


async def test_consent_is_recorded_with_its_version(demo: LiveServer) -> None:
    from sqlalchemy import select

    from ventanilla.conversations.models import Conversation
    from ventanilla.core.db import Database
    from ventanilla.entity.models import PrivacyNotice

    citizen = Citizen(demo.url)
    assert (await citizen.start()).status_code == 201
    db = Database(demo.settings.database_url)
    async with db.unit() as uow:
        conv = await uow.session.scalar(select(Conversation))
        assert conv is not None and conv.consent_version == "demo-2026-11"
        assert conv.consent_at is not None
        notice = await uow.session.get(PrivacyNotice, conv.consent_version)
        assert notice is not None and "Ley 1581" in notice.text
        assert conv.token_digest != citizen.token  # only the digest is stored
    await db.dispose()
    await citizen.close()


async def test_a_token_opens_its_own_conversation_only(demo: LiveServer) -> None:
    ana, beto = Citizen(demo.url), Citizen(demo.url)
    await ana.start(name="Ana")
    await beto.start(name="Beto", email="beto@example.com")
    await ana.connect()
    await ana.say("secreto de Ana")
    r = await beto.http.get(
        "/api/widget/conversation", headers={"Authorization": f"Bearer {beto.token}"}
    )
    assert r.json()["conversation"]["citizen_name"] == "Beto"
    assert all("Ana" not in e["body"] for e in r.json()["events"])
    r = await beto.http.get(
        "/api/widget/conversation", headers={"Authorization": "Bearer " + "x" * 43}
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "token_invalid"
    beto.token = "inventado"
    with pytest.raises(websockets.ConnectionClosed) as exc:
        await beto.connect()
        await beto.socket.expect_type("never")  # type: ignore[union-attr]
    assert exc.value.rcvd is not None and exc.value.rcvd.code == 4401
    await ana.close()
    await beto.close()


async def test_other_origins_are_refused(demo: LiveServer) -> None:
    evil = Citizen(demo.url, origin="https://evil.example")
    r = await evil.start()
    assert r.status_code == 403 and r.json()["error"]["code"] == "origin_not_allowed"
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, base_url=demo.url) as http:
        pre = await http.options(
            "/api/widget/conversations",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        assert pre.status_code == 403
        assert "access-control-allow-origin" not in pre.headers
    good = Citizen(demo.url)
    assert (await good.start()).status_code == 201
    evil.token = good.token
    with pytest.raises(websockets.ConnectionClosed) as exc:
        await evil.connect()
        await evil.socket.expect_type("never")  # type: ignore[union-attr]
    assert exc.value.rcvd is not None and exc.value.rcvd.code == 4403
    await evil.close()
    await good.close()


async def test_allowed_origin_gets_cors_headers_also_on_errors(demo: LiveServer) -> None:
    from tests.clients import Agent

    await create_user(demo.settings.database_url, "admin@entidad.gov.co", role="admin")
    admin = Agent(demo.url)
    await admin.login("admin@entidad.gov.co")
    current = (await admin.http.get("/api/admin/settings")).json()
    current["allowed_origins"] = ["https://www.canalcapital.gov.co"]
    r = await admin.http.put(
        "/api/admin/settings", json=current, headers={"X-CSRF-Token": admin.csrf}
    )
    assert r.status_code == 200, r.text
    demo.ctx.entity.invalidate()
    site = "https://www.canalcapital.gov.co"
    async with httpx.AsyncClient(
        timeout=HTTP_TIMEOUT, base_url=demo.url, headers={"Origin": site}
    ) as http:
        pre = await http.options(
            "/api/widget/conversations", headers={"Access-Control-Request-Method": "POST"}
        )
        assert pre.status_code == 204
        assert pre.headers["access-control-allow-origin"] == site
        bad = await http.post("/api/widget/conversations", json={**GOOD, "email": "x"})
        assert bad.status_code == 422
        assert bad.headers["access-control-allow-origin"] == site
    await admin.close()


async def test_conversation_starts_are_rate_limited(demo: LiveServer) -> None:
    demo.ctx.conversation_starts.limit = 3
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, base_url=demo.url) as http:
        codes = [
            (await http.post("/api/widget/conversations", json=GOOD)).status_code for _ in range(4)
        ]
        assert codes == [201, 201, 201, 429]
        r = await http.post("/api/widget/conversations", json=GOOD)
        assert r.json()["error"]["code"] == "rate_limited" and "Retry-After" in r.headers
    assert await _count(demo) == 3
