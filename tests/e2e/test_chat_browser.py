"""A citizen on the demo website and an agent in the console, each in their own browser."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.conftest import GranianServer, ensure_open, login, new_page, send, start_chat


def _take(agent: Page, citizen_name: str) -> None:
    item = agent.get_by_test_id("queue-item").filter(has_text=citizen_name)
    expect(item).to_be_visible()
    item.get_by_test_id("take").click()
    expect(agent.get_by_test_id("conv-tab").filter(has_text=citizen_name)).to_be_visible()


def _agent_sees(agent: Page, text: str) -> None:
    expect(agent.get_by_test_id("transcript").get_by_text(text)).to_be_visible()


def _citizen_sees(citizen: Page, text: str) -> None:
    expect(citizen.get_by_test_id("vt-log").get_by_text(text)).to_be_visible()


def test_full_conversation_with_reload(
    live: GranianServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    citizen = new_page(browser, contexts)
    agent = new_page(browser, contexts)
    login(agent, live.url, "ana@entidad.gov.co")
    start_chat(citizen, live.url, "Marta <img src=x onerror=alert(1)>")
    send(citizen, "Hola, no me llega la señal TDT en Suba")

    _take(agent, "Marta")
    _agent_sees(agent, "no me llega la señal TDT en Suba")
    # The name is shown as text, never as HTML.
    expect(agent.get_by_text("Marta <img src=x onerror=alert(1)>").first).to_be_visible()
    _citizen_sees(citizen, "Ana")  # the agent's display name when they join

    send(agent, "Buenas tardes, ¿qué canal intenta sintonizar?", "composer", "send")
    _citizen_sees(citizen, "¿qué canal intenta sintonizar?")
    mine = citizen.get_by_test_id("vt-msg").filter(has_text="no me llega la señal")
    expect(mine).to_have_attribute("data-state", re.compile("sent|seen"))

    # Reload: the same conversation comes back, with its history.
    citizen.reload()
    ensure_open(citizen)
    _citizen_sees(citizen, "¿qué canal intenta sintonizar?")
    send(citizen, "El 14.1, después de recargar")
    _agent_sees(agent, "El 14.1, después de recargar")

    # An internal note never reaches the citizen.
    agent.get_by_test_id("note-toggle").check()
    send(agent, "Nota: revisar cobertura en Suba", "composer", "send")
    _agent_sees(agent, "Nota: revisar cobertura en Suba")
    agent.get_by_test_id("note-toggle").uncheck()
    send(agent, "Gracias, lo revisamos", "composer", "send")
    _citizen_sees(citizen, "Gracias, lo revisamos")
    expect(citizen.get_by_test_id("vt-log").get_by_text("revisar cobertura")).to_have_count(0)

    # The agent closes with a classification; the citizen sees the end.
    agent.get_by_test_id("close-conv").click()
    agent.get_by_test_id("close-topic").fill("Señal TDT")
    agent.get_by_test_id("close-confirm").click()
    expect(citizen.get_by_test_id("vt-new")).to_be_visible()


def test_network_drop_sends_offline_messages_exactly_once(
    live: GranianServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    citizen = new_page(browser, contexts)
    agent = new_page(browser, contexts)
    login(agent, live.url, "beto@entidad.gov.co")
    start_chat(citizen, live.url, "Rodrigo Offline")
    _take(agent, "Rodrigo Offline")
    send(agent, "Hola Rodrigo", "composer", "send")
    _citizen_sees(citizen, "Hola Rodrigo")

    citizen.context.set_offline(True)
    send(citizen, "escrito sin conexión 1")
    send(citizen, "escrito sin conexión 2")
    send(agent, "¿Sigue ahí?", "composer", "send")  # sent while the citizen is offline
    citizen.wait_for_timeout(1500)
    citizen.context.set_offline(False)

    _agent_sees(agent, "escrito sin conexión 2")
    _citizen_sees(citizen, "¿Sigue ahí?")  # the gap is filled on reconnect
    citizen.wait_for_timeout(1500)
    transcript = agent.get_by_test_id("transcript")
    expect(transcript.get_by_text("escrito sin conexión 1")).to_have_count(1)
    expect(transcript.get_by_text("escrito sin conexión 2")).to_have_count(1)
    for state in citizen.get_by_test_id("vt-msg").filter(has_text="sin conexión").all():
        expect(state).to_have_attribute("data-state", re.compile("sent|seen"))


def test_two_agents_race_for_one_conversation(
    live: GranianServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    citizen = new_page(browser, contexts)
    one = new_page(browser, contexts)
    two = new_page(browser, contexts)
    login(one, live.url, "ana@entidad.gov.co")
    login(two, live.url, "beto@entidad.gov.co")
    start_chat(citizen, live.url, "Camila Carrera")
    buttons = []
    for agent in (one, two):
        item = agent.get_by_test_id("queue-item").filter(has_text="Camila Carrera")
        expect(item).to_be_visible()
        buttons.append(item.get_by_test_id("take"))
    # Click both without waiting for either answer. The first take can reach the other console
    # (the item leaves its queue) before its click: that agent then simply took nothing.
    clicked = []
    for button in buttons:
        try:
            button.evaluate("b => b.click()", timeout=5000)
            clicked.append(True)
        except PlaywrightError:
            clicked.append(False)
    winners = 0
    for agent, did_click in zip((one, two), clicked, strict=True):
        tab = agent.get_by_test_id("conv-tab").filter(has_text="Camila Carrera")
        if not did_click:
            queued = agent.get_by_test_id("queue-item").filter(has_text="Camila Carrera")
            expect(queued).to_have_count(0)
            expect(tab).to_have_count(0)
            continue
        lost = agent.get_by_test_id("status").filter(
            has_text=re.compile("Otro asesor ya tomó|ya no está en la cola|ya fue tomada", re.I)
        )
        expect(tab.or_(lost)).to_be_visible()  # either outcome, however slow the machine
        winners += int(tab.is_visible())
    assert winners == 1
