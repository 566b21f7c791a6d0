"""A citizen ends the chat and rates it (keyboard, accessible survey); the agent sees it."""

from __future__ import annotations

import asyncio

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.clients import create_user
from tests.e2e.conftest import (
    GranianServer,
    _in_thread,
    login,
    new_page,
    serious_violations,
    start_chat,
)


def _focused_testid(page: Page) -> str:
    return str(
        page.evaluate(
            "() => { const h = [...document.body.children].find(e => e.shadowRoot); "
            "const a = h && h.shadowRoot.activeElement; "
            "return a ? (a.dataset.testid || a.id) : '' }"
        )
    )


def test_citizen_ends_the_chat_and_rates_it(
    live: GranianServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    citizen = new_page(browser, contexts, viewport={"width": 1280, "height": 800})
    start_chat(citizen, live.url, "Rosa Encuesta")
    agent = new_page(browser, contexts, viewport={"width": 1280, "height": 800})
    login(agent, live.url, "beto@entidad.gov.co")
    item = agent.get_by_test_id("queue-item").filter(has_text="Rosa Encuesta")
    item.get_by_test_id("take").click()
    agent.get_by_test_id("composer").wait_for()

    citizen.get_by_test_id("vt-note").filter(has_text="se unió").wait_for()
    citizen.get_by_test_id("vt-end").click()
    citizen.get_by_test_id("vt-end-confirm").click()
    survey = citizen.get_by_test_id("vt-survey")
    survey.wait_for()
    citizen.wait_for_function(
        "() => { const h = [...document.body.children].find(e => e.shadowRoot); "
        "const a = h && h.shadowRoot.activeElement; return a && a.id === 'vt-sv-t' }"
    )
    assert serious_violations(citizen) == []

    # Sending without choosing: a clear error, read out (role=alert), focus on the first choice.
    citizen.get_by_test_id("vt-rate").click()
    expect(survey.get_by_role("alert")).to_have_text("Elija una calificación de 1 a 5.")
    assert _focused_testid(citizen) == "vt-score-1"
    assert serious_violations(citizen) == []

    # Keyboard only: arrows move within the radio group, Tab to the next group.
    citizen.keyboard.press("ArrowRight")
    citizen.keyboard.press("ArrowRight")
    citizen.keyboard.press("ArrowRight")  # 1 → 4
    assert _focused_testid(citizen) == "vt-score-4"
    citizen.keyboard.press("Tab")
    citizen.keyboard.press("Space")  # "Sí"
    assert _focused_testid(citizen) == "vt-resolved-yes"
    citizen.get_by_test_id("vt-comment").fill("Muy buena atención, gracias.")
    citizen.get_by_test_id("vt-rate").click()
    expect(citizen.get_by_test_id("vt-thanks")).to_have_text(
        "¡Gracias! Su calificación nos ayuda a mejorar."
    )
    expect(survey).to_be_hidden()
    assert serious_violations(citizen) == []

    # A reload does not ask again.
    citizen.reload()
    citizen.get_by_test_id("vt-panel").wait_for()
    citizen.get_by_test_id("vt-new").wait_for()
    citizen.wait_for_timeout(500)
    expect(citizen.get_by_test_id("vt-survey")).to_be_hidden()

    # The agent sees it in "Mis calificaciones".
    agent.goto(live.url + "/console/ratings")
    row = agent.get_by_test_id("rating-row").filter(has_text="Muy buena atención")
    row.wait_for()
    expect(row).to_contain_text("4 — Buena")
    assert serious_violations(agent) == []


def test_supervisor_pages_are_accessible(
    live: GranianServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    _in_thread(
        lambda: asyncio.run(
            create_user(live.db_url, "sofia@entidad.gov.co", role="supervisor", name="Sofía Díaz")
        )
    )
    waiting = new_page(browser, contexts)
    start_chat(waiting, live.url, "Tomás Espera")
    page = new_page(browser, contexts, viewport={"width": 1280, "height": 800})
    login(page, live.url, "sofia@entidad.gov.co")
    page.goto(live.url + "/console/live")
    row = page.get_by_test_id("live-waiting-row").filter(has_text="Tomás Espera")
    row.wait_for()
    assert serious_violations(page) == []
    # A second citizen arrives: the view updates by itself.
    other = new_page(browser, contexts)
    start_chat(other, live.url, "Úrsula Nueva", email="ursula@example.com")
    page.get_by_test_id("live-waiting-row").filter(has_text="Úrsula Nueva").wait_for()
    for path in ("/console/ratings", "/console/history"):
        page.goto(live.url + path)
        page.wait_for_load_state("networkidle")
        assert serious_violations(page) == [], path
