"""Fill a database with a year of realistic activity for the reports benchmark.

    .venv/bin/python bench/gen_year.py --db sqlite+aiosqlite:////tmp/year.db
    .venv/bin/python bench/gen_year.py --db postgresql+asyncpg://postgres@127.0.0.1/ventanilla_bench

The database is emptied and migrated first. One year of local days (Bogotá) from 2025-11-01 to
2026-10-31: arrivals follow office hours (peaks mid-morning and after lunch, a few in the evening
left offline, few at weekends); about 45 % start with the assistant (a bit over half answered by
it alone); waits grow when an hour is busy; some citizens leave while waiting; agents exchange
10–40 messages; transfers, reopenings by email, ratings, unanswered questions and agents'
presence intervals are all there. Facts and daily sums are worked out by the same code that runs
when a conversation closes (``reports.facts.compute`` and ``repository.daily_delta``).
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
from ventanilla.assistant.models import UnansweredQuestion
from ventanilla.conversations.models import Conversation, Event
from ventanilla.core.db import Database
from ventanilla.core.security import hash_password
from ventanilla.entity.models import PrivacyNotice
from ventanilla.kb.models import KbEntry
from ventanilla.migrate import upgrade
from ventanilla.reports.facts import ConvInfo, EventInfo, compute
from ventanilla.reports.models import (
    ConversationFacts,
    DailyFigures,
    PresenceInterval,
)
from ventanilla.reports.repository import DAILY_KEYS, DAILY_SUMS, daily_delta
from ventanilla.reports.schemas import Targets
from ventanilla.satisfaction.models import Rating

TZ = ZoneInfo("America/Bogota")
FIRST_DAY = date(2025, 11, 1)
DAYS = 365
AGENTS = 14
TYPES = ["consulta"] * 6 + ["peticion"] * 3 + ["queja", "reclamo", "sugerencia", "felicitacion"]
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
# Share of a weekday's conversations that start in each local hour.
HOURS = {
    6: 1,
    7: 5,
    8: 9,
    9: 12,
    10: 13,
    11: 11,
    12: 6,
    13: 7,
    14: 10,
    15: 9,
    16: 6,
    17: 3,
    18: 2,
    19: 2,
    20: 1,
    21: 1,
}
WORDS_TEXT = (
    "buenos días quisiera saber cómo hago para pagar el impuesto predial de mi casa "
    "necesito el certificado de residencia para un trámite en el banco gracias por la ayuda "
    "cuál es el horario de atención de la secretaría y qué documentos debo llevar"
)


def local(day: date, hour: int, minute: float) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ).astimezone(UTC) + timedelta(
        minutes=minute
    )


def sentence(rng: random.Random) -> str:
    n = rng.randint(4, 18)
    words = WORDS_TEXT.split(" ")
    return " ".join(rng.choice(words) for _ in range(n)).capitalize() + "."


class Gen:
    def __init__(self, rng: random.Random, per_day: float, agent_ids: list[int]) -> None:
        self.rng = rng
        self.per_day = per_day
        self.agents = agent_ids
        self.convs: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.ratings: list[dict[str, Any]] = []
        self.unanswered: list[dict[str, Any]] = []
        self.facts: list[dict[str, Any]] = []
        self.daily: dict[tuple[Any, ...], dict[str, float]] = {}
        self.targets = Targets()
        self.n = 0

    def day(self, d: date) -> None:
        rng = self.rng
        weekday = d.weekday()
        factor = 1.0 if weekday < 5 else 0.12
        factor *= 1.0 + 0.15 * ((d.month % 12) in (1, 2, 7))  # busier months
        n_day = rng.gauss(self.per_day * factor, self.per_day * factor * 0.1)
        total = sum(HOURS.values())
        for hour, weight in HOURS.items():
            expected = n_day * weight / total
            count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
            # agents on duty this hour (weekdays 7-17); the queue is slower when busy
            on_duty = 0 if weekday >= 5 or not 7 <= hour < 17 else (8 if hour in (9, 10, 14) else 6)
            for _ in range(count):
                self.conversation(d, hour, rng.uniform(0, 60), on_duty, count)

    def conversation(self, d: date, hour: int, minute: float, on_duty: int, load: int) -> None:
        rng = self.rng
        self.n += 1
        cid = f"b{self.n:07d}"
        start = local(d, hour, minute)
        evs: list[tuple[float, str, str, int | None, str, dict[str, Any]]] = []
        t = 0.0

        def add(kind: str, role: str, who: int | None = None, body: str = "", **data: Any) -> None:
            evs.append((t, kind, role, who, body, data))

        offline = on_duty == 0
        with_assistant = not offline and rng.random() < 0.45
        queued_at: float | None = None
        agent: int | None = None
        topic = rng.choice(CATEGORIES) if rng.random() < 0.7 else None
        entry = f"kb{rng.randint(1, 30):02d}"
        add("message", "citizen", body=sentence(rng))
        if with_assistant:
            t += rng.uniform(1, 3)
            add("message", "assistant", body=sentence(rng), entry_id=entry, automatic=True)
            t += rng.uniform(10, 60)
            if rng.random() < 0.55:  # answered by the assistant alone
                add("feedback", "citizen", helpful=True)
                t += rng.uniform(5, 30)
                add("message", "assistant", body="Con gusto.", automatic=True)
                add("closed", "citizen")
                self.finish(cid, start, evs, None, None, topic, "chat")
                return
            add("feedback", "citizen", helpful=False)
            self.unanswered.append(
                {
                    "conversation_id": cid,
                    "text": sentence(rng)[:200],
                    "reason": "not_helpful",
                    "best_entry_id": entry if rng.random() < 0.8 else None,
                    "confidence": round(rng.random() / 2, 3),
                    "created_at": start + timedelta(seconds=t),
                }
            )
            t += 1
            add("handover", "assistant", reason="not_helpful")
        queued_at = t
        if offline:
            # taken the next working morning
            nxt = d + timedelta(days=1)
            while nxt.weekday() >= 5:
                nxt += timedelta(days=1)
            wait = (local(nxt, 7, rng.uniform(0, 120)) - start).total_seconds() - t
        else:
            busy = max(0.2, load / (on_duty * 3.0))
            wait = rng.expovariate(1 / (25 * busy * busy))
            if rng.random() < min(0.5, wait / 900):  # gave up waiting
                t += min(wait, rng.uniform(60, 600))
                add("closed", "citizen")
                self.finish(cid, start, evs, queued_at, None, topic, "chat")
                return
        t += wait
        agent = rng.choice(self.agents)
        add("joined", "agent", agent)
        t += rng.uniform(5, 60)
        for _ in range(rng.randint(5, 19)):
            add("message", "agent", agent, sentence(rng))
            t += rng.uniform(20, 180)
            add("message", "citizen", None, sentence(rng))
            t += rng.uniform(10, 90)
        if rng.random() < 0.05:
            other = rng.choice([a for a in self.agents if a != agent])
            add("transferred", "agent", agent)
            agent = other
            t += rng.uniform(20, 60)
            add("message", "agent", agent, sentence(rng))
            t += 30
        add("closed", "agent", agent)
        channel = "offline" if offline else "chat"
        if rng.random() < 0.03:  # the citizen writes back by email the next days
            t += rng.uniform(3600, 3 * 86400)
            add("reopened", "citizen")
            add("message", "citizen", None, sentence(rng), via="email")
            t += rng.uniform(600, 20000)
            add("joined", "agent", agent)
            t += rng.uniform(30, 300)
            add("message", "agent", agent, sentence(rng))
            t += 60
            add("closed", "agent", agent)
        self.finish(cid, start, evs, queued_at, agent, topic, channel)
        if rng.random() < 0.4:
            score = rng.choices([1, 2, 3, 4, 5], [4, 6, 15, 35, 40])[0]
            self.ratings.append(
                {
                    "conversation_id": cid,
                    "score": score,
                    "resolved": rng.random() < (0.9 if score >= 4 else 0.4),
                    "comment": None,
                    "channel": "chat" if rng.random() < 0.8 else "email",
                    "agent_id": agent,
                    "created_at": start + timedelta(seconds=t + 30),
                }
            )

    def finish(
        self,
        cid: str,
        start: datetime,
        evs: list[tuple[float, str, str, int | None, str, dict[str, Any]]],
        queued: float | None,
        agent: int | None,
        topic: str | None,
        channel: str,
    ) -> None:
        rng = self.rng
        closed = start + timedelta(seconds=evs[-1][0])
        email = f"ciudadano{rng.randint(1, 38000)}@example.com"
        row = {
            "id": cid,
            "token_digest": cid.ljust(64, "0"),
            "status": "closed",
            "channel": channel,
            "citizen_name": "Ciudadano",
            "citizen_email": email,
            "request_type": rng.choice(TYPES),
            "page_url": "",
            "lang": "es",
            "consent_version": "1",
            "consent_at": start,
            "agent_id": agent,
            "created_at": start,
            "queued_at": start + timedelta(seconds=queued) if queued is not None else None,
            "taken_at": None,
            "closed_at": closed,
            "closed_by": evs[-1][2],
            "topic": topic,
            "last_seq": len(evs),
            "citizen_seen_seq": len(evs),
            "agent_seen_seq": len(evs),
            "last_message": "",
            "transcript_opt_out": False,
            "last_agent_seq": 0,
            "last_agent_at": None,
            "notified_seq": len(evs),
        }
        self.convs.append(row)
        infos = []
        for seq, (at, kind, role, who, body, data) in enumerate(evs, 1):
            created = start + timedelta(seconds=at)
            self.events.append(
                {
                    "conversation_id": cid,
                    "seq": seq,
                    "kind": kind,
                    "internal": False,
                    "author_role": role,
                    "author_id": who,
                    "author_name": role,
                    "body": body,
                    "client_id": None,
                    "data": data,
                    "created_at": created,
                }
            )
            infos.append(EventInfo(seq, kind, role, who, created, False, data))
        info = ConvInfo(
            cid, start, row["queued_at"], closed, channel, agent, row["request_type"], topic, email
        )
        categories = {f"kb{i:02d}": CATEGORIES[i % len(CATEGORIES)] for i in range(1, 31)}
        facts = compute(info, infos, TZ, self.targets, categories)
        self.facts.append(facts.as_row())
        delta = daily_delta(facts, 1)
        key = tuple(delta[k] for k in DAILY_KEYS)
        into = self.daily.setdefault(key, defaultdict(float))
        for k in DAILY_SUMS:
            into[k] += delta[k]

    def take(self) -> tuple[list[Any], ...]:
        out = (self.convs, self.events, self.ratings, self.unanswered, self.facts)
        self.convs, self.events, self.ratings, self.unanswered, self.facts = [], [], [], [], []
        return out


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


async def write(db: Database, table: Any, rows: list[dict[str, Any]], batch: int = 5000) -> None:
    for i in range(0, len(rows), batch):
        async with db.engine.begin() as conn:
            await conn.execute(insert(table), rows[i : i + batch])


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
                    "id": f"kb{i:02d}",
                    "question": f"Pregunta frecuente {i}",
                    "alternatives": [],
                    "answer": "Respuesta aprobada.",
                    "category": CATEGORIES[i % len(CATEGORIES)],
                    "active": True,
                    "version": 1,
                    "updated_at": local(FIRST_DAY, 7, 0),
                    "updated_by_name": "",
                }
                for i in range(1, 31)
            ],
        )
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT setval('users_id_seq', 1000)"))
    gen = Gen(rng, args.per_day, list(range(1, AGENTS + 1)))
    totals = defaultdict(int)
    presence = []
    for i in range(DAYS):
        d = FIRST_DAY + timedelta(days=i)
        gen.day(d)
        if d.weekday() < 5:
            for a in range(1, AGENTS + 1):
                presence.append(
                    {
                        "user_id": a,
                        "state": "available",
                        "started_at": local(d, 7, rng.uniform(0, 10)),
                        "ended_at": local(d, 12, 0),
                    }
                )
                presence.append(
                    {
                        "user_id": a,
                        "state": "available",
                        "started_at": local(d, 13, 0),
                        "ended_at": local(d, 16, 30),
                    }
                )
        if i % 30 == 29 or i == DAYS - 1:
            convs, events, ratings, unanswered, facts = gen.take()
            await write(db, Conversation, convs)
            await write(db, Event, events)
            await write(db, Rating, ratings)
            await write(db, UnansweredQuestion, unanswered)
            await write(db, ConversationFacts, facts)
            for name, rows in (("conversations", convs), ("events", events), ("ratings", ratings)):
                totals[name] += len(rows)
            totals["messages"] += sum(1 for e in events if e["kind"] == "message")
            print(
                f"  {d}: {totals['conversations']:,} conversations, "
                f"{totals['messages']:,} messages",
                file=sys.stderr,
            )
    daily = [{**dict(zip(DAILY_KEYS, k, strict=True)), **v} for k, v in gen.daily.items()]
    await write(db, DailyFigures, daily)
    await write(db, PresenceInterval, presence)
    async with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("ANALYZE"))
        else:
            await conn.execute(text("ANALYZE"))
    await db.dispose()
    print(
        f"{totals['conversations']:,} conversations, {totals['messages']:,} messages, "
        f"{totals['events']:,} events, {totals['ratings']:,} ratings, {len(daily):,} daily rows "
        f"in {time.perf_counter() - began:.0f} s"
    )


if __name__ == "__main__":
    asyncio.run(main())
