"""Login with argon2, HttpOnly/SameSite session cookies, CSRF, roles, rate limits."""

from __future__ import annotations

import httpx
import pytest

from tests.clients import HTTP_TIMEOUT, Agent, create_user, seed_demo
from tests.conftest import LiveServer
from ventanilla.agents import service
from ventanilla.core.db import Database
from ventanilla.core.errors import AppError


async def test_login_sets_a_hardened_cookie_and_logout_ends_it(server: LiveServer) -> None:
    await create_user(server.settings.database_url, "ana@entidad.gov.co")
    agent = Agent(server.url)
    r = await agent.login("ANA@entidad.gov.co")
    assert r.status_code == 303 and r.headers["location"] == "/console"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert (await agent.http.get("/console")).status_code == 200
    r = await agent.http.post("/logout", data={"csrf_token": agent.csrf})
    assert r.status_code == 303
    assert (await agent.http.get("/api/agent/me")).status_code == 401
    assert (await agent.http.get("/console")).headers["location"] == "/login"
    await agent.close()


async def test_wrong_password_and_unknown_user_look_the_same(server: LiveServer) -> None:
    await create_user(server.settings.database_url, "ana@entidad.gov.co")
    for email, password in (("ana@entidad.gov.co", "mala-clave-123"), ("nadie@x.co", "x" * 12)):
        agent = Agent(server.url)
        r = await agent.login(email, password)
        assert r.status_code == 400
        assert "Correo o contraseña incorrectos." in r.text
        await agent.close()


async def test_login_form_needs_its_csrf_token(server: LiveServer) -> None:
    await create_user(server.settings.database_url, "ana@entidad.gov.co")
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, base_url=server.url) as http:
        r = await http.post(
            "/login",
            data={
                "email": "ana@entidad.gov.co",
                "password": "contrasena-segura",
                "csrf_token": "x",
            },
        )
    assert r.status_code == 400 and "vt_session" not in r.headers.get("set-cookie", "")


async def test_logins_are_rate_limited(server: LiveServer) -> None:
    await create_user(server.settings.database_url, "ana@entidad.gov.co")
    server.ctx.logins.limit = 3
    codes = []
    for _ in range(4):
        agent = Agent(server.url)
        codes.append((await agent.login("ana@entidad.gov.co", "equivocada-123")).status_code)
        await agent.close()
    assert codes == [400, 400, 400, 429]
    agent = Agent(server.url)  # even the right password waits now
    r = await agent.login("ana@entidad.gov.co")
    assert r.status_code == 429 and "Demasiados intentos" in r.text
    await agent.close()


async def test_unsafe_requests_need_the_csrf_header(server: LiveServer) -> None:
    await create_user(server.settings.database_url, "ana@entidad.gov.co")
    agent = Agent(server.url)
    await agent.login("ana@entidad.gov.co")
    r = await agent.http.put("/api/agent/me/presence", json={"presence": "away"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"
    r = await agent.http.put(
        "/api/agent/me/presence", json={"presence": "away"}, headers={"X-CSRF-Token": "otro"}
    )
    assert r.status_code == 403
    me = (await agent.http.get("/api/agent/me")).json()
    assert me["presence"] != "away"
    await agent.close()


@pytest.mark.parametrize(
    ("path", "method", "role_needed"),
    [
        ("/api/admin/settings", "GET", "admin"),
        ("/api/agent/canned", "POST", "supervisor"),
    ],
)
async def test_roles_are_checked(
    server: LiveServer, path: str, method: str, role_needed: str
) -> None:
    await seed_demo(server.settings.database_url, server.url)
    await create_user(server.settings.database_url, "ana@entidad.gov.co", role="agent")
    agent = Agent(server.url)
    await agent.login("ana@entidad.gov.co")
    r = await agent.http.request(method, path, json={}, headers={"X-CSRF-Token": agent.csrf})
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert (await agent.http.get("/console/settings")).status_code == 403
    await agent.close()
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, base_url=server.url) as anonymous:
        assert (await anonymous.get("/api/agent/queue")).status_code == 401


async def test_agent_socket_needs_session_and_own_origin(server: LiveServer) -> None:
    import websockets

    await create_user(server.settings.database_url, "ana@entidad.gov.co")
    agent = Agent(server.url)
    await agent.login("ana@entidad.gov.co")
    cookie = "; ".join(f"{k}={v}" for k, v in agent.http.cookies.items())
    for origin, headers in (("https://evil.example", {"Cookie": cookie}), (server.url, {})):
        ws = await websockets.connect(
            server.ws_url + "/ws/agent",
            origin=origin,  # type: ignore[arg-type]
            additional_headers=headers,
        )
        with pytest.raises(websockets.ConnectionClosed) as exc:
            await ws.recv()
        assert exc.value.rcvd is not None and exc.value.rcvd.code == 4401
    await agent.close()


async def test_create_user_validation(db: Database) -> None:
    async with db.unit() as uow:
        await service.create_user(uow, email="a@b.co", name="Ana", password="x" * 10)
    for kw, code in (
        ({"email": "a@b.co"}, "email_taken"),
        ({"email": "nope"}, "email_invalid"),
        ({"password": "corta"}, "password_too_short"),
        ({"role": "jefe"}, "role_invalid"),
    ):
        args = {"email": "c@d.co", "name": "Carla", "password": "y" * 12, **kw}
        with pytest.raises(AppError) as exc:
            async with db.unit() as uow:
                await service.create_user(uow, **args)  # type: ignore[arg-type]
        assert exc.value.code == code
    async with db.unit() as uow:
        user = await service.create_user(uow, email="e@f.co", name="Eva Díaz", password="z" * 10)
        assert user.password_hash.startswith("$argon2id$")
        assert user.display_name == "Eva"
