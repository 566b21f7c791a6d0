"""Working out a conversation's facts from its events (pure: no database).

Called when a conversation closes (``reports.recorder``), by ``ventanilla report rebuild`` and by
the benchmark's generator. Every rule here is written out in docs/metrics.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ventanilla.reports.schemas import Targets

CATEGORY_MAX = 60


@dataclass(frozen=True)
class ConvInfo:
    id: str
    created_at: datetime
    queued_at: datetime | None
    closed_at: datetime
    channel: str  # as stored: chat | offline
    agent_id: int | None
    request_type: str
    topic: str | None
    citizen_email: str


@dataclass(frozen=True)
class EventInfo:
    seq: int
    kind: str
    author_role: str
    author_id: int | None
    created_at: datetime
    internal: bool = False
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Facts:
    conversation_id: str
    day: Any
    hour: int
    weekday: int
    started_at: datetime
    closed_at: datetime
    agent_id: int | None
    first_agent_id: int | None
    request_type: str
    category: str
    channel: str
    citizen_key: str
    queued: bool = False
    attended: bool = False
    assistant_only: bool = False
    handed_over: bool = False
    abandoned: bool = False
    missed: bool = False
    transfers: int = 0
    reopened: int = 0
    wait_seconds: float | None = None
    first_response_seconds: float | None = None
    first_response_within: bool | None = None
    response_sum: float = 0.0
    response_count: int = 0
    handling_seconds: float | None = None
    citizen_messages: int = 0
    agent_messages: int = 0
    assistant_answers: int = 0

    def as_row(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _secs(a: datetime, b: datetime) -> float:
    return max(0.0, (b - a).total_seconds())


def compute(
    conv: ConvInfo,
    events: list[EventInfo],
    tz: ZoneInfo,
    targets: Targets,
    entry_categories: dict[str, str] | None = None,
) -> Facts:
    """The facts of a closed conversation. ``entry_categories`` maps knowledge-base entry ids to
    their category (for conversations without a topic)."""
    local = conv.created_at.astimezone(tz)
    facts = Facts(
        conversation_id=conv.id,
        day=local.date(),
        hour=local.hour,
        weekday=local.weekday(),
        started_at=conv.created_at,
        closed_at=conv.closed_at,
        agent_id=conv.agent_id,
        first_agent_id=None,
        request_type=conv.request_type,
        category="",
        channel="offline" if conv.channel == "offline" else "chat",
        citizen_key=conv.citizen_email.strip().lower(),
    )
    first_joined: datetime | None = None
    episode_start: datetime | None = None  # a person attends since then
    handling = 0.0
    first_agent_msg: datetime | None = None
    # The oldest citizen message not yet answered by a person, once a person has attended.
    pending_since: datetime | None = None
    last_entry: str | None = None
    by_email = False
    handover_at: datetime | None = None
    reopen_at: datetime | None = None
    assistant_spoke = False
    for ev in sorted(events, key=lambda e: e.seq):
        kind, role, at = ev.kind, ev.author_role, ev.created_at
        if kind == "joined":
            if first_joined is None:
                first_joined, facts.first_agent_id = at, ev.author_id
            if episode_start is None:
                episode_start = at
        elif kind == "transferred":
            facts.transfers += 1
        elif kind == "handover":
            if not facts.handed_over:
                handover_at = at
            facts.handed_over = True
        elif kind == "reopened":
            if not facts.reopened:
                reopen_at = at
            facts.reopened += 1
        elif kind == "closed":
            if episode_start is not None:
                handling += _secs(episode_start, at)
                episode_start = None
            pending_since = None
        elif kind == "message" and not ev.internal:
            if role == "citizen":
                facts.citizen_messages += 1
                if ev.data.get("via") == "email":
                    by_email = True
                if first_joined is not None and pending_since is None:
                    pending_since = at
            elif role == "agent":
                facts.agent_messages += 1
                if first_agent_msg is None:
                    first_agent_msg = at
                if pending_since is not None:
                    facts.response_sum += _secs(pending_since, at)
                    facts.response_count += 1
                    pending_since = None
            elif role == "assistant":
                assistant_spoke = True
            if role == "assistant" and ev.data.get("entry_id"):
                facts.assistant_answers += 1
                last_entry = str(ev.data["entry_id"])
    if by_email and facts.channel == "chat":
        facts.channel = "email"
    facts.attended = first_joined is not None
    # Conversations closed before queued_at was recorded: the handover is when the queue began;
    # without one, a conversation the assistant never spoke in started in the queue.
    queued_at = conv.queued_at or handover_at
    if queued_at is None and not assistant_spoke:
        queued_at = conv.created_at
    queued_at = queued_at or reopen_at
    if queued_at is None and facts.attended:
        queued_at = conv.created_at
    facts.queued = queued_at is not None
    queued_at = queued_at or conv.created_at
    if facts.attended and first_joined is not None:
        facts.wait_seconds = _secs(queued_at, first_joined)
        facts.handling_seconds = handling
    if first_agent_msg is not None:
        facts.first_response_seconds = _secs(queued_at, first_agent_msg)
        limit = (
            targets.offline_response_hours * 3600
            if facts.channel == "offline"
            else targets.first_response_seconds
        )
        facts.first_response_within = facts.first_response_seconds <= limit
    facts.assistant_only = not facts.queued and facts.assistant_answers > 0
    facts.abandoned = facts.queued and not facts.attended
    late = (
        facts.channel != "offline"
        and facts.wait_seconds is not None
        and facts.wait_seconds > targets.wait_seconds
    )
    facts.missed = facts.abandoned or late
    topic = (conv.topic or "").strip()
    if topic:
        facts.category = topic[:CATEGORY_MAX]
    elif last_entry and entry_categories:
        facts.category = entry_categories.get(last_entry, "")[:CATEGORY_MAX]
    return facts


def entry_ids(events: list[EventInfo]) -> set[str]:
    """The knowledge-base entries the assistant answered with (to look up their categories)."""
    return {
        str(e.data["entry_id"])
        for e in events
        if e.author_role == "assistant" and e.kind == "message" and e.data.get("entry_id")
    }
