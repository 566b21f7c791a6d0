"""The browsers' websockets on their own listener (``ventanilla serve --sockets-port``).

The widget learns where they are from its config, the console from its page; the console's
CSP lets it connect there. A whole conversation, a reload, and the supervisors' live view."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.clients import create_user
from tests.e2e.conftest import (
    GranianServer,
    _in_thread,
    ensure_open,
    login,
    new_page,
    send,
    start_chat,
)


@pytest.fixture(scope="module")
def live_own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GranianServer]:
    server = GranianServer(tmp_path_factory.mktemp("e2e-sockets"), own_sockets=True)
    yield server
    server.stop()


def _sockets(page: Page) -> list[str]:
    opened: list[str] = []
    page.on("websocket", lambda ws: opened.append(ws.url))
    return opened


def test_a_conversation_over_the_sockets_own_listener(
    live_own: GranianServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    own = f"ws://127.0.0.1:{live_own.sockets_port}"
    citizen = new_page(browser, contexts)
    agent = new_page(browser, contexts)
    citizen_sockets, agent_sockets = _sockets(citizen), _sockets(agent)
    csp_errors: list[str] = []
    agent.on("console", lambda m: csp_errors.append(m.text) if "Content Security" in m.text else 0)

    login(agent, live_own.url, "ana@entidad.gov.co")
    start_chat(citizen, live_own.url, "Rosa Gómez")
    send(citizen, "¿Dónde veo la programación de hoy?")
    item = agent.get_by_test_id("queue-item").filter(has_text="Rosa Gómez")
    expect(item).to_be_visible()
    item.get_by_test_id("take").click()
    transcript = agent.get_by_test_id("transcript")
    expect(transcript.get_by_text("¿Dónde veo la programación de hoy?")).to_be_visible()
    send(agent, "En la sección Programación del sitio", "composer", "send")
    log = citizen.get_by_test_id("vt-log")
    expect(log.get_by_text("En la sección Programación del sitio")).to_be_visible()

    citizen.reload()  # the conversation comes back over the same listener
    ensure_open(citizen)
    expect(log.get_by_text("En la sección Programación del sitio")).to_be_visible()
    send(citizen, "Gracias, ya la encontré")
    expect(transcript.get_by_text("Gracias, ya la encontré")).to_be_visible()

    assert citizen_sockets and all(u == own + "/ws/widget" for u in citizen_sockets)
    assert agent_sockets and all(u == own + "/ws/agent" for u in agent_sockets)
    assert csp_errors == []


def test_the_live_view_over_the_sockets_own_listener(
    live_own: GranianServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    _in_thread(
        lambda: asyncio.run(create_user(live_own.db_url, "sofia@entidad.gov.co", role="supervisor"))
    )
    sup = new_page(browser, contexts)
    opened = _sockets(sup)
    login(sup, live_own.url, "sofia@entidad.gov.co")
    sup.goto(live_own.url + "/console/live")
    expect(sup.get_by_test_id("live-state")).to_have_attribute("data-state", "open")
    assert f"ws://127.0.0.1:{live_own.sockets_port}/ws/live" in opened
