"""How fast every dashboard and export answers for one month of a year of data.

    .venv/bin/python bench/gen_year.py --db URL        # once: a year of activity
    .venv/bin/python bench/reports_speed.py --db URL [--month 2026-10] [--repeat 5]

Each case runs the same code as the HTTP endpoint (service, exports, PDF), in one database
transaction, ``--repeat`` times; the median and the worst are printed, with the first (cold) run.
Baseline, measured in the same run: the month's average first response time computed straight
from the events (what a report without the facts table would have to do), and one full rebuild
of a day's facts from the events. Raw results go to ``bench/results/reports-<dialect>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select

from ventanilla.conversations.models import Conversation, Event
from ventanilla.core.db import Database
from ventanilla.reports import exports, metrics, recorder, service
from ventanilla.reports.pdf import monthly_pdf
from ventanilla.reports.routes import month_period
from ventanilla.reports.schemas import Period

RESULTS = Path(__file__).parent / "results"


async def timed(
    db: Database, fn: Callable[[Any], Awaitable[Any]], repeat: int
) -> dict[str, float | int]:
    runs, cpu = [], []
    size = 0
    for _ in range(repeat + 1):
        began, began_cpu = time.perf_counter(), time.process_time()
        async with db.unit() as uow:
            out = await fn(uow.session)
        runs.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        size = len(out) if isinstance(out, bytes | list | dict) else 0
    warm = runs[1:]
    return {
        "cold_ms": round(runs[0] * 1000, 1),
        "median_ms": round(statistics.median(warm) * 1000, 1),
        "max_ms": round(max(warm) * 1000, 1),
        # CPU time of this process (all its threads, so SQLite's work too; not PostgreSQL's):
        # what the case costs without other programs competing for the cores.
        "cpu_median_ms": round(statistics.median(cpu[1:]) * 1000, 1),
        "size": size,
    }


async def raw_first_response(session: Any, p: Period) -> list[Any]:
    """Baseline: the month's average first response per conversation, from the events."""
    tz = await recorder.timezone(session)
    start, end = metrics.utc_bounds(p, tz)
    joined = (
        select(Event.conversation_id, func.min(Event.created_at).label("first"))
        .where(
            Event.kind == "message",
            Event.author_role == "agent",
            Event.internal.is_(False),
        )
        .group_by(Event.conversation_id)
        .subquery()
    )
    q = (
        select(func.count(), func.min(joined.c.first))
        .select_from(Conversation)
        .join(joined, joined.c.conversation_id == Conversation.id)
        .where(and_(Conversation.created_at >= start, Conversation.created_at < end))
    )
    return list((await session.execute(q)).all())


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True)
    ap.add_argument("--month", default="2026-10")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    db = Database(args.db)
    first, month = month_period(args.month)
    async with db.unit() as uow:
        tz = await recorder.timezone(uow.session)
        agent = 3
        board = await service.dashboard(uow.session, month, "day", "es", supervisor=True)
        counts = {
            "conversations": await uow.session.scalar(
                select(func.count()).select_from(Conversation)
            ),
            "events": await uow.session.scalar(select(func.count()).select_from(Event)),
            "messages": await uow.session.scalar(
                select(func.count()).select_from(Event).where(Event.kind == "message")
            ),
            "month_conversations": board["figures"]["conversations"],
        }
    year_start = (
        date(first.year - 1, first.month, 1)
        if first.month == 12
        else date(first.year - 1, first.month + 1, 1)
    )
    year = Period(start=year_start, end=month.end)  # the twelve months ending with this one
    by_agent = month.model_copy(update={"agent_id": agent})
    by_type = month.model_copy(update={"request_type": "queja"})
    by_cat = month.model_copy(update={"category": "Impuestos"})

    def dash(p: Period, grain: str = "day", sup: bool = True) -> Callable[[Any], Awaitable[Any]]:
        return lambda s: service.dashboard(s, p, grain, "es", supervisor=sup)

    async def export(s: Any, fmt: str, table: str = "conversations") -> bytes:
        return await exports.export(s, month, tz, "es", fmt, table, supervisor=True)

    async def pdf(s: Any) -> bytes:
        b = await service.dashboard(s, month, "day", "es", supervisor=True)
        return monthly_pdf(b, "Alcaldía de Ejemplo", first, "es")

    cases: dict[str, Callable[[Any], Awaitable[Any]]] = {
        "dashboard month (supervisor, by day)": dash(month),
        "dashboard month by week": dash(month, "week"),
        "dashboard month, one agent (agent's own view)": dash(by_agent, sup=False),
        "dashboard month, request type 'queja'": dash(by_type),
        "dashboard month, category 'Impuestos'": dash(by_cat),
        "export CSV conversations (month)": lambda s: export(s, "csv"),
        "export CSV by day (month)": lambda s: export(s, "csv", "daily"),
        "export CSV by agent (month)": lambda s: export(s, "csv", "agents"),
        "export XLSX (month)": lambda s: export(s, "xlsx"),
        "monthly PDF": pdf,
        "dashboard whole year by month (extra)": dash(year, "month"),
        "baseline: raw first responses from events (month)": lambda s: raw_first_response(s, month),
    }
    results: dict[str, Any] = {}
    for name, fn in cases.items():
        results[name] = await timed(db, fn, args.repeat)
        r = results[name]
        print(
            f"{name:<52} median {r['median_ms']:>7.1f} ms  max {r['max_ms']:>7.1f} ms  "
            f"cold {r['cold_ms']:>7.1f} ms  cpu {r['cpu_median_ms']:>7.1f} ms",
            flush=True,
        )
    # the close hook: facts of one conversation from its events, and its daily delta
    async with db.unit() as uow:
        ids = list(
            await uow.session.scalars(
                select(Conversation.id).order_by(Conversation.created_at.desc()).limit(200)
            )
        )
    began = time.perf_counter()
    for cid in ids:
        async with db.unit() as uow:
            conv = await uow.session.get(Conversation, cid)
            assert conv is not None
            await recorder.conversation_closed(uow.session, conv)
    per_close = (time.perf_counter() - began) / len(ids) * 1000
    results["close hook (facts + daily delta), per conversation"] = {"mean_ms": round(per_close, 2)}
    print(f"{'close hook, per conversation (own transaction)':<52} mean {per_close:8.2f} ms")
    base = results["baseline: raw first responses from events (month)"]["median_ms"]
    dash_ms = results["dashboard month (supervisor, by day)"]["median_ms"]
    print(f"dashboard / raw-events baseline: {dash_ms / base:.2f}x" if base else "")
    dialect = db.engine.dialect.name
    await db.dispose()
    slowest = max(
        v["max_ms"]
        for k, v in results.items()
        if "max_ms" in v and "extra" not in k and "baseline" not in k
    )
    print(f"data: {counts}")
    load_avg = os.getloadavg()
    print(f"machine load average (1, 5, 15 min): {load_avg} on {os.cpu_count()} cores")
    verdict = "under" if slowest < 1000 else "OVER"
    print(f"slowest month case (worst run): {slowest:.1f} ms -> {verdict} 1 s")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"reports-{dialect}.json"
    out.write_text(
        json.dumps(
            {
                "dialect": dialect,
                "month": args.month,
                "data": counts,
                "load_average": load_avg,
                "results": results,
            },
            indent=2,
            default=str,
        )
    )
    print(f"raw results: {out}")


if __name__ == "__main__":
    asyncio.run(main())
