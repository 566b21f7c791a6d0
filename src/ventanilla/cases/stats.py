"""On-time answer rates of petitions, for the console and the reports.

``on_time_rates(session, by="type" | "area" | "agent", since=, until=, today=)`` looks at the
cases filed in [since, until] (entity-local dates, both optional) and, per group, counts:

- ``answered``: answered cases; ``on_time`` / ``late`` among them (answered on or before the due
  date in force, extension included);
- ``overdue_open``: cases still running whose due date has passed (already late, not answered);
- ``rate``: ``on_time / (answered + overdue_open)``, ``None`` when there is nothing to measure.

Cases on hold, forwarded (not competent) or withdrawn are not counted: their term is not the
entity's to meet. ``by="agent"`` groups answered cases by who answered them (running overdue
cases have nobody yet and go under ""). Rates only count: no personal data leaves this module.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.cases import repository

GroupBy = Literal["type", "area", "agent"]


@dataclass
class OnTimeRate:
    key: str
    answered: int = 0
    on_time: int = 0
    late: int = 0
    overdue_open: int = 0

    @property
    def rate(self) -> float | None:
        measured = self.answered + self.overdue_open
        return round(self.on_time / measured, 4) if measured else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "rate": self.rate}


async def on_time_rates(
    session: AsyncSession,
    *,
    by: GroupBy = "type",
    today: date,
    since: date | None = None,
    until: date | None = None,
) -> list[OnTimeRate]:
    if by not in ("type", "area", "agent"):
        raise ValueError(f"cannot group by {by!r}")
    groups: dict[str, OnTimeRate] = {}
    for type_code, area, agent, status, on_time, due in await repository.for_rates(
        session, since, until
    ):
        key = {"type": type_code, "area": area, "agent": agent}[by] or ""
        group = groups.setdefault(key, OnTimeRate(key))
        if status == "answered":
            group.answered += 1
            if on_time:
                group.on_time += 1
            else:
                group.late += 1
        elif status in repository.RUNNING and due is not None and due < today:
            group.overdue_open += 1
    return sorted(groups.values(), key=lambda g: g.key)
