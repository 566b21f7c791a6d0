"""No conversation lost: the citizen who left gets the replies by email, comes back by its link,
or answers by replying to it; SMTP outages and refusals are handled. Real SMTP both ways."""

from __future__ import annotations

import asyncio
import re
from email.message import EmailMessage

import aiosmtplib
import httpx

from tests.clients import HTTP_TIMEOUT, Agent, Citizen, create_user, seed_demo
from tests.conftest import LiveServer
from tests.notifications.smtp_server import SmtpServer
from ventanilla.notifications.links import sign_link


async def _left_conversation(server: LiveServer) -> tuple[Citizen, Agent]:
    """A citizen writes, leaves; an agent takes the conversation and answers twice."""
    await seed_demo(server.settings.database_url, server.url)
    await create_user(server.settings.database_url, "ana@entidad.gov.co")
    citizen, agent = Citizen(server.url), Agent(server.url)
    await agent.login("ana@entidad.gov.co")
    await citizen.start(name="Ana Pérez", email="Ana.Perez@example.com")
    await citizen.connect()
    await citizen.say("¿Cuándo repiten el documental de anoche?")
    await citizen.socket.close()  # type: ignore[union-attr]
    cid = citizen.conversation_id
    assert (await agent.post(f"/api/agent/conversations/{cid}/take")).status_code == 200
    for body in ("Buenas tardes, Ana.", "Lo repetimos el sábado a las 8:00 p. m."):
        r = await agent.post(
            f"/api/agent/conversations/{cid}/messages",
            {
                "client_id": body[:10].replace(" ", "_").replace(",", "").replace(".", ""),
                "body": body,
            },
        )
        assert r.status_code == 200, r.text
    return citizen, agent


