"""A small data set whose figures are worked out by hand in the tests (and in docs/metrics.md
terms). Conversations are written with fixed times and closed through the recorder, as the
closing service does.

October 2026, Bogotá (UTC-5). Agents: Ana (a1), Beto (a2). Targets: wait 60 s, first response
90 s.

| id | local start      | what happens                                             |
|----|------------------|----------------------------------------------------------|
| k1 | Mon 5 Oct 23:50  | Ana: wait 40, first resp 100 (late), handling 1760, chat |
| k2 | Tue 6 Oct 09:00  | Ana takes at 70 s (missed), transfers to Beto; 600 s      |
| k3 | Tue 6 Oct 09:10  | assistant alone (entry 'horarios', category Trámites)     |
| k4 | Tue 6 Oct 09:20  | handed over, citizen leaves after 200 s: abandoned        |
| k5 | Wed 7 Oct 10:00  | Beto: wait 10, first resp 20; reopened by email next day  |
| k6 | Wed 7 Oct 18:00  | offline message; Ana answers next day                    |

Ratings: k1 5 (resolved), k2 2 (not), k3 4 (resolved), k5 3 (resolved).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ventanilla.agents import service as agents
from ventanilla.conversations.models import Conversation, Event
from ventanilla.core.db import Database
from ventanilla.entity import repository as entity_repository
from ventanilla.kb.models import KbEntry
from ventanilla.reports import recorder
from ventanilla.satisfaction.models import Rating

PASSWORD = "contrasena-segura"


def local(day: int, hh: int, mm: int) -> datetime:
    return (
        datetime(2026, 10, day, hh + 5, mm, tzinfo=UTC)
        if hh + 5 < 24
        else (datetime(2026, 10, day, hh + 5 - 24, mm, tzinfo=UTC) + timedelta(days=1))
    )


async def users(db: Database) -> dict[str, int]:
    out = {}
    async with db.unit() as uow:
        for key, email, role, name in (
            ("a1", "ana@entidad.gov.co", "agent", "Ana Asesora"),
            ("a2", "beto@entidad.gov.co", "agent", "Beto Asesor"),
            ("sup", "sara@entidad.gov.co", "supervisor", "Sara Supervisora"),
            ("adm", "admin@entidad.gov.co", "admin", "Adela Admin"),
        ):
            u = await agents.create_user(uow, email=email, name=name, password=PASSWORD, role=role)
            out[key] = u.id
        await entity_repository.add_notice(uow.session, "1", "Aviso de privacidad de prueba.")
        uow.session.add(
            KbEntry(id="horarios", question="¿Horario?", answer="De 7 a 4.", category="Trámites")
        )
    return out


async def write(
    db: Database,
    cid: str,
    start: datetime,
    steps: list[tuple[float, str, str, int | None, dict[str, Any]]],
    *,
    queued: float | None,
    agent: int | None,
    channel: str = "chat",
    email: str = "ciudadano@example.com",
    topic: str | None = None,
    request_type: str = "consulta",
) -> None:
    """A closed conversation with the given events (offset seconds, kind, role, author, data)."""
    closed = start + timedelta(seconds=max(s[0] for s in steps))
    async with db.unit() as uow:
        conv = Conversation(
            id=cid,
            token_digest=cid.ljust(64, "0"),
            status="closed",
            channel=channel,
            citizen_name="Ciudadano",
            citizen_email=email,
            request_type=request_type,
            consent_version="1",
            consent_at=start,
            agent_id=agent,
            created_at=start,
            queued_at=start + timedelta(seconds=queued) if queued is not None else None,
            closed_at=closed,
            closed_by="agent",
            topic=topic,
            last_seq=len(steps),
        )
        uow.session.add(conv)
        await uow.session.flush()
        for i, (at, kind, role, who, data) in enumerate(steps, 1):
            uow.session.add(
                Event(
                    conversation_id=cid,
                    seq=i,
                    kind=kind,
                    author_role=role,
                    author_id=who,
                    author_name=role,
                    body="texto" if kind == "message" else "",
                    internal=False,
                    data=data,
                    created_at=start + timedelta(seconds=at),
                )
            )
        await uow.session.flush()
        await recorder.conversation_closed(uow.session, conv)


async def october(db: Database) -> dict[str, int]:
    u = await users(db)
    a1, a2 = u["a1"], u["a2"]
    await write(
        db,
        "k1",
        local(5, 23, 50),
        [
            (30, "message", "citizen", None, {}),
            (40, "joined", "agent", a1, {}),
            (100, "message", "agent", a1, {}),
            (200, "message", "citizen", None, {}),
            (260, "message", "agent", a1, {}),
            (1800, "closed", "agent", a1, {}),
        ],
        queued=0,
        agent=a1,
        email="maria@example.com",
        topic="Impuestos",
    )
    await write(
        db,
        "k2",
        local(6, 9, 0),
        [
            (70, "joined", "agent", a1, {}),
            (80, "message", "agent", a1, {}),
            (300, "transferred", "agent", a1, {}),
            (600, "closed", "agent", a2, {}),
        ],
        queued=0,
        agent=a2,
        email="maria@example.com",
        topic="Impuestos",
        request_type="queja",
    )
    await write(
        db,
        "k3",
        local(6, 9, 10),
        [
            (5, "message", "citizen", None, {}),
            (6, "message", "assistant", None, {"entry_id": "horarios", "automatic": True}),
            (30, "closed", "citizen", None, {}),
        ],
        queued=None,
        agent=None,
        email="pedro@example.com",
    )
    await write(
        db,
        "k4",
        local(6, 9, 20),
        [
            (5, "message", "citizen", None, {}),
            (20, "handover", "assistant", None, {"reason": "requested"}),
            (220, "closed", "citizen", None, {}),
        ],
        queued=20,
        agent=None,
        email="luz@example.com",
        topic="Impuestos",
    )
    day = 86400
    await write(
        db,
        "k5",
        local(7, 10, 0),
        [
            (10, "joined", "agent", a2, {}),
            (20, "message", "agent", a2, {}),
            (100, "closed", "agent", a2, {}),
            (day, "reopened", "citizen", None, {}),
            (day, "message", "citizen", None, {"via": "email"}),
            (day + 3600, "joined", "agent", a2, {}),
            (day + 3700, "message", "agent", a2, {}),
            (day + 4000, "closed", "agent", a2, {}),
        ],
        queued=0,
        agent=a2,
        email="jose@example.com",
        topic="Licencias",
    )
    await write(
        db,
        "k6",
        local(7, 18, 0),
        [
            (1, "message", "citizen", None, {}),
            (15 * 3600, "joined", "agent", a1, {}),
            (15 * 3600 + 60, "message", "agent", a1, {}),
            (15 * 3600 + 300, "closed", "agent", a1, {}),
        ],
        queued=0,
        agent=a1,
        channel="offline",
        email="rosa@example.com",
        topic="Licencias",
    )
    async with db.unit() as uow:
        for cid, score, resolved, agent in (
            ("k1", 5, True, a1),
            ("k2", 2, False, a2),
            ("k3", 4, True, None),
            ("k5", 3, True, a2),
        ):
            uow.session.add(
                Rating(
                    conversation_id=cid,
                    score=score,
                    resolved=resolved,
                    channel="chat",
                    agent_id=agent,
                    created_at=local(8, 12, 0),
                )
            )
    return u
