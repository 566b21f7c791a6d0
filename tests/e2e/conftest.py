"""Browser tests: a real Granian server (``ventanilla serve``) and Debian's Chromium."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.clients import create_user, seed_demo
from tests.conftest import free_port

CHROMIUM = os.environ.get("VENTANILLA_CHROMIUM", "/usr/bin/chromium")
AGENT_PASSWORD = "contrasena-segura"


def _in_thread(fn: Callable[[], None]) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if errors:
        raise errors[0]


class GranianServer:
    """``own_sockets``: ``serve --sockets-port``, the websockets on their own listener."""

    def __init__(self, tmp: Path, *, own_sockets: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sockets_port = free_port() if own_sockets else 0
        self.db_url = f"sqlite+aiosqlite:///{tmp / 'e2e.db'}"
        self.log = tmp / "server.log"
        env = {
            **os.environ,
            "VENTANILLA_DATABASE_URL": self.db_url,
            "VENTANILLA_BROKER_URL": "memory://",
            "VENTANILLA_BASE_URL": self.url,
            "VENTANILLA_ENVIRONMENT": "test",
            "VENTANILLA_DEMO": "true",
            "VENTANILLA_REALTIME__HEARTBEAT_SECONDS": "5",
            "VENTANILLA_MAIL__UNSEEN_DELAY_SECONDS": "1",
            "VENTANILLA_MAIL__WORKER_INTERVAL_SECONDS": "0.2",
            "VENTANILLA_MAIL__INBOUND_ADDRESS": "respuesta@correo.canal.test",
        }
        _in_thread(self._prepare)  # Playwright's sync API owns this thread's event loop
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "ventanilla.cli", "serve", "--port", str(self.port)]
            + (["--sockets-port", str(self.sockets_port)] if own_sockets else []),
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90  # a busy CI machine starts Python slowly
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if httpx.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not start:\n" + self.log.read_text())

    def _prepare(self) -> None:
        from ventanilla.migrate import upgrade

        upgrade(self.db_url)
        asyncio.run(seed_demo(self.db_url, self.url))
        for email in ("ana@entidad.gov.co", "beto@entidad.gov.co"):
            name = email.split("@")[0].title() + " Díaz"
            asyncio.run(create_user(self.db_url, email, name=name))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GranianServer]:
    server = GranianServer(tmp_path_factory.mktemp("e2e"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Per module: Playwright's sync API runs an event loop in this thread while it lives."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: ./dev test installs Debian's chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield b
        b.close()


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for ctx in made:
        ctx.close()


def new_page(browser: Browser, contexts: list[BrowserContext], **kw: object) -> Page:
    ctx = browser.new_context(locale="es-CO", **kw)  # type: ignore[arg-type]
    # Generous: the CI machine may be shared and busy; a real failure still fails, only later.
    ctx.set_default_timeout(20_000)
    contexts.append(ctx)
    return ctx.new_page()


def login(page: Page, base_url: str, email: str) -> None:
    page.goto(base_url + "/login")
    page.get_by_test_id("login-email").fill(email)
    page.get_by_test_id("login-password").fill(AGENT_PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(base_url + "/console")


def ensure_open(page: Page) -> None:
    """Open the widget's panel unless it is already open (it remembers its state per tab)."""
    page.get_by_test_id("vt-launcher").wait_for(state="attached")
    page.wait_for_timeout(200)  # the widget restores its open/closed state on load
    if not page.get_by_test_id("vt-panel").is_visible():
        page.get_by_test_id("vt-launcher").click()
    page.get_by_test_id("vt-panel").wait_for()


def open_widget_form(page: Page, base_url: str) -> None:
    page.goto(base_url + "/demo")
    ensure_open(page)


def start_chat(page: Page, base_url: str, name: str, email: str = "ciudadano@example.com") -> None:
    open_widget_form(page, base_url)
    page.get_by_test_id("vt-name").fill(name)
    page.get_by_test_id("vt-email").fill(email)
    page.get_by_test_id("vt-type").select_option("queja")
    page.get_by_test_id("vt-privacy").check()
    page.get_by_test_id("vt-start").click()
    page.get_by_test_id("vt-input").wait_for()


def send(page: Page, text: str, input_id: str = "vt-input", send_id: str = "vt-send") -> None:
    page.get_by_test_id(input_id).fill(text)
    page.get_by_test_id(send_id).click()


_axe = Axe()
# ``expect`` has its own timeout (5 s by default), apart from the context's.
expect.set_options(timeout=20_000)


# The document's animations and those in shadow roots (the widget's), which
# ``document.getAnimations()`` leaves out.
_ANIMATIONS_OVER = """() => {
    const roots = [document, ...[...document.querySelectorAll('*')]
        .filter((e) => e.shadowRoot).map((e) => e.shadowRoot)];
    const running = roots.flatMap((r) => r.getAnimations());
    return Promise.all(running.map((a) => a.finished.catch(() => null)));
}"""


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, readable in a failed assert.

    Checked once the page's animations are over, as a person sees it: mid fade-in (the
    widget's panel opens from opacity 0 in 0.18 s) every text fails the contrast rule, which
    failed a clean-clone CI run on a busy machine."""
    page.evaluate(_ANIMATIONS_OVER)
    results = _axe.run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
