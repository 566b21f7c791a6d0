"""Improvement findings with their evidence (docs/metrics.md, "Findings")."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.assistant.models import UnansweredQuestion
from ventanilla.cases.stats import on_time_rates
from ventanilla.cases.types import case_types
from ventanilla.core.i18n import translate
from ventanilla.kb.models import KbEntry
from ventanilla.reports import queries
from ventanilla.reports.cube import Cube
from ventanilla.reports.queries import F, facts_where
from ventanilla.reports.schemas import Finding, Period, Targets
from ventanilla.reports.score import servers_needed
from ventanilla.reports.units import duration

MIN_QUEUED_IN_SLOT = 3
TOP = 5


def occurrences(p: Period) -> list[int]:
    """How many times each weekday (0 = Monday) occurs in the period."""
    out = [0] * 7
    days = (p.end - p.start).days + 1
    for i in range(days):
        out[(p.start.weekday() + i) % 7] += 1
    return out


async def _agents_per_slot(session: AsyncSession, p: Period) -> dict[tuple[int, int], float]:
    """Agents who attended conversations started in each weekday-hour, summed over the days
    (divide by the weekday's occurrences for an average)."""
    inner = (
        select(F.weekday, F.hour, F.day, F.agent_id)
        .where(facts_where(p), F.agent_id.is_not(None))
        .distinct()
        .subquery()
    )
    rows = await session.execute(
        select(inner.c.weekday, inner.c.hour, func.count()).group_by(inner.c.weekday, inner.c.hour)
    )
    return {(int(w), int(h)): float(n) for w, h, n in rows.all()}


async def long_waits(
    session: AsyncSession, p: Period, t: Targets, lang: str, load: float
) -> list[Finding]:
    # Messages left while nobody attends (channel "offline") wait for the next working morning by
    # design and have their own target: the staffing advice is about the chat's own hours.
    cells = await queries.heatmap(session, p, channel=p.channel or "chat")
    occ = occurrences(p)
    staffed = await _agents_per_slot(session, p)
    total_handle = sum(c["handling_sum"] for c in cells)
    total_n = sum(c["handling_n"] for c in cells)
    aht_all = total_handle / total_n if total_n else 0.0
    per_agent = max(1.0, load)  # conversations an agent attends at once, on average
    out = []
    for c in cells:
        w, h = int(c["weekday"]), int(c["hour"])
        queued = c["queued"]
        wait_avg = c["wait_sum"] / c["wait_n"] if c["wait_n"] else None
        missed_share = c["missed"] / queued if queued else 0.0
        slow = wait_avg is not None and wait_avg > t.wait_seconds
        if queued < MIN_QUEUED_IN_SLOT or not (slow or missed_share > t.missed_share):
            continue
        n_days = max(1, occ[w])
        arrivals = queued / n_days  # per hour
        aht = c["handling_sum"] / c["handling_n"] if c["handling_n"] else aht_all
        slots = servers_needed(arrivals, aht, t.wait_seconds, t.service_level)
        needed = math.ceil(slots / per_agent) if slots else 0
        current = staffed.get((w, h), 0.0) / n_days
        more = max(0, needed - math.floor(current))
        evidence = {
            "weekday": w,
            "hour": h,
            "queued": int(queued),
            "arrivals_per_hour": round(arrivals, 2),
            "wait_avg": round(wait_avg, 1) if wait_avg is not None else None,
            "missed_share": round(missed_share, 3),
            "handling_avg": round(aht, 1),
            "agents_now": round(current, 1),
            "agents_needed": needed,
            "agents_more": more,
        }
        out.append((missed_share, evidence))
    out.sort(key=lambda x: (-x[0], -(x[1]["wait_avg"] or 0)))
    findings = []
    for _, ev in out[:TOP]:
        day = translate(lang, f"weekday.plural.{ev['weekday']}")
        findings.append(
            Finding(
                kind="long_waits",
                severity="high" if ev["missed_share"] > 2 * t.missed_share else "medium",
                title=translate(lang, "reports.finding.long_waits", day=day, hour=ev["hour"]),
                detail=translate(
                    lang,
                    "reports.finding.long_waits_detail",
                    wait=duration(ev["wait_avg"], lang),
                    missed=round(100 * ev["missed_share"]),
                    now=ev["agents_now"],
                    needed=ev["agents_needed"],
                    more=ev["agents_more"],
                ),
                evidence=[ev],
            )
        )
    return findings


def low_satisfaction(data: Cube, t: Targets, lang: str) -> list[Finding]:
    rated = data.rated_by("category")
    rows: list[dict[str, Any]] = []
    for cat, r in rated.items():
        n = int(r["rated"])
        avg = r["score_sum"] / n if n else 0.0
        if n >= t.min_ratings and avg < t.satisfaction:
            rows.append({"category": cat or "", "rated": n, "satisfaction_avg": round(avg, 2)})
    rows.sort(key=lambda x: float(x["satisfaction_avg"]))
    return [
        Finding(
            kind="low_satisfaction",
            severity="high" if r["satisfaction_avg"] < t.satisfaction - 1 else "medium",
            title=translate(
                lang,
                "reports.finding.low_satisfaction",
                category=r["category"] or translate(lang, "reports.no_category"),
            ),
            detail=translate(
                lang,
                "reports.finding.low_satisfaction_detail",
                avg=r["satisfaction_avg"],
                n=r["rated"],
                target=t.satisfaction,
            ),
            evidence=[r],
        )
        for r in rows[:TOP]
    ]


async def assistant_gaps(
    session: AsyncSession, p: Period, lang: str, bounds: tuple[Any, Any]
) -> list[Finding]:
    """The questions the assistant could not answer, grouped by the nearest entry."""
    start, end = bounds
    u = UnansweredQuestion
    rows = await session.execute(
        select(u.best_entry_id, func.count())
        .where(u.created_at >= start, u.created_at < end)
        .group_by(u.best_entry_id)
        .order_by(func.count().desc())
        .limit(TOP)
    )
    groups = [(e, int(n)) for e, n in rows.all()]
    if not groups:
        return []
    ids = [e for e, _ in groups if e]
    questions: dict[str, str] = {}
    if ids:
        found = await session.execute(
            select(KbEntry.id, KbEntry.question).where(KbEntry.id.in_(ids))
        )
        questions = {str(i): str(q) for i, q in found.all()}
    out = []
    for entry_id, n in groups:
        cond = u.best_entry_id == entry_id if entry_id else u.best_entry_id.is_(None)
        examples = list(
            await session.scalars(
                select(u.text)
                .where(cond, u.created_at >= start, u.created_at < end)
                .order_by(u.created_at.desc())
                .limit(3)
            )
        )
        topic = questions.get(entry_id or "", "") or translate(lang, "reports.no_near_entry")
        out.append(
            Finding(
                kind="assistant_gaps",
                severity="high" if n >= 10 else "medium",
                title=translate(lang, "reports.finding.assistant_gaps", topic=topic),
                detail=translate(lang, "reports.finding.assistant_gaps_detail", n=n),
                evidence=[{"entry_id": entry_id, "count": n, "examples": examples}],
            )
        )
    return out


def agents_below(agents: list[dict[str, Any]], lang: str) -> list[Finding]:
    out = []
    for a in agents:
        low = [c for c in a["components"] if c["attainment"] < 1]
        if not low:
            continue
        parts = ", ".join(
            translate(
                lang,
                f"reports.component.{c['name']}_short",
                value=_fmt(c["name"], c["value"]),
                target=_fmt(c["name"], c["target"]),
            )
            for c in low
        )
        out.append(
            Finding(
                kind="agent_below",
                severity="high" if (a["score"] or 0) < 70 else "medium",
                title=translate(lang, "reports.finding.agent_below", name=a["name"]),
                detail=parts,
                evidence=[{"agent_id": a["agent_id"], "score": a["score"], "components": low}],
            )
        )
    return out


def _fmt(name: str, value: float) -> str:
    return f"{value:.2f}" if name == "satisfaction" else f"{round(100 * value)} %"


async def cases_on_time(
    session: AsyncSession, p: Period, lang: str, today: date
) -> list[dict[str, Any]]:
    """PQRSD answered on time by case type (the cases domain's rates), with the type's name."""
    labels = {code: kind.label for code, kind in (await case_types(session, lang)).items()}
    rates = await on_time_rates(session, by="type", today=today, since=p.start, until=p.end)
    return [{**r.as_dict(), "label": labels.get(r.key, r.key)} for r in rates]


def cases_late(rows: list[dict[str, Any]], t: Targets, lang: str) -> list[Finding]:
    out = []
    for r in rows:
        if r["rate"] is None or r["rate"] >= t.cases_on_time_share:
            continue
        out.append(
            Finding(
                kind="cases_late",
                severity="high" if r["rate"] < t.cases_on_time_share - 0.2 else "medium",
                title=translate(lang, "reports.finding.cases_late", type=r["label"]),
                detail=translate(
                    lang,
                    "reports.finding.cases_late_detail",
                    rate=round(100 * r["rate"]),
                    target=round(100 * t.cases_on_time_share),
                    late=r["late"],
                    overdue=r["overdue_open"],
                ),
                evidence=[r],
            )
        )
    return out
