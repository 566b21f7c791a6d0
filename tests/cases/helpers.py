"""Filing cases for the tests: through the HTTP API (a live server) or the service."""

from __future__ import annotations

from sqlalchemy import select

from tests.clients import Agent, Citizen, create_user, seed_demo
from tests.conftest import LiveServer
from ventanilla.agents.models import User
from ventanilla.cases import service
from ventanilla.cases.models import Case
from ventanilla.conversations import service as conversations
from ventanilla.conversations.schemas import StartIn
from ventanilla.core.db import Database
from ventanilla.entity.schemas import EntitySettings
from ventanilla.settings import Settings


async def filed_over_http(
    server: LiveServer, *, type_code: str = "queja", connect: bool = True
) -> tuple[Agent, Citizen, str]:
    """A citizen in the chat, an agent who took the conversation and filed it: the number."""
    await seed_demo(server.settings.database_url, server.url)
    await create_user(server.settings.database_url, "ana@entidad.gov.co", role="supervisor")
    agent, citizen = Agent(server.url), Citizen(server.url)
    await agent.login("ana@entidad.gov.co")
    await citizen.start(name="Marta Gómez", email="marta@example.com", request_type="queja")
    if connect:
        await citizen.connect()
    cid = citizen.conversation_id
    assert (await agent.post(f"/api/agent/conversations/{cid}/take")).status_code == 200
    r = await agent.post(
        f"/api/agent/conversations/{cid}/file",
        {"type": type_code, "subject": "El programa del 27/11 dio datos errados", "reasons": ""},
    )
    assert r.status_code == 201, r.text
    return agent, citizen, str(r.json()["number"])


async def start_conversations(db: Database, settings: Settings, n: int) -> list[str]:
    """``n`` conversations started through the form by citizens ``c0@example.com``..."""
    entity = EntitySettings(privacy_notice_version="demo-2026-11")
    ids = []
    for i in range(n):
        form = StartIn(
            name=f"Ciudadano {i}",
            email=f"c{i}@example.com",
            request_type="queja",
            privacy_accepted=True,
            privacy_version="demo-2026-11",
        )
        async with db.unit() as uow:
            conv, _ = await conversations.start(uow, form, entity, settings.limits)
            ids.append(conv.id)
    return ids


async def first_user(db: Database) -> User:
    """The demo data's first user (an agent)."""
    async with db.unit() as uow:
        user = await uow.session.scalar(select(User))
    assert user is not None
    return user


async def file_directly(
    db: Database, settings: Settings, n: int = 1, type_code: str = "queja"
) -> tuple[User, list[Case]]:
    """``n`` cases filed by the service (seeds the demo data first)."""
    await seed_demo(settings.database_url, settings.base_url)
    agent = await first_user(db)
    cases = []
    for i, conversation_id in enumerate(await start_conversations(db, settings, n)):
        async with db.unit() as uow:
            case = await service.file_case(
                uow,
                conversation_id,
                agent,
                type_code=type_code,
                subject=f"Asunto {i}",
                reasons="",
                settings=settings,
            )
            cases.append(case)
    return agent, cases
