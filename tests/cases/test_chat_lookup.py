""" "¿Cómo va mi solicitud …?" in the chat: the email is asked, the status told by the API's rule,
nothing about other citizens leaks, lookups are limited, and the attending agent sees it all."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cases.helpers import filed_over_http
from tests.clients import Citizen
from tests.conftest import LiveServer
from ventanilla.cases.chat_lookup import LOOKUPS_PER_HOUR, candidate, find_email, find_number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("¿Cómo va mi solicitud CC-2026-000123?", "CC-2026-000123"),
        ("como va mi solicitud cc-2026-000123", "CC-2026-000123"),
        ("hola, quisiera saber del radicado PQRSD-2026-123 gracias", "PQRSD-2026-000123"),
        ("CÓMO VA LA SOLICITUD Pqrsd - 2026 - 000045, por favor", "PQRSD-2026-000045"),
        ("el programa del 27-11 estuvo bien", None),
        ("mi cédula es 1020-3040", None),
        ("radicado CC\uff0d2026\uff0d77 (guion de ancho completo)", "CC-2026-000077"),
        ("mi número es el veintisiete de noviembre, sin guiones 2026", None),
    ],
)
def test_numbers_in_sentences(text: str, number: str | None) -> None:
    assert find_number(text) == number
    assert candidate(text) is (number is not None)


def test_emails_in_sentences() -> None:
    assert find_email("es marta.gomez@example.com.") == "marta.gomez@example.com"
    assert find_email("Lo radiqué con MARTA@Example.com") == "MARTA@Example.com"
    assert find_email("sin correo") is None
    assert candidate("mi correo es marta@example.com")


def _bot(text: str) -> Any:
    return lambda f: (
        f.get("type") == "event"
        and f.get("kind") == "message"
        and (f.get("author") or {}).get("role") == "assistant"
        and text in (f.get("body") or "")
    )


async def test_status_lookup_in_the_chat(server: LiveServer) -> None:
    agent, marta, number = await filed_over_http(server)  # a person attends Marta's chat
    await marta.say(f"buenas, ¿como va mi solicitud {number.lower()}?")
    asked = await marta.socket.expect(_bot("escriba el correo"))  # type: ignore[union-attr]
    assert number in asked["body"]
    await marta.say("es MARTA@example.com")
    told = await marta.socket.expect(_bot(number))  # type: ignore[union-attr]
    assert "En trámite" in told["body"] and "Fecha límite de respuesta" in told["body"]
    seen = (await agent.http.get(f"/api/agent/conversations/{marta.conversation_id}")).json()
    bodies = [e.get("body") or "" for e in seen["events"]]
    assert any("escriba el correo" in b for b in bodies) and told["body"] in bodies

    # Another citizen, in another conversation, knows the number but not the email.
    other = Citizen(server.url)
    await other.start(name="Pedro", email="pedro@example.com")
    await other.connect()
    await other.say(f"Cómo va la solicitud {number}")
    await other.socket.expect(_bot("escriba el correo"))  # type: ignore[union-attr]
    await other.say("pedro@example.com")
    wrong = await other.socket.expect(_bot("No encontramos"))  # type: ignore[union-attr]
    await other.say("¿y la solicitud PQRSD-2026-999999?")
    await other.socket.expect(_bot("PQRSD-2026-999999"))  # type: ignore[union-attr]
    await other.say("marta@example.com")
    unknown = await other.socket.expect(_bot("No encontramos"))  # type: ignore[union-attr]
    assert wrong["body"] == unknown["body"]  # the same answer: nothing leaks
    assert number not in wrong["body"] and "Marta" not in wrong["body"]

    # An email address nobody asked for is just a message.
    await other.say("mi otro correo es pedro2@example.com")
    await other.socket.nothing(_bot(""), wait=1.0)  # type: ignore[union-attr]

    # Limited per conversation: guessing in bulk gets nowhere.
    for i in range(LOOKUPS_PER_HOUR - 2):
        await other.say(f"solicitud PQRSD-2026-{i + 500:06d} con pedro@example.com")
        await other.socket.expect(_bot("No encontramos"))  # type: ignore[union-attr]
    await other.say(f"solicitud {number} con marta@example.com")
    limited = await other.socket.expect(_bot("muchas consultas"))  # type: ignore[union-attr]
    assert number not in limited["body"]
    await other.close()
    await marta.close()
    await agent.close()


async def test_status_lookup_while_the_assistant_attends(server: LiveServer) -> None:
    from tests.cases.helpers import file_directly
    from tests.clients import seed_demo
    from ventanilla.core.db import Database

    await seed_demo(server.settings.database_url, server.url, knowledge_base=True)
    db = Database(server.settings.database_url)  # the server's own runs on its loop
    try:
        _, [case] = await file_directly(db, server.settings)
    finally:
        await db.dispose()
    citizen = Citizen(server.url)
    r = await citizen.start(name="Ciudadano 0", email="c0@example.com")
    assert r.json()["status"] == "assistant"
    await citizen.connect()
    await citizen.say(f"Hola, ¿cómo va mi solicitud {case.number}? Mi correo es c0@example.com")
    told = await citizen.socket.expect(_bot(case.number), 60)  # type: ignore[union-attr]
    assert "En trámite" in told["body"]
    # The assistant did not also answer (or hand over) that message.
    await citizen.socket.nothing(  # type: ignore[union-attr]
        lambda f: f.get("type") == "event" and f.get("kind") in ("handover", "choices"), 1.0
    )
    await citizen.close()