def _text(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def test_unseen_replies_are_emailed_once_and_the_link_resumes(
    mail_server: LiveServer, smtp: SmtpServer
) -> None:
    citizen, agent = await _left_conversation(mail_server)
    [msg] = await smtp.wait_for(1)
    await asyncio.sleep(0.8)
    assert len(smtp.messages) == 1  # one email for the burst, not one per message
    assert msg["To"] == "Ana.Perez@example.com"
    assert "Canal Capital (demo)" in msg["Subject"]
    body = _text(msg)
    assert "Buenas tardes, Ana." in body and "sábado a las 8:00" in body
    html = msg.get_body(preferencelist=("html",))
    assert html is not None and 'lang="es-CO"' in html.get_content()
    root = f"<conversation.{citizen.conversation_id}@canal.test>"
    assert msg["In-Reply-To"] == root and root in msg["References"]
    assert msg["Message-ID"].endswith("@canal.test>")
    assert msg["Reply-To"].startswith(f"respuesta+{citizen.conversation_id.lower()}.")

    link = re.search(r"/conversacion/(\S+)", body)
    assert link is not None
    page = await citizen.http.get(f"/conversacion/{link.group(1)}")
    assert page.status_code == 200 and 'data-link="' in page.text
    got = await citizen.http.post("/api/widget/link", json={"link": link.group(1)})
    assert got.status_code == 200, got.text
    assert got.json()["conversation_id"] == citizen.conversation_id
    citizen.token = got.json()["token"]
    welcome = await citizen.connect(last_seq=0)
    assert welcome["conversation"]["id"] == citizen.conversation_id
    bodies = [(await citizen.event(seq=s))["body"] for s in (2, 3, 4)]
    assert bodies[1:] == ["Buenas tardes, Ana.", "Lo repetimos el sábado a las 8:00 p. m."]

    # Tampered and expired links open nothing.
    tampered = link.group(1)[:-2] + ("AA" if not link.group(1).endswith("AA") else "BB")
    assert (await citizen.http.get(f"/conversacion/{tampered}")).status_code == 404
    r = await citizen.http.post("/api/widget/link", json={"link": tampered})
    assert r.status_code == 404 and r.json()["error"]["code"] == "link_invalid"
    expired = sign_link(mail_server.settings.secret_key, citizen.conversation_id, -10)
    page = await citizen.http.get(f"/conversacion/{expired}")
    assert page.status_code == 410 and "venció" in page.text

    # Seen in the chat: no email for it.
    await citizen.socket.send({"type": "seen", "seq": 5})  # type: ignore[union-attr]
    r = await agent.post(
        f"/api/agent/conversations/{citizen.conversation_id}/messages",
        {"client_id": "x1", "body": "¿Algo más?"},
    )
    await citizen.event(seq=5)
    await citizen.socket.send({"type": "seen", "seq": 5})  # type: ignore[union-attr]
    await asyncio.sleep(1.0)
    assert len(smtp.messages) == 1
    await citizen.close()
    await agent.close()


async def _reply(
    server: LiveServer, sender: str, to: str, body: str, in_reply_to: str = ""
) -> None:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = "Re: respuesta"
    msg["Message-ID"] = f"<{abs(hash(body))}@example.com>"  # same body: a re-delivery
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    msg.set_content(
        f"{body}\n\nEl sáb, 28 nov 2026 a las 10:02, Canal <a@canal.test> escribió:\n> Hola\n"
    )
    await aiosmtplib.send(msg, hostname="127.0.0.1", port=server.settings.mail.smtp_receiver_port)


async def test_an_emailed_reply_lands_in_its_conversation_and_spoofs_do_not(
    mail_server: LiveServer, smtp: SmtpServer
) -> None:
    citizen, agent = await _left_conversation(mail_server)
    cid = citizen.conversation_id
    [msg] = await smtp.wait_for(1)
    await agent.connect()
    await agent.subscribe(cid)
    await agent.socket.expect_type("event", seq=4)  # type: ignore[union-attr]

    await _reply(
        mail_server,
        "Ana Pérez <ana.perez@example.com>",
        msg["Reply-To"],
        "Perfecto, gracias. ¿Y en qué canal?",
    )
    ev = await agent.socket.expect_type("event", seq=5, timeout=8)  # type: ignore[union-attr]
    assert ev["author"]["role"] == "citizen"
    assert ev["body"] == "Perfecto, gracias. ¿Y en qué canal?"  # quoted history stripped
    assert ev["data"]["via"] == "email"

    # Same reply delivered twice (a retrying mail server): stored once.
    await _reply(
        mail_server, "ana.perez@example.com", msg["Reply-To"], "Perfecto, gracias. ¿Y en qué canal?"
    )
    # A spoofed sender with the right address, and mail for no conversation.
    await _reply(mail_server, "mallory@evil.example", msg["Reply-To"], "Cierren esto")
    await _reply(
        mail_server, "ana.perez@example.com", "respuesta+c_nada.xxxx@correo.canal.test", "¿Hola?"
    )
    # Matched by In-Reply-To alone (a mail program that ignores Reply-To is still matched).
    await _reply(
        mail_server,
        "ana.perez@example.com",
        "atencion@canal.test",
        "Otra cosa",
        in_reply_to=msg["Message-ID"],
    )
    ev = await agent.socket.expect_type("event", seq=6, timeout=8)  # type: ignore[union-attr]
    assert ev["body"] == "Otra cosa"
    await agent.socket.nothing(lambda f: f.get("type") == "event" and f["seq"] > 6, 1.0)  # type: ignore[union-attr]

    await create_user(mail_server.settings.database_url, "admin@entidad.gov.co", role="admin")
    admin = Agent(mail_server.url)
    await admin.login("admin@entidad.gov.co")
    page = (await admin.http.get("/console/mail")).text
    assert "mallory@evil.example" in page and "El remitente no es el ciudadano" in page
    assert "No corresponde a ninguna conversación" in page
    assert "Cierren esto" in page
    for c in (citizen, agent, admin):
        await c.close()


async def test_smtp_outage_and_refusals(mail_server: LiveServer, smtp: SmtpServer) -> None:
    await seed_demo(mail_server.settings.database_url, mail_server.url)
    await create_user(mail_server.settings.database_url, "ana@entidad.gov.co")
    await create_user(mail_server.settings.database_url, "admin@entidad.gov.co", role="admin")
    agent, admin = Agent(mail_server.url), Agent(mail_server.url)
    await agent.login("ana@entidad.gov.co")
    await admin.login("admin@entidad.gov.co")

    async def closed_conversation(email: str, opt_out: bool = False) -> str:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, base_url=mail_server.url) as http:
            r = await http.post(
                "/api/widget/conversations",
                json={
                    "name": "Luis",
                    "email": email,
                    "request_type": "queja",
                    "privacy_accepted": True,
                    "privacy_version": "demo-2026-11",
                    "transcript_opt_out": opt_out,
                },
            )
        cid = r.json()["conversation_id"]
        await agent.post(f"/api/agent/conversations/{cid}/take")
        r = await agent.post(
            f"/api/agent/conversations/{cid}/close", {"request_type": "queja", "topic": "Señal"}
        )
        assert r.status_code == 200
        return str(cid)

    smtp.stop()  # the SMTP server is down
    await closed_conversation("luis1@example.com")
    await closed_conversation("luis2@example.com")
    await closed_conversation("nadie@example.com", opt_out=True)  # no transcript wanted
    await asyncio.sleep(1.0)
    page = (await admin.http.get("/console/mail")).text
    assert "luis1@example.com" in page and ("Refused" in page or "SMTPConnect" in page)
    smtp.start()
    got = await smtp.wait_for(2, timeout=15)
    await asyncio.sleep(0.5)
    assert sorted(m["To"] for m in got) == ["luis1@example.com", "luis2@example.com"]
    transcript = _text(got[0])
    assert "Transcripción" in transcript and "Señal" in transcript

    smtp.recorder.mode = "permanent"  # bad address: 550
    await closed_conversation("inexistente@example.com")
    await asyncio.sleep(1.0)
    page = (await admin.http.get("/console/mail")).text
    assert "inexistente@example.com" in page and "Fallido" in page and "550" in page
    assert len(smtp.messages) == 2
    await agent.close()
    await admin.close()
