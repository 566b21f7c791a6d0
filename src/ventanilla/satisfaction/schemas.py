"""Input and output shapes of the satisfaction domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class RatingIn(BaseModel):
    """The survey as the citizen sends it. ``score`` and ``resolved`` are checked by the
    service (not by pydantic) so that each gets its own clear message."""

    score: Any = None
    resolved: Any = None
    comment: str | None = Field(None, max_length=20000)


class RatingOut(BaseModel):
    conversation_id: str
    score: int
    resolved: bool
    comment: str | None
    channel: str
    created_at: datetime


class RatingState(BaseModel):
    """Whether the citizen's conversation can still be rated (the widget asks on reload)."""

    rated: bool
    can_rate: bool
    rating: RatingOut | None = None


class RecentRating(BaseModel):
    conversation_id: str
    score: int
    resolved: bool
    comment: str | None
    channel: str
    created_at: datetime
    agent_id: int | None
    agent_name: str | None
    request_type: str
    request_type_label: str


class RatingsSummary(BaseModel):
    """Figures over a period: how many ratings, the mean score, how many of each score."""

    count: int
    average: float | None
    distribution: dict[int, int]
    resolved: int
    resolved_share: float | None


class AgentRatings(BaseModel):
    agent_id: int
    agent_name: str
    count: int
    average: float | None
    resolved_share: float | None


class RatingsView(BaseModel):
    agent_id: int | None
    days: int
    summary: RatingsSummary
    recent: list[RecentRating]


class RatingBrief(BaseModel):
    """A rating as the history list shows it."""

    score: int
    resolved: bool
    comment: str | None
