"""axe-core on the open widget (form and conversation) and on the console pages."""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext

from tests.e2e.conftest import (
    GranianServer,
    login,
    new_page,
    open_widget_form,
    serious_violations,
    start_chat,
)


def test_widget_form_and_conversation(
    live: GranianServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    for viewport in ({"width": 1280, "height": 800}, {"width": 390, "height": 844}):
        page = new_page(browser, contexts, viewport=viewport)
        open_widget_form(page, live.url)
        assert serious_violations(page) == []
        page.get_by_test_id("vt-start").click()  # empty form: errors shown
        assert serious_violations(page) == []
        start_chat(page, live.url, "Lucía Axe")
        page.get_by_test_id("vt-input").fill("Hola")
        page.get_by_test_id("vt-send").click()
        page.get_by_test_id("vt-msg").first.wait_for()
        assert serious_violations(page) == []


def test_console_pages(
    live: GranianServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    citizen = new_page(browser, contexts)
    start_chat(citizen, live.url, "Pedro Axe")
    page = new_page(browser, contexts, viewport={"width": 1280, "height": 800})
    page.goto(live.url + "/login")
    assert serious_violations(page) == []
    login(page, live.url, "ana@entidad.gov.co")
    item = page.get_by_test_id("queue-item").filter(has_text="Pedro Axe")
    item.wait_for()
    assert serious_violations(page) == []
    item.get_by_test_id("take").click()
    page.get_by_test_id("composer").wait_for()
    assert serious_violations(page) == []
    for path in ("/console/history", "/console/canned"):
        page.goto(live.url + path)
        page.wait_for_load_state("networkidle")
        assert serious_violations(page) == [], path


def test_keyboard_opens_and_closes_the_widget(
    live: GranianServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    page = new_page(browser, contexts)
    page.goto(live.url + "/demo")
    # The widget stays display:none until its stylesheet has loaded, and a hidden button cannot
    # take the focus: wait until a person could see it, as a person would.
    launcher = page.get_by_test_id("vt-launcher")
    launcher.wait_for(state="visible")
    launcher.press("Enter")
    page.get_by_test_id("vt-panel").wait_for()
    # Focus moves to the first field (the widget may do it on the next frame).
    page.wait_for_function(
        "() => { const h = [...document.body.children].find(e => e.shadowRoot); "
        "const a = h && h.shadowRoot.activeElement; return a && a.dataset.testid === 'vt-name' }"
    )
    page.get_by_test_id("vt-name").press("Escape")
    page.get_by_test_id("vt-panel").wait_for(state="hidden")
    page.wait_for_function(
        "() => { const h = [...document.body.children].find(e => e.shadowRoot); "
        "const a = h && h.shadowRoot.activeElement; "
        "return a && a.dataset.testid === 'vt-launcher' }"
    )
