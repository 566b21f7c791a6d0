"""An agent files the citizen's complaint from the console; the citizen sees the number."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, BrowserContext, expect

from tests.e2e.conftest import GranianServer, login, new_page, send, serious_violations, start_chat


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


def test_agent_answers_a_case_and_the_citizen_sees_it(
    live: GranianServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    citizen = new_page(browser, contexts)
    agent = new_page(browser, contexts, viewport={"width": 1280, "height": 900})
    login(agent, live.url, "ana@entidad.gov.co")
    start_chat(citizen, live.url, "Lucía Respuesta")
    send(citizen, "Pido copia del contrato de producción del especial de diciembre")
    item = agent.get_by_test_id("queue-item").filter(has_text="Lucía Respuesta")
    item.get_by_test_id("take").click()
    agent.get_by_test_id("file-case").click()
    agent.get_by_test_id("file-type").select_option("copia")
    agent.get_by_test_id("file-subject").fill("Copia del contrato de producción")
    agent.get_by_test_id("file-confirm").click()
    expect(agent.get_by_test_id("status")).to_contain_text(re.compile(r"PQRSD-\d{4}-\d{6}"))
    number = re.search(r"PQRSD-\d{4}-\d{6}", agent.get_by_test_id("status").inner_text())
    assert number is not None
    expect(agent.get_by_test_id("nav-cases-count")).to_be_attached()

    agent.get_by_test_id("nav-cases").click()
    agent.get_by_test_id("case-view-open").click()
    row = agent.get_by_test_id("case-row").filter(has_text=number.group(0))
    row.get_by_test_id("case-open").click()
    detail = agent.get_by_test_id("case-detail")
    expect(detail).to_contain_text("Lucía Respuesta")
    expect(agent.get_by_test_id("case-constancia")).to_contain_text(
        "Decreto 1166", use_inner_text=False
    )
    expect(agent.get_by_test_id("case-forward-by")).not_to_be_empty()
    assert serious_violations(agent) == []

    agent.get_by_test_id("case-answer-answer").fill("Le enviamos la copia del contrato adjunta.")
    agent.get_by_test_id("case-answer-submit").click()
    expect(agent.get_by_test_id("case-status")).to_have_text("Respondida")
    expect(agent.get_by_test_id("case-answered")).to_contain_text("a tiempo")
    expect(agent.get_by_test_id("case-history")).to_contain_text("Respondida")
    expect(citizen.get_by_test_id("vt-log")).to_contain_text(
        "Le enviamos la copia del contrato adjunta."
    )
    # The delivery proof (the outbox's record) appears once the mail worker has sent it.
    proof = agent.get_by_test_id("case-proof")
    for _ in range(40):
        agent.reload()
        agent.get_by_test_id("case-status").wait_for()
        if "Message-ID" in proof.inner_text():
            break
        agent.wait_for_timeout(250)
    expect(proof).to_contain_text("Message-ID")


def test_admin_edits_types_and_closed_days(
    live: GranianServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    from datetime import date, timedelta

    admin = new_page(browser, contexts, viewport={"width": 1280, "height": 900})
    admin.goto(live.url + "/login")
    admin.get_by_test_id("login-email").fill("admin@demo.ventanilla.co")
    admin.get_by_test_id("login-password").fill("demo-admin-2026")
    admin.get_by_test_id("login-submit").click()
    admin.wait_for_url(live.url + "/console")
    admin.get_by_test_id("nav-case-types").click()
    row = admin.get_by_test_id("type-row").filter(has_text="sugerencia")
    row.get_by_test_id("type-term_days").fill("20")
    row.get_by_test_id("type-save").click()
    expect(admin.get_by_test_id("status")).to_contain_text("15")  # the law's maximum
    row.get_by_test_id("type-term_days").fill("12")
    row.get_by_test_id("type-label").fill("Sugerencia de programación")
    row.get_by_test_id("type-save").click()
    expect(admin.get_by_test_id("status")).to_contain_text("Sugerencia de programación, 12")
    day = date.today() + timedelta(days=30)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    admin.get_by_test_id("closed-day").fill(day.isoformat())
    admin.get_by_test_id("closed-add").click()
    expect(admin.get_by_test_id("closed-list")).to_contain_text(day.strftime("%d/%m/%Y"))
    assert serious_violations(admin) == []
