"""The demo's past weeks: closed conversations, ratings and presence, so that the reports, the
daily quality score and the history have something to show on the first run.

Citizens ask the demo knowledge base's questions (as written, or one of their alternatives),
the assistant answers with the approved answers, agents reply with everyday phrases. Marked as
example data like the rest of the demo; generated once (``reports.history``).
"""

from __future__ import annotations

import random
import secrets
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from ventanilla.agents import repository as users
from ventanilla.agents import service as agents
from ventanilla.conversations.models import Conversation
from ventanilla.core.db import Database
from ventanilla.kb.files import read_file
from ventanilla.reports.history import HistoryGenerator, Texts, write, write_daily

DEMO_STAFF = (
    ("camilo@demo.ventanilla.co", "Camilo Torres (demo)"),
    ("diana@demo.ventanilla.co", "Diana Martínez (demo)"),
)
NAMES = (
    "María Fernanda Rojas",
    "Juan Camilo Pérez",
    "Luz Marina Gómez",
    "Andrés Felipe Castro",
    "Paola Andrea Herrera",
    "Jorge Eliécer Ramírez",
    "Diana Carolina López",
    "Carlos Alberto Moreno",
    "Sandra Milena Vargas",
    "Óscar Iván Martínez",
    "Natalia Suárez",
    "Wilson Ríos",
    "Yolanda Cárdenas",
    "Sebastián Ortiz",
    "Gloria Patricia Díaz",
)
AGENT_OPENS = (
    "Buenos días, con gusto le colaboro. ¿Me confirma por favor su consulta?",
    "Hola, le saluda el equipo de atención de Canal Capital. ¿En qué le puedo ayudar?",
)
AGENT_SAYS = (
    "Gracias por la información. Permítame un momento mientras reviso.",
    "Ya lo verifiqué: le envío el enlace con el detalle a su correo.",
    "Entiendo su inquietud. Voy a trasladar su caso al área encargada.",
    "Su solicitud quedó registrada; recibirá la respuesta en su correo.",
    "Le comparto el horario y el enlace de la programación de esta semana.",
    "Para radicarla necesito su nombre completo y un correo de contacto.",
)
AGENT_CLOSES = (
    "¿Hay algo más en lo que le pueda ayudar?",
    "Con gusto. Que tenga un buen día.",
)
CITIZEN_SAYS = (
    "Sí, claro.",
    "Muchas gracias, muy amable.",
    "Listo, ya lo revisé.",
    "¿Y eso cuánto se demora?",
    "Perfecto, quedo atento al correo.",
    "No, eso era todo.",
    "Ok, ¿me puede enviar el enlace?",
    "Gracias por la paciencia.",
)
COMMENTS = {
    1: ("Me dejaron esperando mucho tiempo.", "No resolvieron mi duda."),
    2: ("La respuesta no fue clara.",),
    3: ("Bien, aunque tardaron en contestar.",),
    4: ("Buena atención.", "Me ayudaron rápido."),
    5: ("Excelente atención, muy amables.", "Muy clara la información, gracias."),
}
WEEKDAY_CONVERSATIONS = 25.0


def _texts(questions: dict[str, list[str]], answers: dict[str, str]) -> Texts:
    def comment(rng: random.Random, score: int) -> str | None:
        return rng.choice(COMMENTS[score]) if rng.random() < 0.5 else None

    return Texts(
        question=lambda rng, entry: rng.choice(questions[entry]),
        answer=lambda _rng, entry: answers[entry],
        agent=lambda rng, i, n: rng.choice(
            AGENT_OPENS if i == 0 and n > 1 else AGENT_CLOSES if i == n - 1 else AGENT_SAYS
        ),
        citizen=lambda rng: rng.choice(CITIZEN_SAYS),
        name=lambda rng: rng.choice(NAMES),
        comment=comment,
    )


async def seed_history(
    db: Database,
    *,
    knowledge_base: str,
    agent_email: str,
    consent_version: str,
    tz: ZoneInfo,
    days: int = 30,
    today: date | None = None,
) -> int:
    """Write the ``days`` local days before today, unless some conversation started before
    today already; returns the conversations written."""
    today = today or datetime.now(tz).date()
    first = datetime(today.year, today.month, today.day, tzinfo=tz)
    async with db.unit() as uow:
        older = await uow.session.scalar(
            select(func.count()).select_from(Conversation).where(Conversation.created_at < first)
        )
        if older:
            return 0
        main = await users.by_email(uow.session, agent_email)
        if main is None:
            return 0
        staff = {main.id: main.display_name}
        for email, name in DEMO_STAFF:
            user = await users.by_email(uow.session, email)
            if user is None:
                password = secrets.token_urlsafe(24)  # example staff: nobody logs in as them
                user = await agents.create_user(
                    uow, email=email, name=name, password=password, display_name=name.split()[0]
                )
            staff[user.id] = user.display_name
    items = read_file(knowledge_base)
    gen = HistoryGenerator(
        random.Random(today.toordinal()),  # noqa: S311 (example data, not secrets)
        per_day=WEEKDAY_CONVERSATIONS,
        agents=staff,
        entries={i.id: i.category for i in items},
        texts=_texts(
            {i.id: [i.question, *i.alternatives] for i in items}, {i.id: i.answer for i in items}
        ),
        tz=tz,
        consent_version=consent_version,
        until=first,  # one left offline on the last evening would be taken today: not history
    )
    for back in range(days, 0, -1):
        gen.day(today - timedelta(days=back))
    rows = gen.take()
    await write(db, rows)
    await write_daily(db, gen)
    return len(rows.get("conversations", []))
