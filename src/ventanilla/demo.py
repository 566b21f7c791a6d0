"""Demo data: the entity 'Canal Capital (demo)', staff accounts and canned responses.

Idempotent: running the demo twice keeps what is there. Marked as example data.
"""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

from ventanilla.agents import repository as users
from ventanilla.agents import service as agents
from ventanilla.canned import repository as canned_repo
from ventanilla.canned import service as canned
from ventanilla.canned.schemas import CannedIn
from ventanilla.core.db import Database, UnitOfWork
from ventanilla.demo_history import seed_history
from ventanilla.entity import repository as entity_repo
from ventanilla.entity.service import EntityService
from ventanilla.kb import repository as kb_repo
from ventanilla.kb import service as kb
from ventanilla.satisfaction.demo import seed_ratings

DEMO_KB = Path(__file__).parent / "kb" / "data" / "canal_capital.yaml"
DEMO_CASES = DEMO_KB.with_name("canal_capital_cases.csv")

DEMO_AGENT = {"email": "agente@demo.ventanilla.co", "password": "demo-agente-2026"}
DEMO_ADMIN = {"email": "admin@demo.ventanilla.co", "password": "demo-admin-2026"}

DEMO_NOTICE = (
    "Capital Sistema de Comunicación Pública - Canal Capital (NIT 830.012.587-4), como "
    "responsable, tratará su nombre y correo electrónico para atender su solicitud por este chat, "
    "enviarle las respuestas por correo si sale de la conversación y medir la calidad del "
    "servicio, conforme a la Ley 1581 de 2012 y el Decreto 1377 de 2013. Usted puede conocer, "
    "actualizar, rectificar y suprimir sus datos, pedir prueba de esta autorización y revocarla "
    "escribiendo a ccapital@canalcapital.gov.co. (Texto de ejemplo para la demostración.)"
)

CANNED = [
    (
        "saludo",
        "Saludo",
        "Buenos días, {nombre}. Le saluda el equipo de atención a la ciudadanía "
        "de Canal Capital. ¿En qué le podemos ayudar?",
        "Protocolo",
    ),
    (
        "detalles",
        "Pedir detalles",
        "Para ayudarle mejor, ¿podría contarnos con más detalle su "
        "solicitud? Si se trata de un programa, indíquenos el nombre, la fecha y la hora "
        "de emisión.",
        "Protocolo",
    ),
    (
        "espera",
        "Pedir un momento",
        "Gracias por su paciencia, {nombre}. Estoy consultando su caso y "
        "le respondo en un momento.",
        "Protocolo",
    ),
    (
        "pqrsd",
        "Cómo radicar una PQRSD",
        "Puede presentar su petición, queja, reclamo, sugerencia o "
        "denuncia por este chat; le daremos un número de radicado y la respuesta llegará a su "
        "correo "
        "dentro de los términos de la Ley 1755 de 2015.",
        "Trámites",
    ),
    (
        "cierre",
        "Despedida",
        "Gracias por comunicarse con Canal Capital, {nombre}. Si necesita algo más, "
        "aquí estaremos. Que tenga un buen día.",
        "Protocolo",
    ),
]


async def seed(
    db: Database, base_url: str, *, knowledge_base: bool = True, examples: bool = False
) -> None:
    """Entity, accounts and canned responses; and (``knowledge_base``) the demo knowledge base
    with its calibration, so the assistant answers frequent questions; and (``examples``) a few
    rated example conversations today and the last 30 days of activity (``demo_history``)."""
    async with db.unit() as uow:
        if await entity_repo.load(uow.session) is None:
            await EntityService().update(
                uow,
                {
                    "name": "Canal Capital (demo)",
                    "privacy_policy_url": "https://www.canalcapital.gov.co/transparencia",
                    "contact_email": "ccapital@canalcapital.gov.co",
                    "primary_color": "#b3163b",
                    "text_on_primary": "#ffffff",
                    "title": "Atención a la ciudadanía",
                    "welcome": "Hola, bienvenido al chat de Canal Capital. Cuéntenos su consulta, "
                    "petición, queja, reclamo, sugerencia, felicitación o denuncia.",
                    "launcher": "¿Le ayudamos?",
                    "privacy_notice_text": DEMO_NOTICE,
                    "privacy_notice_version": "demo-2026-11",
                    "allowed_origins": [base_url],
                },
                None,
            )
        for account, name, role in (
            (DEMO_AGENT, "Laura Gómez (demo)", "agent"),
            (DEMO_ADMIN, "Andrés Rodríguez (demo)", "admin"),
        ):
            if await users.by_email(uow.session, account["email"]) is None:
                await agents.create_user(
                    uow,
                    email=account["email"],
                    name=name,
                    password=account["password"],
                    role=role,
                    display_name=name.split()[0],
                )
        if not await canned_repo.all_(uow.session):
            for shortcut, title, body, category in CANNED:
                await canned.create(
                    uow,
                    CannedIn(shortcut=shortcut, title=title, body=body, category=category),
                    None,
                )
        if knowledge_base and not await kb_repo.all_(uow.session):
            await load_demo_kb(uow)
    if examples:
        async with db.unit() as uow:
            entity = await EntityService().get(uow)
            await seed_ratings(uow, DEMO_AGENT["email"], entity)
        await seed_history(
            db,
            knowledge_base=str(DEMO_KB),
            agent_email=DEMO_AGENT["email"],
            consent_version=entity.privacy_notice_version,
            tz=ZoneInfo(entity.office_hours.timezone),
        )


async def load_demo_kb(uow: UnitOfWork) -> None:
    from ventanilla.kb.cli import calibration_path
    from ventanilla.kb.files import read_file

    path = calibration_path(DEMO_KB)
    calibration = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    await kb.import_items(uow, read_file(DEMO_KB), actor=(None, "demo"), calibration=calibration)
