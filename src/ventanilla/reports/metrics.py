"""From sums to figures: the period's headline figures, trends by day/week/month, breakdowns and
the agents' table. Every formula is in docs/metrics.md."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.reports import cube, queries
from ventanilla.reports.cube import Cube
from ventanilla.reports.schemas import Figures, Period, Targets
from ventanilla.reports.score import components, score

GRAINS = ("day", "week", "month")


def ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def figures_from(
    s: dict[str, float], ratings: dict[str, Any], citizens: int, by_channel: dict[str, int]
) -> Figures:
    rated = int(ratings.get("rated", 0))
    return Figures(
        conversations=int(s["conversations"]),
        citizens=citizens,
        by_channel=by_channel,
        queued=int(s["queued"]),
        attended=int(s["attended"]),
        assistant_only=int(s["assistant_only"]),
        handed_over=int(s["handed_over"]),
        abandoned=int(s["abandoned"]),
        missed=int(s["missed"]),
        missed_share=ratio(s["missed"], s["queued"]),
        transfers=int(s["transfers"]),
        reopened=int(s["reopened"]),
        wait_avg=ratio(s["wait_sum"], s["wait_n"]),
        first_response_avg=ratio(s["frt_sum"], s["frt_n"]),
        first_response_within_share=ratio(s["frt_within"], s["frt_n"]),
        response_avg=ratio(s["response_sum"], s["response_n"]),
        handling_avg=ratio(s["handling_sum"], s["handling_n"]),
        rated=rated,
        satisfaction_avg=ratio(float(ratings.get("score_sum", 0)), rated),
        satisfaction_dist=list(ratings.get("dist", [0, 0, 0, 0, 0])),
        resolved_share=ratio(float(ratings.get("resolved", 0)), rated),
    )


async def summary(session: AsyncSession, p: Period, data: Cube | None = None) -> Figures:
    data = data or await cube.load(session, p)
    channels = data.by("channel")
    by_channel = {c: int(channels.get(c, {}).get("conversations", 0)) for c in CHANNELS}
    return figures_from(
        data.total(), data.rated_total(), await queries.citizens(session, p), by_channel
    )


CHANNELS = ("chat", "email", "offline")


def bucket_of(day: date, grain: str) -> date:
    """The first day of the day's week (Monday) or month."""
    if grain == "week":
        return day - timedelta(days=day.weekday())
    if grain == "month":
        return day.replace(day=1)
    return day


def _add(into: dict[str, float], more: dict[str, float]) -> None:
    for k, v in more.items():
        into[k] = into.get(k, 0.0) + v


def trend(data: Cube, p: Period, grain: str, targets: Targets) -> list[dict[str, Any]]:
    """One point per day, week or month of the period, with the score of that point."""
    by_day = data.by("day")
    rated_by_day = data.rated_by("day")
    sums: dict[date, dict[str, float]] = {}
    rated: dict[date, dict[str, float]] = {}
    day = p.start
    while day <= p.end:
        b = bucket_of(day, grain)
        sums.setdefault(b, {})
        rated.setdefault(b, {})
        _add(sums[b], by_day.get(day, {}))
        _add(rated[b], rated_by_day.get(day, {}))
        day += timedelta(days=1)
    points = []
    for b in sorted(sums):
        s, r = sums[b], rated[b]
        n_rated = r.get("rated", 0.0)
        points.append(
            {
                "period": b.isoformat(),
                "conversations": int(s.get("conversations", 0)),
                "attended": int(s.get("attended", 0)),
                "assistant_only": int(s.get("assistant_only", 0)),
                "missed": int(s.get("missed", 0)),
                "missed_share": ratio(s.get("missed", 0), s.get("queued", 0)),
                "wait_avg": ratio(s.get("wait_sum", 0), s.get("wait_n", 0)),
                "first_response_avg": ratio(s.get("frt_sum", 0), s.get("frt_n", 0)),
                "first_response_within_share": ratio(s.get("frt_within", 0), s.get("frt_n", 0)),
                "handling_avg": ratio(s.get("handling_sum", 0), s.get("handling_n", 0)),
                "satisfaction_avg": ratio(r.get("score_sum", 0), n_rated),
                "resolved_share": ratio(r.get("resolved", 0), n_rated),
                "score": score(components(s, r, targets, with_missed=True)) if s else None,
            }
        )
    return points


def breakdown(data: Cube, key: str) -> list[dict[str, Any]]:
    """Figures per ``request_type``, ``category``, ``channel`` or ``agent_id``."""
    groups = data.by(key)
    rated = data.rated_by(key)
    rows = []
    for k, s in groups.items():
        r = rated.get(k, {})
        f = figures_from(s, {**r, "dist": [0] * 5}, 0, {})
        rows.append({"key": k, **f.model_dump(exclude={"citizens", "by_channel"})})
    rows.sort(key=lambda row: -row["conversations"])
    return rows


def utc_bounds(p: Period, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where the period's first local day starts and its last one ends."""
    start = datetime.combine(p.start, time(), tz).astimezone(UTC)
    end = datetime.combine(p.end + timedelta(days=1), time(), tz).astimezone(UTC)
    return start, end


async def agents_table(
    session: AsyncSession, p: Period, tz: ZoneInfo, targets: Targets, data: Cube | None = None
) -> list[dict[str, Any]]:
    """Per agent: attended, times, satisfaction, available time, concurrent load and score."""
    data = data or await cube.load(session, p)
    rows = breakdown(data, "agent_id")
    start, end = utc_bounds(p, tz)
    available = await queries.presence_seconds(session, start, end, p.agent_id)
    names = await queries.agent_names(session)
    groups = data.by("agent_id")
    rated = data.rated_by("agent_id")
    out = []
    for row in rows:
        agent_id = int(row["key"])
        if agent_id == 0:
            continue  # nobody attended: not an agent's figure
        s = groups[agent_id]
        secs = available.get(agent_id, 0.0)
        parts = components(s, rated.get(agent_id), targets, with_missed=False)
        out.append(
            {
                **row,
                "agent_id": agent_id,
                "name": names.get(agent_id, str(agent_id)),
                "available_seconds": secs,
                "concurrent_load": ratio(s["handling_sum"], secs),
                "score": score(parts),
                "components": [c.as_dict() for c in parts],
            }
        )
    return out
