"""The assistant in the browser: an automatic answer that did not help, then a person who sees
the whole exchange."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.clients import create_user, seed_demo
from tests.e2e.conftest import (
    GranianServer,
    login,
    new_page,
    send,
    serious_violations,
    start_chat,
)

FIRST_ANSWER_MS = 60_000  # a cold embedding cache builds the engine on the first question


class AssistantServer(GranianServer):
    def _prepare(self) -> None:
        super()._prepare()
        asyncio.run(seed_demo(self.db_url, self.url, knowledge_base=True))
        asyncio.run(create_user(self.db_url, "sofia@entidad.gov.co", role="supervisor"))


@pytest.fixture(scope="module")
def live_kb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GranianServer]:
    server = AssistantServer(tmp_path_factory.mktemp("e2e-kb"))
    yield server
    server.stop()


def test_automatic_answer_not_helpful_lands_with_an_agent(
    live_kb: GranianServer, browser: Browser, contexts: list[BrowserContext], tmp_path: Path
) -> None:
    citizen = new_page(browser, contexts)
    agent = new_page(browser, contexts)
    login(agent, live_kb.url, "ana@entidad.gov.co")
    start_chat(citizen, live_kb.url, "Lucía Automática")
    expect(citizen.get_by_test_id("vt-human")).to_be_visible()  # a person is one click away
    expect(agent.get_by_test_id("queue-item").filter(has_text="Lucía")).to_have_count(0)

    send(citizen, "¿dónde puedo consultar la programación del canal?")
    answer = citizen.get_by_test_id("vt-msg").filter(has=citizen.get_by_test_id("vt-auto"))
    expect(answer).to_contain_text("programación", timeout=FIRST_ANSWER_MS)
    expect(answer.get_by_test_id("vt-auto")).to_contain_text("Respuesta automática")
    expect(answer).to_contain_text("¿Esto resolvió su duda?")
    answer.get_by_test_id("vt-fb-no").click()

    log = citizen.get_by_test_id("vt-log")
    expect(log).to_contain_text("una persona le atenderá")
    expect(citizen.get_by_test_id("vt-fb-no")).to_have_count(0)
    expect(citizen.get_by_test_id("vt-human")).to_be_hidden()

    item = agent.get_by_test_id("queue-item").filter(has_text="Lucía")
    expect(item).to_be_visible()
    item.get_by_test_id("take").click()
    transcript = agent.get_by_test_id("transcript")
    expect(transcript).to_contain_text("¿dónde puedo consultar la programación del canal?")
    expect(transcript.get_by_test_id("msg-automatic")).to_contain_text("programacion")
    expect(transcript).to_contain_text("la respuesta no le sirvió")

    send(agent, "Hola Lucía, le ayudo con la programación", "composer", "send")
    expect(log).to_contain_text("le ayudo con la programación")


def test_a_supervisor_teaches_the_assistant_what_it_could_not_answer(
    live_kb: GranianServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    first = new_page(browser, contexts)
    start_chat(first, live_kb.url, "Marta Sinrespuesta")
    send(first, "como los contacto")  # handed over under the demo's calibration
    expect(first.get_by_test_id("vt-log")).to_contain_text(
        "una persona le atenderá", timeout=FIRST_ANSWER_MS
    )

    sup = new_page(browser, contexts, viewport={"width": 1280, "height": 800})
    login(sup, live_kb.url, "sofia@entidad.gov.co")
    sup.goto(live_kb.url + "/console/kb")
    group = sup.get_by_test_id("kb-unanswered-group").filter(has_text="como los contacto")
    expect(group).to_be_visible()
    assert serious_violations(sup) == []
    group.get_by_test_id("kb-teach").click()  # nothing chosen: refused in the page
    expect(group).to_be_visible()
    group.get_by_label("¿Qué entrada responde estas preguntas?").select_option("telefono-contacto")
    group.get_by_test_id("kb-teach").click()
    expect(sup.get_by_test_id("status")).to_contain_text("Preguntas enseñadas al asistente: 1.")
    expect(group).to_have_count(0)

    second = new_page(browser, contexts)
    start_chat(second, live_kb.url, "Rubén Aprendido", email="ruben@example.com")
    send(second, "como los contacto")
    answer = second.get_by_test_id("vt-msg").filter(has=second.get_by_test_id("vt-auto"))
    expect(answer).to_contain_text("Respuesta automática", timeout=FIRST_ANSWER_MS)
    expect(answer).to_contain_text("Contáctenos")  # the entry it was taught
