"""A closed conversation to rate, and what the database holds about ratings."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.clients import Agent, Citizen, create_user, seed_demo
from tests.conftest import LiveServer
from ventanilla.core.db import Database
from ventanilla.satisfaction.models import Rating


async def staff(server: LiveServer, email: str, role: str = "agent", name: str = "") -> Agent:
    await create_user(
        server.settings.database_url, email, role=role, name=name or email.split("@")[0].title()
    )
    agent = Agent(server.url)
    assert (await agent.login(email)).status_code == 303
    return agent


async def attended(server: LiveServer, agent: Agent, *, close: bool = True, **kw: str) -> Citizen:
    """A citizen's conversation, taken by ``agent`` and (``close``) closed by them."""
    citizen = Citizen(server.url)
    assert (await citizen.start(**kw)).status_code == 201
    cid = citizen.conversation_id
    assert (await agent.post(f"/api/agent/conversations/{cid}/take")).status_code == 200
    if close:
        r = await agent.post(f"/api/agent/conversations/{cid}/close", {"request_type": "consulta"})
        assert r.status_code == 200, r.text
    return citizen


async def ratings_in_db(server: LiveServer) -> list[Rating]:
    db = Database(server.settings.database_url)
    try:
        async with db.unit() as uow:
            return list(await uow.session.scalars(select(Rating).order_by(Rating.id)))
    finally:
        await db.dispose()


async def count_ratings(server: LiveServer) -> int:
    db = Database(server.settings.database_url)
    try:
        async with db.unit() as uow:
            return int(await uow.session.scalar(select(func.count()).select_from(Rating)) or 0)
    finally:
        await db.dispose()


async def setup(server: LiveServer) -> None:
    await seed_demo(server.settings.database_url, server.url)


def rate_headers(citizen: Citizen) -> dict[str, str]:
    return {"Authorization": f"Bearer {citizen.token}"}
