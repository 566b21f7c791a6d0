"""The demo shows some ratings, once, through the real services (today's; the past weeks are
tests/test_demo_history.py's)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ventanilla.agents.models import User
from ventanilla.conversations.models import Conversation
from ventanilla.core.db import Database
from ventanilla.demo import DEMO_AGENT, seed
from ventanilla.satisfaction.demo import EXAMPLES
from ventanilla.satisfaction.models import Rating


async def test_demo_examples_are_rated_closed_conversations_added_once(db: Database) -> None:
    await seed(db, "http://127.0.0.1:1", knowledge_base=False, examples=True)
    await seed(db, "http://127.0.0.1:1", knowledge_base=False, examples=True)
    today = datetime.now(ZoneInfo("America/Bogota")).replace(hour=0, minute=0, second=0)
    since = today.astimezone(UTC)
    async with db.unit() as uow:
        convs = list(
            await uow.session.scalars(select(Conversation).where(Conversation.created_at >= since))
        )
        ratings = list(
            await uow.session.scalars(
                select(Rating).where(Rating.conversation_id.in_([c.id for c in convs]))
            )
        )
        agent = await uow.session.scalar(select(User).where(User.email == DEMO_AGENT["email"]))
    assert agent is not None
    assert sorted(r.score for r in ratings) == sorted(e[3] for e in EXAMPLES)
    assert {r.agent_id for r in ratings} == {agent.id}
    assert len(convs) == len(EXAMPLES) and {c.status for c in convs} == {"closed"}


async def test_without_examples_the_demo_seed_adds_no_conversation(db: Database) -> None:
    await seed(db, "http://127.0.0.1:1", knowledge_base=False)
    async with db.unit() as uow:
        assert list(await uow.session.scalars(select(Rating))) == []
