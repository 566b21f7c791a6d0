"""The citizen leaves; the reply reaches them by email (the demo's captured mailbox); its link
opens the conversation on the server's own page; a reply by email reaches the agent."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, BrowserContext, expect

from tests.e2e.conftest import GranianServer, login, new_page, send, start_chat


def test_reply_by_email_and_back_by_link(
    live: GranianServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    citizen = new_page(browser, contexts)
    agent = new_page(browser, contexts)
    login(agent, live.url, "ana@entidad.gov.co")
    start_chat(citizen, live.url, "Sofía Correo", email="sofia@example.com")
    send(citizen, "Quiero una copia del programa del martes")
    # Leave only once the server has the message: a tab closed while a message is still on its
    # way keeps it in the browser (sent on the next visit), and this test is about email.
    mine = citizen.get_by_test_id("vt-msg").filter(has_text="Quiero una copia")
    expect(mine).to_have_attribute("data-state", re.compile("sent|seen"))
    citizen.close()  # the citizen leaves the website

    item = agent.get_by_test_id("queue-item").filter(has_text="Sofía Correo")
    item.get_by_test_id("take").click()
    send(agent, "Claro, Sofía: la copia tiene un costo y se pide por escrito.", "composer", "send")

    mailbox = new_page(browser, contexts)
    for _ in range(30):
        mailbox.goto(live.url + "/demo/mailbox")
        if mailbox.get_by_text("Tiene una respuesta de Canal Capital (demo)").count():
            break
        mailbox.wait_for_timeout(500)
    article = mailbox.locator("article").filter(has_text="Tiene una respuesta")
    expect(article).to_be_visible()
    frame = article.frame_locator("iframe")
    expect(frame.get_by_text("la copia tiene un costo")).to_be_visible()
    href = frame.get_by_role("link", name="Abrir la conversación").get_attribute("href")
    assert href and re.search(r"/conversacion/", href)

    # The link opens the conversation on the server's own page, in a new browser.
    back = new_page(browser, contexts)
    back.goto(href)
    expect(back.get_by_test_id("vt-log").get_by_text("la copia tiene un costo")).to_be_visible()
    expect(back.get_by_test_id("vt-log").get_by_text("Quiero una copia")).to_be_visible()

    # Replying to the email (through the same inbound path as real mail) reaches the agent.
    article.get_by_role("textbox").fill("Gracias, ¿a qué correo la pido?")
    article.get_by_role("button", name="Enviar respuesta por correo").click()
    expect(agent.get_by_test_id("transcript").get_by_text("¿a qué correo la pido?")).to_be_visible()
    expect(back.get_by_test_id("vt-log").get_by_text("¿a qué correo la pido?")).to_be_visible()
