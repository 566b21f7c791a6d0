"""The period's daily sums and ratings, read once and summed in memory by any dimension.

A month is a few thousand daily rows and ratings: one query each, then every breakdown (by day,
agent, request type, category, channel) is a pass over those rows instead of one query each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import String, select, type_coerce
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
    _values: npt.NDArray[np.float64] = field(init=False, repr=False)
    _cache: dict[tuple[str, ...], dict[Any, dict[str, float]]] = field(
        init=False, default_factory=dict, repr=False
    )

    def __post_init__(self) -> None:
        width = len(DAILY_SUMS)
        self._values = np.array(
            [row[N_KEYS:] for row in self.sums] or np.zeros((0, width)), dtype=np.float64
        ).reshape(-1, width)

    def total(self) -> dict[str, float]:
        return dict(zip(DAILY_SUMS, (float(x) for x in self._values.sum(axis=0)), strict=True))

    def by(self, *keys: str) -> dict[Any, dict[str, float]]:
        """Sums grouped by ``keys`` (one key: keyed by its value, several: by their tuple)."""
        if keys in self._cache:
            return self._cache[keys]
        idx = [DAILY_KEYS.index(k) for k in keys]
        groups: dict[Any, int] = {}
        slots = np.fromiter(
            (groups.setdefault(_key(row, idx), len(groups)) for row in self.sums),
            dtype=np.int64,
            count=len(self.sums),
        )
        sums = np.zeros((len(groups), len(DAILY_SUMS)))
        np.add.at(sums, slots, self._values)
        result = {
            k: dict(zip(DAILY_SUMS, (float(x) for x in sums[i]), strict=True))
            for k, i in groups.items()
        }
        self._cache[keys] = result
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


def _as_date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


async def load(session: AsyncSession, p: Period) -> Cube:
    # Days are read as text where the driver gives text (SQLite) and parsed with the C
    # ``date.fromisoformat``: SQLAlchemy's own date parsing is the slowest part otherwise.
    daily_cols = [
        type_coerce(D.day, String()),
        *(getattr(D, k) for k in (*DAILY_KEYS[1:], *DAILY_SUMS)),
    ]
    raw = (await session.execute(select(*daily_cols).where(daily_where(p)))).all()
    sums = [(_as_date(r[0]), *r[1:]) for r in raw]
    fact_keys = [type_coerce(F.day, String()), F.agent_id, F.request_type, F.category, F.channel]
    ratings = (
        await session.execute(
            select(*fact_keys, RATINGS.c.score, RATINGS.c.resolved)
            .select_from(F)
            .join(RATINGS, RATINGS.c.conversation_id == F.conversation_id)
            .where(facts_where(p))
        )
    ).all()
    # the daily table keys "nobody attended" as agent 0; the facts keep null
    rows = [(_as_date(r[0]), r[1] or 0, *r[2:]) for r in ratings]
    return Cube(sums, rows)
