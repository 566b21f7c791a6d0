"""An agent files the citizen's complaint from the console; the citizen sees the number."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, BrowserContext, expect

from tests.e2e.conftest import GranianServer, login, new_page, send, start_chat


def test_agent_files_a_pqrsd(
    live: GranianServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    citizen = new_page(browser, contexts)
    agent = new_page(browser, contexts)
    login(agent, live.url, "beto@entidad.gov.co")
    start_chat(citizen, live.url, "Jorge Radicado")
    send(citizen, "Quiero poner una queja: el programa de ayer tenía un error en los datos")
    item = agent.get_by_test_id("queue-item").filter(has_text="Jorge Radicado")
    item.get_by_test_id("take").click()
    agent.get_by_test_id("file-case").click()
    agent.get_by_test_id("file-type").select_option("queja")
    agent.get_by_test_id("file-subject").fill(
        "Corrección de datos emitidos en el programa del 27/11"
    )
    agent.get_by_test_id("file-confirm").click()
    expect(agent.get_by_test_id("status")).to_contain_text(re.compile(r"PQRSD-\d{4}-\d{6}"))
    expect(citizen.get_by_test_id("vt-log")).to_contain_text(
        re.compile(r"radicada con el número PQRSD-\d{4}-\d{6}")
    )
