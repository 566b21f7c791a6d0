"""Past activity written straight as rows: the demo's last weeks, and the reports benchmark's year.

A day's conversations follow office hours (peaks mid-morning and after lunch, a few in the
evening left offline, few at weekends); part start with the assistant (a bit over half answered
by it alone); waits grow when an hour is busy; some citizens leave while waiting; transfers,
reopenings by email, ratings, unanswered questions and agents' presence are all there. Facts and
daily sums are worked out by the same code that runs when a conversation closes
(``reports.facts.compute`` and ``repository.daily_delta``), so the reports read these rows exactly
as they read live ones. Rows are inserted in bulk: a month for the demo takes about a second.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from ventanilla.assistant.models import UnansweredQuestion
from ventanilla.conversations.models import Conversation, Event
from ventanilla.core.db import Database
from ventanilla.reports.facts import ConvInfo, EventInfo, compute
from ventanilla.reports.models import ConversationFacts, DailyFigures, PresenceInterval
from ventanilla.reports.repository import DAILY_KEYS, DAILY_SUMS, daily_delta
from ventanilla.reports.schemas import Targets
from ventanilla.satisfaction.models import Rating

TYPES = ["consulta"] * 6 + ["peticion"] * 3 + ["queja", "reclamo", "sugerencia", "felicitacion"]
# Share of a weekday's conversations that start in each local hour.
HOURS = {6: 1, 7: 5, 8: 9, 9: 12, 10: 13, 11: 11, 12: 6, 13: 7, 14: 10}
HOURS |= {15: 9, 16: 6, 17: 3, 18: 2, 19: 2, 20: 1, 21: 1}


@dataclass(frozen=True)
class Texts:
    """What people say in the generated conversations. Each callable gets the generator's rng;
    ``question`` and ``answer`` also get the knowledge-base entry the conversation is about."""

    question: Callable[[random.Random, str], str]  # the citizen's first message
    answer: Callable[[random.Random, str], str]  # the assistant's automatic answer
    agent: Callable[[random.Random, int, int], str]  # the agent's i-th message of n
    citizen: Callable[[random.Random], str]
    name: Callable[[random.Random], str]
    comment: Callable[[random.Random, int], str | None]  # a rating's comment, by score


Step = tuple[float, str, str, int | None, str, dict[str, Any]]  # at, kind, role, who, body, data


class HistoryGenerator:
    """Rows of closed conversations, day by day; ``take`` hands over what was made so far."""

    def __init__(
        self,
        rng: random.Random,
        *,
        per_day: float,
        agents: dict[int, str],
        entries: dict[str, str],
        texts: Texts,
        tz: ZoneInfo,
        consent_version: str,
        assistant_share: float = 0.45,
        exchanges: tuple[int, int] = (2, 8),
        on_duty: tuple[int, int] = (3, 2),
        until: datetime | None = None,
    ) -> None:
        self.rng = rng
        self.per_day = per_day
        self.agents = agents  # id → display name
        self.entries = entries  # knowledge-base id → category
        self.texts = texts
        self.tz = tz
        self.consent_version = consent_version
        self.assistant_share = assistant_share
        self.exchanges = exchanges  # agent–citizen message pairs per conversation (range)
        self.on_duty = on_duty  # agents attending in the busiest weekday hours, and in the others
        self.until = until  # conversations that would close at or after this are left out
        self.targets = Targets()
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.daily: dict[tuple[Any, ...], dict[str, float]] = {}

    def local(self, day: date, hour: int, minute: float) -> datetime:
        start = datetime(day.year, day.month, day.day, hour, tzinfo=self.tz)
        return start.astimezone(UTC) + timedelta(minutes=minute)

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
            busy, normal = self.on_duty
            staffed = weekday < 5 and 7 <= hour < 17
            on_duty = 0 if not staffed else busy if hour in (9, 10, 14) else normal
            for _ in range(count):
                self.conversation(d, hour, rng.uniform(0, 60), on_duty, count)
        if weekday < 5:
            for agent in self.agents:
                for begin, end in (((7, rng.uniform(0, 10)), (12, 0.0)), ((13, 0.0), (16, 30.0))):
                    self.rows["presence"].append(
                        {
                            "user_id": agent,
                            "state": "available",
                            "started_at": self.local(d, *begin),
                            "ended_at": self.local(d, *end),
                        }
                    )

    def conversation(self, d: date, hour: int, minute: float, on_duty: int, load: int) -> None:
        rng, texts = self.rng, self.texts
        start = self.local(d, hour, minute)
        steps: list[Step] = []
        t = 0.0

        def add(kind: str, role: str, who: int | None = None, body: str = "", **data: Any) -> None:
            steps.append((t, kind, role, who, body, data))

        offline = on_duty == 0
        entry = rng.choice(sorted(self.entries))
        topic = self.entries[entry] if rng.random() < 0.7 else None
        first = texts.question(rng, entry)
        add("message", "citizen", body=first)
        if not offline and rng.random() < self.assistant_share:
            t += rng.uniform(1, 3)
            answer = texts.answer(rng, entry)
            add("message", "assistant", body=answer, entry_id=entry, automatic=True)
            answer_seq = len(steps)
            t += rng.uniform(10, 60)
            if rng.random() < 0.55:  # answered by the assistant alone
                add("feedback", "citizen", seq=answer_seq, helpful=True, entry_id=entry)
                t += rng.uniform(5, 30)
                add("closed", "citizen", by="citizen")
                self.finish(start, steps, None, None, topic, "chat", first)
                return
            add("feedback", "citizen", seq=answer_seq, helpful=False, entry_id=entry)
            self.rows["unanswered"].append(
                {
                    "conversation_id": None,  # set in finish
                    "text": first[:200],
                    "reason": "not_helpful",
                    "best_entry_id": entry,
                    "confidence": round(0.5 + rng.random() / 3, 3),
                    "created_at": start + timedelta(seconds=t),
                }
            )
            t += 1
            add("handover", "assistant", reason="not_helpful")
        queued_at = t
        if offline:  # taken the next working morning
            nxt = d + timedelta(days=1)
            while nxt.weekday() >= 5:
                nxt += timedelta(days=1)
            wait = (self.local(nxt, 7, rng.uniform(0, 120)) - start).total_seconds() - t
        else:
            busy = max(0.2, load / (on_duty * 3.0))
            wait = rng.expovariate(1 / (25 * busy * busy))
            if rng.random() < min(0.5, wait / 900):  # gave up waiting
                t += min(wait, rng.uniform(60, 600))
                add("closed", "citizen", by="citizen")
                self.finish(start, steps, queued_at, None, topic, "chat", first)
                return
        t += wait
        agent = rng.choice(sorted(self.agents))
        add("joined", "agent", agent, agent_name=self.agents[agent])
        taken = t
        t += rng.uniform(5, 60)
        exchanges = rng.randint(*self.exchanges)
        for i in range(exchanges):
            add("message", "agent", agent, texts.agent(rng, i, exchanges))
            t += rng.uniform(20, 180)
            add("message", "citizen", None, texts.citizen(rng))
            t += rng.uniform(10, 90)
        if rng.random() < 0.05 and len(self.agents) > 1:
            other = rng.choice([a for a in sorted(self.agents) if a != agent])
            names = {"from_name": self.agents[agent], "to_name": self.agents[other]}
            add("transferred", "agent", agent, **names)
            agent = other
            t += rng.uniform(20, 60)
            add("message", "agent", agent, texts.agent(rng, 0, 1))
            t += 30
        add("closed", "agent", agent, by="agent")
        if rng.random() < 0.03:  # the citizen writes back by email the next days
            t += rng.uniform(3600, 3 * 86400)
            add("reopened", "citizen")
            add("message", "citizen", None, texts.citizen(rng), via="email")
            t += rng.uniform(600, 20000)
            add("joined", "agent", agent, agent_name=self.agents[agent])
            t += rng.uniform(30, 300)
            add("message", "agent", agent, texts.agent(rng, 0, 1))
            t += 60
            add("closed", "agent", agent, by="agent")
        channel = "offline" if offline else "chat"
        cid = self.finish(start, steps, queued_at, agent, topic, channel, first, taken)
        if cid and rng.random() < 0.4:
            score = rng.choices([1, 2, 3, 4, 5], [4, 6, 15, 35, 40])[0]
            self.rows["ratings"].append(
                {
                    "conversation_id": cid,
                    "score": score,
                    "resolved": rng.random() < (0.9 if score >= 4 else 0.4),
                    "comment": texts.comment(rng, score),
                    "channel": "chat" if rng.random() < 0.8 else "email",
                    "agent_id": agent,
                    "created_at": start + timedelta(seconds=t + 30),
                }
            )

    def finish(
        self,
        start: datetime,
        steps: list[Step],
        queued: float | None,
        agent: int | None,
        topic: str | None,
        channel: str,
        first: str,
        taken: float | None = None,
    ) -> str | None:
        rng = self.rng
        cid = uuid.UUID(int=rng.getrandbits(128)).hex
        closed = start + timedelta(seconds=steps[-1][0])
        unanswered = self.rows["unanswered"]
        if self.until is not None and closed >= self.until:
            self.rows["unanswered"] = [r for r in unanswered if r["conversation_id"] is not None]
            return None
        for row in unanswered:
            if row["conversation_id"] is None:
                row["conversation_id"] = cid
        name = self.texts.name(rng)
        email = f"{name.split()[0].lower()}{rng.randint(1, 38000)}@ejemplo.com"
        last = [s for s in steps if s[1] == "message"][-1][4]
        row = {
            "id": cid,
            "token_digest": uuid.UUID(int=rng.getrandbits(128)).hex * 2,
            "status": "closed",
            "channel": channel,
            "citizen_name": name,
            "citizen_email": email,
            "request_type": rng.choice(TYPES),
            "page_url": "",
            "lang": "es",
            "consent_version": self.consent_version,
            "consent_at": start,
            "agent_id": agent,
            "created_at": start,
            "queued_at": start + timedelta(seconds=queued) if queued is not None else None,
            "taken_at": start + timedelta(seconds=taken) if taken is not None else None,
            "closed_at": closed,
            "closed_by": steps[-1][2],
            "topic": topic,
            "last_seq": len(steps),
            "citizen_seen_seq": len(steps),
            "agent_seen_seq": len(steps),
            "last_message": last[:200],
            "transcript_opt_out": False,
            "last_agent_seq": 0,
            "last_agent_at": None,
            "notified_seq": len(steps),
        }
        self.rows["conversations"].append(row)
        infos = []
        for seq, (at, kind, role, who, body, data) in enumerate(steps, 1):
            created = start + timedelta(seconds=at)
            author = self.agents.get(who or 0, "") if role == "agent" else role
            author = name if role == "citizen" else author or "Asistente virtual"
            self.rows["events"].append(
                {
                    "conversation_id": cid,
                    "seq": seq,
                    "kind": kind,
                    "internal": False,
                    "author_role": role,
                    "author_id": who,
                    "author_name": author,
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
        facts = compute(info, infos, self.tz, self.targets, self.entries)
        self.rows["facts"].append(facts.as_row())
        delta = daily_delta(facts, 1)
        into = self.daily.setdefault(tuple(delta[k] for k in DAILY_KEYS), defaultdict(float))
        for k in DAILY_SUMS:
            into[k] += delta[k]
        return cid

    def take(self) -> dict[str, list[dict[str, Any]]]:
        """The rows made since the last call (the daily sums stay until ``daily_rows``)."""
        out, self.rows = dict(self.rows), defaultdict(list)
        return out

    def daily_rows(self) -> list[dict[str, Any]]:
        return [{**dict(zip(DAILY_KEYS, k, strict=True)), **v} for k, v in self.daily.items()]


TABLES: dict[str, Any] = {
    "conversations": Conversation,
    "events": Event,
    "ratings": Rating,
    "unanswered": UnansweredQuestion,
    "facts": ConversationFacts,
    "presence": PresenceInterval,
}


async def write(db: Database, rows: dict[str, list[dict[str, Any]]], batch: int = 5000) -> None:
    """Insert what ``take`` returned, parents first."""
    for name, table in TABLES.items():
        chunk = rows.get(name, [])
        for i in range(0, len(chunk), batch):
            async with db.engine.begin() as conn:
                await conn.execute(insert(table), chunk[i : i + batch])


async def write_daily(db: Database, gen: HistoryGenerator) -> None:
    daily = gen.daily_rows()
    if daily:
        async with db.engine.begin() as conn:
            await conn.execute(insert(DailyFigures), daily)
