"""Example ratings for the demo: a few attended, closed and rated conversations.

They go through the real services (start, take, message, close, rate), so the history, the
ratings pages and the reports see them exactly as they would see citizens' ratings.
"""

from __future__ import annotations

from ventanilla.agents import repository as users
from ventanilla.conversations import service as conversations
from ventanilla.conversations.schemas import StartIn
from ventanilla.core.db import UnitOfWork
from ventanilla.entity.schemas import EntitySettings
from ventanilla.satisfaction import repository, service
from ventanilla.satisfaction.schemas import RatingIn
from ventanilla.settings import LimitsSettings

# (citizen, request type, agent's reply, score, resolved, comment)
EXAMPLES = [
    (
        "Marta Ruiz (ejemplo)",
        "consulta",
        "El programa se repite el sábado a las 8:00 p. m.",
        5,
        True,
        "Me respondieron rápido y con claridad.",
    ),
    (
        "Jorge Pinto (ejemplo)",
        "peticion",
        "Ya radicamos su petición; le llegará la respuesta.",
        4,
        True,
        None,
    ),
    (
        "Luisa Cano (ejemplo)",
        "queja",
        "Lamentamos la falla de la señal; la reportamos.",
        2,
        False,
        "La señal sigue fallando en mi barrio.",
    ),
    (
        "Pedro Gil (ejemplo)",
        "consulta",
        "Puede ver la programación en el sitio web.",
        5,
        True,
        None,
    ),
    (
        "Ana Vélez (ejemplo)",
        "sugerencia",
        "Gracias por su sugerencia; la compartimos.",
        3,
        False,
        "Esperaba una respuesta más concreta.",
    ),
]


async def seed_ratings(uow: UnitOfWork, agent_email: str, entity: EntitySettings) -> int:
    """Add the example conversations and ratings unless some rating exists; returns how many."""
    if await repository.counts(uow.session, None, None):
        return 0
    agent = await users.by_email(uow.session, agent_email)
    if agent is None:
        return 0
    for i, (name, request_type, reply, score, resolved, comment) in enumerate(EXAMPLES):
        conv, _ = await conversations.start(
            uow,
            StartIn(
                name=name,
                email=f"ciudadano{i + 1}@ejemplo.com",
                request_type=request_type,
                privacy_accepted=True,
                privacy_version=entity.privacy_notice_version,
            ),
            entity,
            LimitsSettings(),
        )
        await conversations.take(uow, conv.id, agent)
        await conversations.post_message(
            uow,
            conv.id,
            author=("agent", agent.id, agent.display_name),
            client_id=f"demo-{i}",
            body=reply,
            internal=False,
            max_chars=4000,
        )
        await conversations.close(uow, conv.id, by=("agent", agent.id, agent.display_name))
        await service.submit(
            uow, conv.id, RatingIn(score=score, resolved=resolved, comment=comment), "chat"
        )
    return len(EXAMPLES)
