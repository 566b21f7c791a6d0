"""The reports page in a real Chromium: charts are SVG images with their tables, axe finds no
serious problem, agents see only their own figures, admins save targets."""

from __future__ import annotations

import asyncio
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.clients import create_user
from tests.e2e.conftest import GranianServer, _in_thread, login, new_page
from tests.e2e.conftest import browser as browser  # fixtures
from tests.e2e.conftest import contexts as contexts
from tests.e2e.conftest import live as live

pytestmark = pytest.mark.e2e
axe = Axe()


def _serious(page: Page) -> list[str]:
    results = axe.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _login(page: Page, url: str, email: str) -> None:
    page.goto(url + "/login")
    page.get_by_test_id("login-email").fill(email)
    page.get_by_test_id("login-password").fill("contrasena-segura")
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(url + "/console")


def test_reports_page(
    live: GranianServer, browser: Browser, contexts: list[BrowserContext]
) -> None:
    _in_thread(
        lambda: asyncio.run(
            create_user(live.db_url, "adela@entidad.gov.co", role="admin", name="Adela Admin")
        )
    )
    page = new_page(browser, contexts, viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, live.url, "adela@entidad.gov.co")
    page.get_by_test_id("nav-reports").click()
    page.wait_for_url(live.url + "/console/reports")
    expect(page.locator("#chart-trend svg[role=img]")).to_have_count(1)
    expect(page.locator("#chart-heatmap svg[role=img] title").first).not_to_be_empty()
    assert page.locator("#chart-trend details table").count() == 1  # the chart's figures
    assert page.get_by_test_id("findings").locator("li").count() >= 1
    assert _serious(page) == []
    field = page.locator("#tg-wait_seconds")
    field.fill("2")
    page.get_by_test_id("targets-save").click()
    expect(field).to_have_attribute("aria-invalid", "true")
    field.fill("45")
    page.get_by_test_id("targets-save").click()
    expect(page.get_by_test_id("status")).to_contain_text("Metas guardadas")
    page.get_by_test_id("reports-preset").select_option("last_month")
    page.get_by_test_id("reports-apply").click()
    expect(page.get_by_test_id("export-xlsx")).to_have_attribute("href", re.compile("format=xlsx"))
    assert errors == []

    agent = new_page(browser, contexts, viewport={"width": 390, "height": 844})
    login(agent, live.url, "ana@entidad.gov.co")
    agent.goto(live.url + "/console/reports")
    expect(agent.locator("#chart-trend svg[role=img]")).to_have_count(1)
    assert agent.get_by_test_id("findings").count() == 0
    assert agent.get_by_test_id("export-pdf").count() == 0
    assert _serious(agent) == []
