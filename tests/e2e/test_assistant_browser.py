"""The assistant in the browser: an automatic answer that did not help, then a person who sees
the whole exchange."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.clients import seed_demo
from tests.e2e.conftest import GranianServer, login, new_page, send, start_chat

FIRST_ANSWER_MS = 60_000  # a cold embedding cache builds the engine on the first question


class AssistantServer(GranianServer):
    def _prepare(self) -> None:
        super()._prepare()
        asyncio.run(seed_demo(self.db_url, self.url, knowledge_base=True))


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
