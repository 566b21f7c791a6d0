"""The period's daily sums and ratings, read once and summed in memory by any dimension.

A month is a few thousand daily rows and ratings: one query each, then every breakdown (by day,
agent, request type, category, channel) is a pass over those rows instead of one query each.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.reports.queries import RATINGS, D, F, daily_where, facts_where
from ventanilla.reports.repository import DAILY_KEYS, DAILY_SUMS
from ventanilla.reports.schemas import Period

RATING_KEYS = DAILY_KEYS  # the facts' columns of the same names
N_KEYS = len(DAILY_KEYS)


@dataclass
class Cube:
    sums: list[tuple[Any, ...]]  # DAILY_KEYS + DAILY_SUMS
    ratings: list[tuple[Any, ...]]  # DAILY_KEYS + (score, resolved)

    def total(self) -> dict[str, float]:
        return self.by()[()]

    def by(self, *keys: str) -> dict[Any, dict[str, float]]:
        """Sums grouped by ``keys`` (one key: keyed by its value; none: by ``()``)."""
        idx = [DAILY_KEYS.index(k) for k in keys]
        out: dict[Any, list[float]] = defaultdict(lambda: [0.0] * len(DAILY_SUMS))
        for row in self.sums:
            key = _key(row, idx)
            acc = out[key]
            for i in range(len(DAILY_SUMS)):
                acc[i] += row[N_KEYS + i] or 0
        result = {k: dict(zip(DAILY_SUMS, v, strict=True)) for k, v in out.items()}
        if not keys and not result:
            result[()] = dict.fromkeys(DAILY_SUMS, 0.0)
        return result

    def rated_by(self, *keys: str) -> dict[Any, dict[str, float]]:
        """Ratings grouped like ``by``: rated, score_sum, resolved."""
        idx = [DAILY_KEYS.index(k) for k in keys]
        out: dict[Any, dict[str, float]] = {}
        for row in self.ratings:
            key = _key(row, idx)
            acc = out.setdefault(key, {"rated": 0.0, "score_sum": 0.0, "resolved": 0.0})
            acc["rated"] += 1
            acc["score_sum"] += row[N_KEYS]
            acc["resolved"] += 1 if row[N_KEYS + 1] else 0
        return out

    def rated_total(self) -> dict[str, Any]:
        dist = [0, 0, 0, 0, 0]
        resolved = 0
        for row in self.ratings:
            score = int(row[N_KEYS])
            if 1 <= score <= 5:
                dist[score - 1] += 1
            resolved += 1 if row[N_KEYS + 1] else 0
        rated = sum(dist)
        total = sum((i + 1) * n for i, n in enumerate(dist))
        return {"rated": rated, "dist": dist, "resolved": resolved, "score_sum": total}


def _key(row: tuple[Any, ...], idx: list[int]) -> Any:
    if len(idx) == 1:
        return row[idx[0]]
    return tuple(row[i] for i in idx)


async def load(session: AsyncSession, p: Period) -> Cube:
    daily_cols = [getattr(D, k) for k in (*DAILY_KEYS, *DAILY_SUMS)]
    sums = (await session.execute(select(*daily_cols).where(daily_where(p)))).all()
    agent = F.agent_id
    fact_keys = [F.day, agent, F.request_type, F.category, F.channel]
    ratings = (
        await session.execute(
            select(*fact_keys, RATINGS.c.score, RATINGS.c.resolved)
            .select_from(F)
            .join(RATINGS, RATINGS.c.conversation_id == F.conversation_id)
            .where(facts_where(p))
        )
    ).all()
    # the daily table keys "nobody attended" as agent 0; the facts keep null
    rows = [(r[0], r[1] or 0, *r[2:]) for r in ratings]
    return Cube([tuple(r) for r in sums], rows)
