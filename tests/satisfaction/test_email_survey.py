"""The survey in the transcript email: a link per score, a page that only records on POST."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.conftest import LiveServer
from tests.satisfaction.helpers import attended, count_ratings, ratings_in_db, setup, staff
from ventanilla.conversations import service
from ventanilla.core.db import Database
from ventanilla.notifications.links import sign_link
from ventanilla.notifications.models import OutboxEmail


async def _transcripts(server: LiveServer, conversation_id: str) -> list[OutboxEmail]:
    db = Database(server.settings.database_url)
    try:
        async with db.unit() as uow:
            rows = await uow.session.scalars(
                select(OutboxEmail)
                .where(
                    OutboxEmail.conversation_id == conversation_id,
                    OutboxEmail.kind == "transcript",
                )
                .order_by(OutboxEmail.id)
            )
            return list(rows)
    finally:
        await db.dispose()


def _links(text: str) -> dict[int, str]:
    found = re.findall(r"^(\d) - [^:]+: \S+(/encuesta/\S+)$", text, flags=re.M)
    return {int(score): path for score, path in found}


async def test_one_click_opens_the_survey_and_only_the_confirmation_records_it(
    server: LiveServer,
) -> None:
    await setup(server)
    ana = await staff(server, "ana@entidad.gov.co")
    citizen = await attended(server, ana)  # closed by the agent while the citizen was away
    [mail] = await _transcripts(server, citizen.conversation_id)
    links = _links(mail.text_body)
    assert sorted(links) == [1, 2, 3, 4, 5]
    assert all(f"puntaje={s}" in path for s, path in links.items())
    assert links[2] in mail.html_body.replace("&amp;", "&")

    # Opening a link (a person, or a mail scanner prefetching it) records nothing.
    page = await citizen.http.get(links[2])
    assert page.status_code == 200
    assert re.search(r'value="2" required checked', page.text)
    assert 'value="4" required checked' not in page.text
    assert await count_ratings(server) == 0

    # Confirming without saying whether it was resolved: a clear error, nothing stored.
    path = links[2].split("?", 1)[0]
    bad = await citizen.http.post(path, data={"puntaje": "2", "comentario": "Tardaron"})
    assert bad.status_code == 422 and "Indique si se resolvió" in bad.text
    assert 'value="2" required checked' in bad.text and "Tardaron" in bad.text
    assert await count_ratings(server) == 0

    ok = await citizen.http.post(
        path, data={"puntaje": "2", "resuelto": "no", "comentario": "Tardaron mucho"}
    )
    assert ok.status_code == 303 and ok.headers["location"].endswith("?gracias=1")
    thanks = await citizen.http.get(ok.headers["location"])
    assert "Recibimos su calificación" in thanks.text
    [stored] = await ratings_in_db(server)
    assert (stored.score, stored.resolved, stored.comment, stored.channel) == (
        2,
        False,
        "Tardaron mucho",
        "email",
    )

    # A second answer (another link of the same email) changes nothing.
    again = await citizen.http.post(path, data={"puntaje": "5", "resuelto": "si"})
    assert again.status_code == 303
    shown = await citizen.http.get(again.headers["location"])
    assert "ya fue calificada" in shown.text and "2 — Mala" in shown.text
    assert (await citizen.http.get(links[5])).status_code == 200
    [still] = await ratings_in_db(server)
    assert still.score == 2

    # The widget sees it as rated too.
    r = await citizen.http.post(
        "/api/widget/rating",
        json={"score": 5, "resolved": True},
        headers={"Authorization": f"Bearer {citizen.token}"},
    )
    assert r.status_code == 409


async def test_survey_links_are_signed_for_that_purpose_only(server: LiveServer) -> None:
    await setup(server)
    ana = await staff(server, "ana@entidad.gov.co")
    citizen = await attended(server, ana)
    [mail] = await _transcripts(server, citizen.conversation_id)
    path = _links(mail.text_body)[3].split("?", 1)[0]
    token = path.rsplit("/", 1)[1]

    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    r = await citizen.http.post(f"/encuesta/{tampered}", data={"puntaje": "5", "resuelto": "si"})
    assert r.status_code == 404 and "no es válido" in r.text
    # A link that opens the conversation is not a survey link, and the other way round.
    link = sign_link(server.settings.secret_key, citizen.conversation_id, 3600)
    r = await citizen.http.post(f"/encuesta/{link}", data={"puntaje": "5", "resuelto": "si"})
    assert r.status_code == 404
    assert (await citizen.http.post("/api/widget/link", json={"link": token})).status_code == 404
    assert await count_ratings(server) == 0


async def test_a_rated_conversation_gets_no_survey_in_its_next_transcript(
    server: LiveServer,
) -> None:
    await setup(server)
    ana = await staff(server, "ana@entidad.gov.co")
    citizen = await attended(server, ana)
    r = await citizen.http.post(
        "/api/widget/rating",
        json={"score": 5, "resolved": True},
        headers={"Authorization": f"Bearer {citizen.token}"},
    )
    assert r.status_code == 201
    # The citizen writes again by email (the conversation reopens), and it is closed again.
    cid = citizen.conversation_id
    db = Database(server.settings.database_url)
    try:
        async with db.unit() as uow:
            await service.reopen_if_closed(uow, cid)
    finally:
        await db.dispose()
    assert (await ana.post(f"/api/agent/conversations/{cid}/take")).status_code == 200
    r = await ana.post(f"/api/agent/conversations/{cid}/close", {"request_type": "consulta"})
    assert r.status_code == 200
    first, second = await _transcripts(server, cid)
    assert _links(first.text_body) and not _links(second.text_body)
    assert "/encuesta/" not in second.html_body
