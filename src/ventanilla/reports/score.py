"""The daily quality score (docs/metrics.md, "Quality score") and the staffing model used by the
findings (Erlang C)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ventanilla.reports.schemas import Targets


@dataclass(frozen=True)
class Component:
    name: str  # satisfaction | first_response | missed | resolution
    value: float  # the measured figure
    target: float
    attainment: float  # 0..1: how much of the target is met
    weight: float
    n: int  # how many conversations or ratings it rests on

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": round(self.value, 4),
            "target": self.target,
            "attainment": round(self.attainment, 4),
            "weight": self.weight,
            "n": self.n,
        }


def _cap(x: float) -> float:
    return max(0.0, min(1.0, x))


def components(
    sums: dict[str, float], ratings: dict[str, float] | None, t: Targets, *, with_missed: bool
) -> list[Component]:
    """The score's parts that have data: a part with no conversations or ratings is left out."""
    out: list[Component] = []
    rated = int((ratings or {}).get("rated", 0))
    if rated:
        avg = float((ratings or {})["score_sum"]) / rated
        a = _cap((avg - 1) / (t.satisfaction - 1)) if t.satisfaction > 1 else 1.0
        out.append(Component("satisfaction", avg, t.satisfaction, a, t.weight_satisfaction, rated))
    frt_n = int(sums.get("frt_n", 0))
    if frt_n:
        share = sums["frt_within"] / frt_n
        out.append(
            Component(
                "first_response",
                share,
                t.first_response_share,
                _cap(share / t.first_response_share),
                t.weight_first_response,
                frt_n,
            )
        )
    queued = int(sums.get("queued", 0))
    if with_missed and queued:
        share = sums["missed"] / queued
        a = _cap((1 - share) / (1 - t.missed_share))
        out.append(Component("missed", share, t.missed_share, a, t.weight_missed, queued))
    if rated:
        share = float((ratings or {})["resolved"]) / rated
        out.append(
            Component(
                "resolution",
                share,
                t.resolved_share,
                _cap(share / t.resolved_share),
                t.weight_resolution,
                rated,
            )
        )
    return out


def score(parts: list[Component]) -> float | None:
    """100 × the weighted mean of the parts' attainment (None without any part)."""
    total = sum(c.weight for c in parts)
    if not parts or total <= 0:
        return None
    return round(100 * sum(c.weight * c.attainment for c in parts) / total, 1)


# ---- staffing (Erlang C) ------------------------------------------------------------------


def erlang_c(servers: int, traffic: float) -> float:
    """Probability that an arrival waits, with ``servers`` servers and ``traffic`` Erlangs."""
    if servers <= traffic:
        return 1.0
    term, total = 1.0, 1.0  # A^k / k! accumulated
    for k in range(1, servers):
        term *= traffic / k
        total += term
    last = term * traffic / servers * servers / (servers - traffic)
    return last / (total + last)


def service_level(servers: int, traffic: float, handle_seconds: float, target: float) -> float:
    """Share of arrivals taken within ``target`` seconds."""
    if handle_seconds <= 0:
        return 1.0
    wait_p = erlang_c(servers, traffic)
    return 1 - wait_p * math.exp(-(servers - traffic) * target / handle_seconds)


def servers_needed(
    arrivals_per_hour: float, handle_seconds: float, target_seconds: float, level: float
) -> int:
    """The fewest simultaneous conversation slots that take ``level`` of arrivals in time."""
    traffic = arrivals_per_hour * handle_seconds / 3600
    if traffic <= 0:
        return 0
    m = max(1, math.ceil(traffic))
    while service_level(m, traffic, handle_seconds, target_seconds) < level and m < 10_000:
        m += 1
    return m
