"""Input and output shapes of the reports domain."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field, model_validator


class Targets(BaseModel):
    """What the entity aims for (admins set them); docs/metrics.md, "Targets"."""

    wait_seconds: int = Field(60, ge=5, le=3600)  # taken within this, or the chat is missed
    first_response_seconds: int = Field(90, ge=5, le=7200)  # chat: first agent message
    offline_response_hours: int = Field(24, ge=1, le=240)  # message left while offline
    first_response_share: float = Field(0.8, gt=0, le=1)  # share of first responses on time
    missed_share: float = Field(0.05, ge=0, lt=1)  # at most this share of queued missed
    satisfaction: float = Field(4.0, ge=1, le=5)  # average rating
    resolved_share: float = Field(0.8, gt=0, le=1)  # share of rated said "resolved"
    weight_satisfaction: float = Field(0.35, ge=0, le=1)
    weight_first_response: float = Field(0.25, ge=0, le=1)
    weight_missed: float = Field(0.2, ge=0, le=1)
    weight_resolution: float = Field(0.2, ge=0, le=1)
    service_level: float = Field(0.8, gt=0, lt=1)  # staffing: share taken within wait_seconds
    cases_on_time_share: float = Field(0.95, gt=0, le=1)  # PQRSD answered within their term
    min_ratings: int = Field(5, ge=1, le=1000)  # fewer ratings than this: no finding on it
    daily_summary: bool = True  # email supervisors a summary each morning

    @model_validator(mode="after")
    def _weights(self) -> Targets:
        total = (
            self.weight_satisfaction
            + self.weight_first_response
            + self.weight_missed
            + self.weight_resolution
        )
        if total <= 0:
            raise ValueError("weights_zero")
        return self


class Period(BaseModel):
    """Local days ``start`` … ``end`` (both included) in the entity's time zone."""

    start: date
    end: date
    agent_id: int | None = None
    request_type: str | None = None
    category: str | None = None
    channel: str | None = None

    @model_validator(mode="after")
    def _order(self) -> Period:
        if self.end < self.start:
            raise ValueError("period_invalid")
        if (self.end - self.start).days > 366:
            raise ValueError("period_too_long")
        return self


class Figures(BaseModel):
    """The headline figures of a period (docs/metrics.md names each one)."""

    conversations: int = 0
    citizens: int = 0
    by_channel: dict[str, int] = Field(default_factory=dict)
    queued: int = 0
    attended: int = 0
    assistant_only: int = 0
    handed_over: int = 0
    abandoned: int = 0
    missed: int = 0
    missed_share: float | None = None
    transfers: int = 0
    reopened: int = 0
    wait_avg: float | None = None
    first_response_avg: float | None = None
    first_response_within_share: float | None = None
    response_avg: float | None = None
    handling_avg: float | None = None
    rated: int = 0
    satisfaction_avg: float | None = None
    satisfaction_dist: list[int] = Field(default_factory=lambda: [0, 0, 0, 0, 0])
    resolved_share: float | None = None


class Finding(BaseModel):
    kind: str  # long_waits | low_satisfaction | assistant_gaps | agent_below | cases_late
    severity: str  # high | medium
    title: str
    detail: str
    evidence: list[dict[str, Any]] = Field(default_factory=list)
