"""The quality score and the findings, worked out by hand on the October data set."""

from __future__ import annotations

from datetime import date

import pytest

from tests.reports.dataset import local, october
from ventanilla.assistant.models import UnansweredQuestion
from ventanilla.core.db import Database
from ventanilla.reports import recorder, repository, service
from ventanilla.reports.findings import occurrences
from ventanilla.reports.schemas import Period, Targets
from ventanilla.reports.score import erlang_c, servers_needed, service_level

OCT = Period(start=date(2026, 10, 1), end=date(2026, 10, 31))


def test_erlang_c_by_hand() -> None:
    # 1 Erlang (20 arrivals an hour, 180 s each). Two slots: C = (1/2! * 2/1) / (1 + 1 + 1) = 1/3
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # three slots: C = (1/3! * 3/2) / (1 + 1 + 1/2 + 1/4) = 0.25 / 2.75
    assert erlang_c(3, 1.0) == pytest.approx(0.25 / 2.75)
    # taken within 60 s: 1 - C e^{-(m - A) 60/180}
    assert service_level(2, 1.0, 180, 60) == pytest.approx(1 - (1 / 3) * 0.716531, abs=1e-5)
    assert servers_needed(20, 180, 60, 0.75) == 2
    assert servers_needed(20, 180, 60, 0.8) == 3
    assert servers_needed(0, 180, 60, 0.8) == 0


def test_weekday_occurrences_in_october_2026() -> None:
    # 1 Oct 2026 is a Thursday: Thu, Fri and Sat occur 5 times, the rest 4
    assert occurrences(OCT) == [4, 4, 4, 5, 5, 5, 4]


async def test_entity_score_by_hand(db: Database) -> None:
    await october(db)
    async with db.unit() as uow:
        board = await service.dashboard(uow.session, OCT, "day", "es", supervisor=True)
    # satisfaction 3.5 -> (3.5-1)/(4-1); on time 3/4 -> /0.8; missed 2/5 -> (1-0.4)/(1-0.05);
    # resolved 3/4 -> /0.8; weights 0.35, 0.25, 0.2, 0.2
    expected = 100 * (0.35 * 2.5 / 3 + 0.25 * 0.75 / 0.8 + 0.2 * 0.6 / 0.95 + 0.2 * 0.75 / 0.8)
    assert board["score"]["value"] == pytest.approx(round(expected, 1))
    names = [c["name"] for c in board["score"]["components"]]
    assert names == ["satisfaction", "first_response", "missed", "resolution"]


async def test_findings_have_evidence(db: Database) -> None:
    u = await october(db)
    async with db.unit() as uow:
        await repository.save_settings(uow.session, Targets(min_ratings=1).model_dump(), None)
        for i in range(4):
            uow.session.add(
                UnansweredQuestion(
                    conversation_id="k4",
                    text=f"¿Puedo pagar el predial por cuotas? {i}",
                    reason="not_confident",
                    best_entry_id="horarios",
                    created_at=local(6, 9, 21),
                )
            )
        uow.session.add(
            UnansweredQuestion(
                conversation_id="k4",
                text="Fuera del periodo",
                reason="not_confident",
                best_entry_id=None,
                created_at=local(6, 9, 21).replace(year=2025),
            )
        )
    async with db.unit() as uow:
        board = await service.dashboard(uow.session, OCT, "week", "es", supervisor=True)
    kinds = [f["kind"] for f in board["findings"]]
    low = [f for f in board["findings"] if f["kind"] == "low_satisfaction"]
    assert {f["evidence"][0]["category"] for f in low} == {"Impuestos", "Licencias"}
    imp = next(f for f in low if f["evidence"][0]["category"] == "Impuestos")
    assert imp["evidence"][0] == {"category": "Impuestos", "rated": 2, "satisfaction_avg": 3.5}
    gaps = [f for f in board["findings"] if f["kind"] == "assistant_gaps"]
    assert len(gaps) == 1 and gaps[0]["evidence"][0]["count"] == 4
    assert "¿Horario?" in gaps[0]["title"]
    below = {f["evidence"][0]["agent_id"] for f in board["findings"] if f["kind"] == "agent_below"}
    assert u["a1"] in below  # Ana: one of two first responses on time (50 % < 80 %)
    assert "long_waits" not in kinds  # no weekday-hour has three queued conversations


async def _six_waits_on_monday_at_ten(db: Database, channel: str) -> dict[str, int]:
    from tests.reports.dataset import users, write

    u = await users(db)
    # Six Mondays-at-10 conversations in one week, each waiting 5 min, 20 min of handling.
    for i in range(6):
        start = local(5, 10, i * 5)
        await write(
            db,
            f"w{i}",
            start,
            [
                (300, "joined", "agent", u["a1"], {}),
                (310, "message", "agent", u["a1"], {}),
                (1500, "closed", "agent", u["a1"], {}),
            ],
            queued=0,
            agent=u["a1"],
            email=f"p{i}@example.com",
            channel=channel,
        )
    return u


async def test_long_waits_suggest_more_agents(db: Database) -> None:
    await _six_waits_on_monday_at_ten(db, "chat")
    week = Period(start=date(2026, 10, 5), end=date(2026, 10, 11))
    async with db.unit() as uow:
        board = await service.dashboard(uow.session, week, "day", "es", supervisor=True)
    waits = [f for f in board["findings"] if f["kind"] == "long_waits"]
    assert len(waits) == 1
    assert waits[0]["title"] == "Esperas largas los lunes a las 10:00"
    assert waits[0]["detail"].startswith("Espera promedio 5 min 0 s;")
    ev = waits[0]["evidence"][0]
    assert (ev["weekday"], ev["hour"], ev["queued"]) == (0, 10, 6)
    assert ev["wait_avg"] == 300 and ev["missed_share"] == 1.0
    # 6 arrivals in the hour × 1200 s = 2 Erlangs; slots for 80 % within 60 s:
    assert ev["agents_needed"] == servers_needed(6, 1200, 60, 0.8)
    assert ev["agents_now"] == 1.0
    assert ev["agents_more"] == ev["agents_needed"] - 1
    assert ev["handling_avg"] == 1200  # joined at 300 s, closed at 1500 s


async def test_messages_left_offline_do_not_ask_for_more_agents(db: Database) -> None:
    """Left while nobody attends, they wait for the morning by design (their own target)."""
    await _six_waits_on_monday_at_ten(db, "offline")
    week = Period(start=date(2026, 10, 5), end=date(2026, 10, 11))
    async with db.unit() as uow:
        board = await service.dashboard(uow.session, week, "day", "es", supervisor=True)
        only_offline = week.model_copy(update={"channel": "offline"})
        offline = await service.dashboard(uow.session, only_offline, "day", "es", supervisor=True)
    assert not [f for f in board["findings"] if f["kind"] == "long_waits"]
    assert sum(c["queued"] for c in board["heatmap"]) == 6  # still in the heatmap
    # asked for explicitly, the offline channel's own waits are there to see
    assert [f["kind"] for f in offline["findings"]].count("long_waits") == 1


async def test_changing_targets_and_rebuilding(db: Database) -> None:
    await october(db)
    async with db.unit() as uow:
        await repository.save_settings(uow.session, Targets(wait_seconds=80).model_dump(), None)
    assert await recorder.rebuild(db) == 6
    async with db.unit() as uow:
        board = await service.dashboard(uow.session, OCT, "month", "es", supervisor=True)
    assert board["figures"]["missed"] == 1  # k2's 70 s wait is now within target
    assert board["trend"][0]["period"] == "2026-10-01"
