"""Period figures from the daily sums, against the hand-worked October data set (dataset.py)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.reports.dataset import october
from ventanilla.core.db import Database
from ventanilla.reports import cube, metrics
from ventanilla.reports.models import ConversationFacts, DailyFigures
from ventanilla.reports.schemas import Period, Targets

OCT = Period(start=date(2026, 10, 1), end=date(2026, 10, 31))


async def test_month_figures_by_hand(db: Database) -> None:
    await october(db)
    async with db.unit() as uow:
        f = await metrics.summary(uow.session, OCT)
    assert f.conversations == 6
    assert f.citizens == 5  # maria twice
    assert f.by_channel == {"chat": 4, "email": 1, "offline": 1}
    assert f.queued == 5 and f.attended == 4
    assert f.assistant_only == 1 and f.handed_over == 1
    assert f.abandoned == 1
    assert f.missed == 2  # k2 taken late, k4 abandoned
    assert f.missed_share == pytest.approx(2 / 5)
    assert f.transfers == 1 and f.reopened == 1
    # waits: k1 40, k2 70, k5 10, k6 15 h
    assert f.wait_avg == pytest.approx((40 + 70 + 10 + 54000) / 4)
    # first responses: k1 100 (late), k2 80, k5 20, k6 54060 (offline, within 24 h)
    assert f.first_response_avg == pytest.approx((100 + 80 + 20 + 54060) / 4)
    assert f.first_response_within_share == pytest.approx(3 / 4)
    # responses after being attended: k1 60; k5 3700
    assert f.response_avg == pytest.approx((60 + 3700) / 2)
    # handling: k1 1760, k2 530, k5 90 + 400, k6 300
    assert f.handling_avg == pytest.approx((1760 + 530 + 490 + 300) / 4)
    assert f.rated == 4 and f.satisfaction_dist == [0, 1, 1, 1, 1]
    assert f.satisfaction_avg == pytest.approx(3.5)
    assert f.resolved_share == pytest.approx(3 / 4)


async def test_days_are_local_days_and_filters_apply(db: Database) -> None:
    u = await october(db)
    async with db.unit() as uow:
        by_day = (await cube.load(uow.session, OCT)).by("day")
        ana = await metrics.summary(uow.session, OCT.model_copy(update={"agent_id": u["a1"]}))
        quejas = await metrics.summary(
            uow.session, OCT.model_copy(update={"request_type": "queja"})
        )
        licencias = await metrics.summary(
            uow.session, OCT.model_copy(update={"category": "Licencias"})
        )
    # k1 started Monday 23:50 local (Tuesday in UTC): it counts on Monday the 5th
    assert {d: int(s["conversations"]) for d, s in by_day.items()} == {
        date(2026, 10, 5): 1,
        date(2026, 10, 6): 3,
        date(2026, 10, 7): 2,
    }
    assert ana.conversations == 2  # k1 and k6 (k2 belongs to Beto, who closed it)
    assert quejas.conversations == 1 and quejas.missed == 1
    assert licencias.conversations == 2 and licencias.by_channel["email"] == 1


async def test_reaggregating_a_closed_conversation_does_not_double_count(db: Database) -> None:
    await october(db)
    from ventanilla.conversations.models import Conversation
    from ventanilla.reports import recorder

    async with db.unit() as uow:
        conv = await uow.session.get(Conversation, "k2")
        assert conv is not None
        conv.topic = "Otro tema"
        await recorder.conversation_closed(uow.session, conv)
    async with db.unit() as uow:
        total = await uow.session.scalar(select(func.sum(DailyFigures.conversations)))
        facts = await uow.session.scalar(select(func.count()).select_from(ConversationFacts))
        f = await metrics.summary(uow.session, OCT.model_copy(update={"category": "Otro tema"}))
        old = await metrics.summary(uow.session, OCT.model_copy(update={"category": "Impuestos"}))
    assert total == 6 and facts == 6
    assert f.conversations == 1 and f.missed == 1
    assert old.conversations == 2


async def test_trend_by_week_and_agents_table(db: Database) -> None:
    u = await october(db)
    async with db.unit() as uow:
        weeks = metrics.trend(await cube.load(uow.session, OCT), OCT, "week", Targets())
        agents = await metrics.agents_table(uow.session, OCT, queries_tz(), Targets())
    assert [w["period"] for w in weeks][:2] == ["2026-09-28", "2026-10-05"]
    assert sum(w["conversations"] for w in weeks) == 6
    assert weeks[1]["conversations"] == 6 and weeks[1]["missed"] == 2
    by_id = {a["agent_id"]: a for a in agents}
    assert set(by_id) == {u["a1"], u["a2"]}
    assert by_id[u["a2"]]["conversations"] == 2
    assert by_id[u["a2"]]["handling_avg"] == pytest.approx((530 + 490) / 2)


def queries_tz():  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/Bogota")
