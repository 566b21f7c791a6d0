"""Conversation facts against cases worked out by hand (docs/metrics.md). Bogotá is UTC-5 all
year; 2026-10-05 is a Monday."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ventanilla.reports.facts import ConvInfo, EventInfo, compute
from ventanilla.reports.schemas import Targets

TZ = ZoneInfo("America/Bogota")
T = Targets(wait_seconds=60, first_response_seconds=90, offline_response_hours=24)
# 2026-10-05 23:50 in Bogotá = 2026-10-06 04:50 UTC
T0 = datetime(2026, 10, 6, 4, 50, tzinfo=UTC)


class Script:
    """Events at offsets (seconds) from T0."""

    def __init__(self) -> None:
        self.events: list[EventInfo] = []

    def add(
        self, at: float, kind: str, role: str = "agent", who: int | None = None, **data: Any
    ) -> Script:
        self.events.append(
            EventInfo(
                len(self.events) + 1, kind, role, who, T0 + timedelta(seconds=at), False, data
            )
        )
        return self

    def msg(self, at: float, role: str, who: int | None = None, **data: Any) -> Script:
        return self.add(at, "message", role, who, **data)


def conv(
    *,
    queued: float | None = 0,
    closed: float,
    agent: int | None = None,
    channel: str = "chat",
    topic: str | None = None,
) -> ConvInfo:
    return ConvInfo(
        id="c1",
        created_at=T0,
        queued_at=T0 + timedelta(seconds=queued) if queued is not None else None,
        closed_at=T0 + timedelta(seconds=closed),
        channel=channel,
        agent_id=agent,
        request_type="consulta",
        topic=topic,
        citizen_email=" Ana@Example.com ",
    )


def test_crossing_midnight_counts_on_the_local_day_it_started() -> None:
    s = (
        Script()
        .msg(30, "citizen")
        .add(40, "joined", who=1)
        .msg(100, "agent", 1)  # first response 100 s after queueing: over the 90 s target
        .msg(200, "citizen")
        .msg(260, "agent", 1)  # 60 s
        .msg(300, "citizen")
        .msg(320, "citizen")  # still waiting since 300
        .msg(400, "agent", 1)  # 100 s
        .add(1800, "closed")  # 00:20 the next local day
    )
    f = compute(conv(closed=1800, agent=1), s.events, TZ, T)
    assert (f.day, f.hour, f.weekday) == (date(2026, 10, 5), 23, 0)
    assert f.citizen_key == "ana@example.com"
    assert f.queued and f.attended and not f.missed and not f.abandoned
    assert f.wait_seconds == 40
    assert f.first_response_seconds == 100 and f.first_response_within is False
    assert (f.response_sum, f.response_count) == (160, 2)
    assert f.handling_seconds == 1760
    assert f.channel == "chat" and (f.citizen_messages, f.agent_messages) == (4, 3)


def test_transferred_conversation_belongs_to_the_last_agent_and_is_late() -> None:
    s = (
        Script()
        .add(70, "joined", who=1)
        .msg(80, "agent", 1)
        .add(300, "transferred", who=1)
        .msg(310, "agent", 2)
        .add(600, "closed")
    )
    f = compute(conv(closed=600, agent=2), s.events, TZ, T)
    assert (f.agent_id, f.first_agent_id, f.transfers) == (2, 1, 1)
    assert f.wait_seconds == 70 and f.missed and not f.abandoned  # taken after the 60 s target
    assert f.first_response_seconds == 80 and f.first_response_within
    assert f.handling_seconds == 530


def test_answered_by_the_assistant_alone_takes_the_entry_category() -> None:
    s = (
        Script()
        .msg(5, "citizen")
        .msg(6, "assistant", entry_id="k1", automatic=True)
        .add(20, "feedback", "citizen", helpful=True)
        .add(30, "closed", "citizen")
    )
    f = compute(conv(queued=None, closed=30), s.events, TZ, T, {"k1": "Trámites"})
    assert f.assistant_only and not f.queued and not f.attended and not f.missed
    assert f.category == "Trámites" and f.assistant_answers == 1
    assert f.wait_seconds is None and f.first_response_seconds is None


def test_citizen_who_leaves_while_waiting_is_abandoned_and_missed() -> None:
    s = (
        Script()
        .msg(5, "citizen")
        .msg(6, "assistant", entry_id="k1")
        .add(20, "handover", "assistant", reason="not_helpful")
        .msg(60, "assistant")  # "you are in the queue"
        .add(200, "closed", "citizen")
    )
    f = compute(conv(queued=20, closed=200), s.events, TZ, T, {"k1": "Trámites"})
    assert f.handed_over and f.queued and f.abandoned and f.missed
    assert not f.assistant_only and not f.attended
    assert f.wait_seconds is None and f.handling_seconds is None


def test_reopened_by_email_counts_both_attentions() -> None:
    day = 86400
    s = (
        Script()
        .add(10, "joined", who=1)
        .msg(20, "agent", 1)
        .add(100, "closed")
        .add(day, "reopened", "citizen")
        .msg(day, "citizen", via="email")
        .add(day + 3600, "joined", who=1)
        .msg(day + 3700, "agent", 1)
        .add(day + 4000, "closed")
    )
    f = compute(conv(closed=day + 4000, agent=1, topic="  Impuesto predial "), s.events, TZ, T)
    assert f.channel == "email" and f.reopened == 1
    assert f.wait_seconds == 10 and f.first_response_seconds == 20 and f.first_response_within
    assert (f.response_sum, f.response_count) == (3700, 1)
    assert f.handling_seconds == 90 + 400
    assert f.category == "Impuesto predial"
    assert f.day == date(2026, 10, 5)


def test_message_left_offline_has_its_own_target_and_is_not_missed() -> None:
    h = 3600
    s = Script().msg(1, "citizen").add(10 * h, "joined", who=3).msg(10 * h + 60, "agent", 3)
    s.add(10 * h + 300, "closed")
    f = compute(conv(closed=10 * h + 300, agent=3, channel="offline"), s.events, TZ, T)
    assert f.channel == "offline" and not f.missed
    assert f.wait_seconds == 10 * h
    assert f.first_response_seconds == 10 * h + 60 and f.first_response_within  # within 24 h


def test_internal_notes_are_not_responses() -> None:
    s = Script().add(10, "joined", who=1)
    s.events.append(EventInfo(2, "message", "agent", 1, T0 + timedelta(seconds=15), True, {}))
    s.add(50, "closed")
    f = compute(conv(closed=50, agent=1), s.events, TZ, T)
    assert f.first_response_seconds is None and f.agent_messages == 0
