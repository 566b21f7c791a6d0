"""Fill a database with a year of realistic activity for the reports benchmark.

    .venv/bin/python bench/gen_year.py --db sqlite+aiosqlite:////tmp/year.db
    .venv/bin/python bench/gen_year.py --db postgresql+asyncpg://postgres@127.0.0.1/ventanilla_bench

The database is emptied and migrated first. One year of local days (Bogotá) from 2025-11-01 to
2026-10-31: arrivals follow office hours (peaks mid-morning and after lunch, a few in the evening
left offline, few at weekends); about 45 % start with the assistant (a bit over half answered by
it alone); waits grow when an hour is busy; some citizens leave while waiting; agents exchange
10–40 messages; transfers, reopenings by email, ratings, unanswered questions and agents'
presence intervals are all there (``ventanilla.reports.history``, which the demo uses for its last
weeks). Facts and daily sums are worked out by the same code that runs when a conversation closes
(``reports.facts.compute`` and ``repository.daily_delta``).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text

from ventanilla.agents.models import User
from ventanilla.core.db import Database
from ventanilla.core.security import hash_password
from ventanilla.entity.models import PrivacyNotice
from ventanilla.kb.models import KbEntry
from ventanilla.migrate import upgrade
from ventanilla.reports.history import HistoryGenerator, Texts, write, write_daily

TZ = ZoneInfo("America/Bogota")
FIRST_DAY = date(2025, 11, 1)
DAYS = 365
AGENTS = 14
CATEGORIES = [
    "Impuestos",
    "Licencias",
    "Movilidad",
    "Salud",
    "Educación",
    "Trámites",
    "Servicios públicos",
    "Subsidios",
]
WORDS_TEXT = (
    "buenos días quisiera saber cómo hago para pagar el impuesto predial de mi casa "
    "necesito el certificado de residencia para un trámite en el banco gracias por la ayuda "
    "cuál es el horario de atención de la secretaría y qué documentos debo llevar"
)
WORDS = WORDS_TEXT.split(" ")


def local(day: date, hour: int, minute: float) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ).astimezone(UTC) + timedelta(
        minutes=minute
    )


def sentence(rng: random.Random) -> str:
    n = rng.randint(4, 18)
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


# Word salad: the benchmark measures the reports, not the words.
TEXTS = Texts(
    question=lambda rng, _entry: sentence(rng),
    answer=lambda rng, _entry: sentence(rng),
    agent=lambda rng, _i, _n: sentence(rng),
    citizen=sentence,
    name=lambda _rng: "Ciudadano",
    comment=lambda _rng, _score: None,
)


async def reset(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        db = Database(url)
        async with db.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await db.dispose()
    await asyncio.to_thread(upgrade, url)


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", required=True, help="database URL (emptied first)")
    ap.add_argument("--per-day", type=float, default=190.0, help="conversations on a weekday")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    began = time.perf_counter()
    await reset(args.db)
    db = Database(args.db)
    rng = random.Random(args.seed)
    digest = hash_password("bench-password-123")
    users = [
        {
            "id": i,
            "email": f"asesor{i}@entidad.gov.co",
            "name": f"Asesor {i}",
            "display_name": f"Asesor {i}",
            "password_hash": digest,
            "role": "agent",
            "presence": "available",
            "max_chats": 4,
            "is_active": True,
            "created_at": local(FIRST_DAY, 7, 0),
        }
        for i in range(1, AGENTS + 1)
    ]
    users.append({**users[0], "id": 100, "email": "sara@entidad.gov.co", "role": "supervisor"})
    entries = {f"kb{i:02d}": CATEGORIES[i % len(CATEGORIES)] for i in range(1, 31)}
    async with db.engine.begin() as conn:
        await conn.execute(insert(User), users)
        await conn.execute(
            insert(PrivacyNotice),
            [{"version": "1", "text": "Aviso", "created_at": local(FIRST_DAY, 7, 0)}],
        )
        await conn.execute(
            insert(KbEntry),
            [
                {
                    "id": entry,
                    "question": f"Pregunta frecuente {entry[2:]}",
                    "alternatives": [],
                    "answer": "Respuesta aprobada.",
                    "category": category,
                    "active": True,
                    "version": 1,
                    "updated_at": local(FIRST_DAY, 7, 0),
                    "updated_by_name": "",
                }
                for entry, category in entries.items()
            ],
        )
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT setval('users_id_seq', 1000)"))
    gen = HistoryGenerator(
        rng,
        per_day=args.per_day,
        agents={i: f"Asesor {i}" for i in range(1, AGENTS + 1)},
        entries=entries,
        texts=TEXTS,
        tz=TZ,
        consent_version="1",
        exchanges=(5, 19),
        on_duty=(8, 6),
    )
    totals: dict[str, int] = defaultdict(int)
    for i in range(DAYS):
        d = FIRST_DAY + timedelta(days=i)
        gen.day(d)
        if i % 30 == 29 or i == DAYS - 1:
            rows: dict[str, list[dict[str, Any]]] = gen.take()
            await write(db, rows)
            for name in ("conversations", "events", "ratings"):
                totals[name] += len(rows.get(name, []))
            totals["messages"] += sum(1 for e in rows["events"] if e["kind"] == "message")
            print(
                f"  {d}: {totals['conversations']:,} conversations, "
                f"{totals['messages']:,} messages",
                file=sys.stderr,
            )
    await write_daily(db, gen)
    async with db.engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
    await db.dispose()
    print(
        f"{totals['conversations']:,} conversations, {totals['messages']:,} messages, "
        f"{totals['events']:,} events, {totals['ratings']:,} ratings, "
        f"{len(gen.daily_rows()):,} daily rows in {time.perf_counter() - began:.0f} s"
    )


if __name__ == "__main__":
    asyncio.run(main())
