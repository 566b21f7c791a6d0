"""The demo's past weeks (demo_history.py): written once, before today, read by the reports as
live conversations are, and the assistant in them says only the approved answers."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ventanilla.conversations.models import Conversation, Event
from ventanilla.core.db import Database
from ventanilla.demo import DEMO_AGENT, DEMO_KB, seed
from ventanilla.demo_history import seed_history
from ventanilla.kb.files import read_file
from ventanilla.reports.models import ConversationFacts, DailyFigures
from ventanilla.reports.schemas import Period
from ventanilla.reports.service import dashboard
from ventanilla.satisfaction.models import Rating

TZ = ZoneInfo("America/Bogota")
TODAY = date(2026, 10, 15)


async def _history(db: Database) -> int:
    return await seed_history(
        db,
        knowledge_base=str(DEMO_KB),
        agent_email=DEMO_AGENT["email"],
        consent_version="demo-2026-11",
        tz=TZ,
        days=30,
        today=TODAY,
    )


async def test_thirty_days_before_today_once_and_the_reports_read_them(db: Database) -> None:
    await seed(db, "http://127.0.0.1:1", knowledge_base=False)
    written = await _history(db)
    assert written > 300  # ~25 a weekday, a few at weekends
    assert await _history(db) == 0  # the second run adds nothing
    midnight = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=TZ).astimezone(UTC)
    async with db.unit() as uow:
        s = uow.session
        convs = list(await s.scalars(select(Conversation)))
        assert len(convs) == written
        assert all(c.status == "closed" and c.closed_at and c.closed_at < midnight for c in convs)
        assert min(c.created_at for c in convs) >= midnight - timedelta(days=30)
        assert await s.scalar(select(func.count()).select_from(ConversationFacts)) == written
        daily = await s.scalar(select(func.sum(DailyFigures.conversations)))
        assert daily == written
        assert 0 < (await s.scalar(select(func.count()).select_from(Rating)) or 0) < written
        agents = {c.agent_id for c in convs if c.agent_id is not None}
        assert len(agents) == 3  # the demo agent and two example colleagues
        board = await dashboard(
            s,
            Period(start=TODAY - timedelta(days=30), end=TODAY - timedelta(days=1)),
            "day",
            "es",
            supervisor=True,
        )
    assert board["figures"]["conversations"] == written
    assert board["score"] and len(board["trend"]) >= 20
    assert len(board["agents"]) == 3


async def test_the_assistant_in_the_history_says_only_approved_answers(db: Database) -> None:
    await seed(db, "http://127.0.0.1:1", knowledge_base=False)
    await _history(db)
    approved = {item.id: item.answer for item in read_file(DEMO_KB)}
    async with db.unit() as uow:
        said = list(
            await uow.session.scalars(
                select(Event).where(Event.kind == "message", Event.author_role == "assistant")
            )
        )
    assert said
    for event in said:
        assert event.data["automatic"] is True
        assert event.body == approved[event.data["entry_id"]]
