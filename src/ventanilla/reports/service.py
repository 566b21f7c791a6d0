"""The reports' operations: who may see which figures, the dashboard, the score with its
findings, and the targets admins set."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.agents.models import User
from ventanilla.core.db import utcnow
from ventanilla.core.errors import AppError, Forbidden
from ventanilla.reports import cube, findings, metrics, queries, recorder, repository
from ventanilla.reports.cube import Cube
from ventanilla.reports.schemas import Figures, Finding, Period, Targets
from ventanilla.reports.score import components, score


def scoped(user: User, p: Period) -> Period:
    """Agents see only their own figures; supervisors and admins see anyone's."""
    if user.role == "agent":
        if p.agent_id is not None and p.agent_id != user.id:
            raise Forbidden("reports_own_only")
        return p.model_copy(update={"agent_id": user.id})
    return p


def quality(data: Cube, p: Period, t: Targets, figures: Figures) -> dict[str, Any]:
    """The score of a period (entity, or one agent when the period is filtered by agent)."""
    s = data.total()
    r = {
        "rated": figures.rated,
        "score_sum": (figures.satisfaction_avg or 0) * figures.rated,
        "resolved": (figures.resolved_share or 0) * figures.rated,
    }
    parts = components(s, r, t, with_missed=p.agent_id is None)
    return {"value": score(parts), "components": [c.as_dict() for c in parts]}


async def all_findings(
    session: AsyncSession,
    data: Cube,
    p: Period,
    t: Targets,
    tz: ZoneInfo,
    lang: str,
    agents: list[dict[str, Any]],
) -> list[Finding]:
    handling = sum((a["handling_avg"] or 0) * a["attended"] for a in agents)
    available = sum(a["available_seconds"] for a in agents)
    load = handling / available if available else 1.0
    out = await findings.long_waits(session, p, t, lang, load)
    out += findings.low_satisfaction(data, t, lang)
    out += await findings.assistant_gaps(session, p, lang, metrics.utc_bounds(p, tz))
    out += findings.agents_below(agents, lang)
    return out


async def dashboard(
    session: AsyncSession,
    p: Period,
    grain: str,
    lang: str,
    *,
    supervisor: bool,
    tables_only: bool = False,
) -> dict[str, Any]:
    """Everything the reports page shows for a period (already ``scoped`` to the viewer).
    ``tables_only``: just the figures, score, trend and agents (what the exports hold)."""
    if grain not in metrics.GRAINS:
        raise AppError("grain_invalid", field="grain")
    tz = await recorder.timezone(session)
    t = await recorder.targets(session)
    data = await cube.load(session, p)
    figures = await metrics.summary(session, p, data)
    agents = await metrics.agents_table(session, p, tz, t, data)
    out: dict[str, Any] = {
        "period": {"start": p.start.isoformat(), "end": p.end.isoformat(), "grain": grain},
        "filters": p.model_dump(mode="json", exclude={"start", "end"}),
        "timezone": str(tz),
        "figures": figures.model_dump(),
        "score": quality(data, p, t, figures),
        "trend": metrics.trend(data, p, grain, t),
        "agents": agents,
        "targets": t.model_dump(),
    }
    if tables_only:
        return out
    out |= {
        "heatmap": await queries.heatmap(session, p),
        "wait_distribution": {
            "limits": list(queries.WAIT_BUCKETS),
            "counts": await queries.wait_distribution(session, p),
        },
        "by_request_type": metrics.breakdown(data, "request_type"),
        "by_category": metrics.breakdown(data, "category"),
        "findings": [],
        "cases_on_time": [],
        "options": {"categories": await queries.categories(session, p), "agents": []},
    }
    if supervisor:
        names = await queries.agent_names(session)
        out["options"]["agents"] = [{"id": i, "name": n} for i, n in sorted(names.items())]
        if p.agent_id is None:
            today = utcnow().astimezone(tz).date()
            out["cases_on_time"] = await findings.cases_on_time(session, p, lang, today)
        if p.agent_id is None:
            found = await all_findings(session, data, p, t, tz, lang, agents)
            found += findings.cases_late(out["cases_on_time"], t, lang)
            out["findings"] = [f.model_dump() for f in found]
    return out


async def get_targets(session: AsyncSession) -> Targets:
    return await recorder.targets(session)


async def save_targets(session: AsyncSession, data: dict[str, Any], user: User) -> Targets:
    """Validate and store the targets (admins); nothing is stored when a value is wrong."""
    try:
        t = Targets.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(x) for x in first.get("loc", ())) or None
        raise AppError("targets_invalid", field=field) from None
    await repository.save_settings(session, t.model_dump(), user.id)
    return t
