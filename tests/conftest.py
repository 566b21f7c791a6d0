"""Shared fixtures: a fresh database per test (SQLite file, or PostgreSQL when
VENTANILLA_TEST_DATABASE_URL is set), the broker (memory, or Redis with
VENTANILLA_TEST_BROKER_URL) and a real HTTP/websocket server on a free port."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import text

from tests.clients import SOCKETS
from ventanilla.app import create_app
from ventanilla.context import Context
from ventanilla.core.db import Base, Database
from ventanilla.models import load_all
from ventanilla.settings import LimitsSettings, RealtimeSettings, Settings

TEST_DB = os.environ.get("VENTANILLA_TEST_DATABASE_URL")
TEST_BROKER = os.environ.get("VENTANILLA_TEST_BROKER_URL", "memory://")

load_all()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests are marked ``e2e`` and run last (they hold an event loop in the main
    thread while a module runs, which ``asyncio.run`` in other fixtures cannot share)."""
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
    # By the marker, so browser tests kept beside their package (tests/reports/) also go last.
    items.sort(key=lambda item: item.get_closest_marker("e2e") is not None)


_GIVEN: set[int] = set()


def free_port() -> int:
    """A port nobody listens on, and never one this test run handed out before: the kernel can
    return the same free port twice before the first taker binds it (a test's web server and
    its SMTP server then collided: "address already in use")."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _GIVEN:
            _GIVEN.add(port)
            return port


async def reset_schema(url: str) -> None:
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
            await conn.run_sync(Base.metadata.create_all)
    finally:
        await db.dispose()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    url = TEST_DB or f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    asyncio.run(reset_schema(url))
    return url


def reset_redis() -> None:
    """Shared state (presence, rate limits) lives in Redis with that broker: start empty."""
    if TEST_BROKER.startswith("redis"):
        import redis

        client = redis.Redis.from_url(TEST_BROKER)
        client.flushdb()
        client.close()


@pytest.fixture
def settings(request: pytest.FixtureRequest, database_url: str) -> Settings:
    """``indirect`` parameter ``"own"``: the chat's websockets on their own listener
    (``realtime.sockets_port``, web/socket_server.py) instead of the HTTP port."""
    reset_redis()
    port = free_port()
    own_sockets = getattr(request, "param", "http") == "own"
    return Settings(
        environment="test",
        database_url=database_url,
        broker_url=TEST_BROKER,
        base_url=f"http://127.0.0.1:{port}",
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        limits=LimitsSettings(),
        realtime=RealtimeSettings(
            heartbeat_seconds=10,
            hello_timeout_seconds=3,
            sockets_port=free_port() if own_sockets else 0,
        ),
    )


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


class LiveServer:
    """The real ASGI app served by uvicorn in a thread (its own event loop)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = create_app(settings)
        self.port = int(settings.base_url.rsplit(":", 1)[1])
        self.url = settings.base_url
        # the chat's websockets: on the HTTP port, or on their own listener (sockets_port)
        self.ws_url = settings.public_socket_url or self.url.replace("http://", "ws://")
        SOCKETS[self.url] = self.ws_url
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ws="websockets-sansio",
            lifespan="on",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def ctx(self) -> Context:
        ctx: Context = self.app.state.ctx
        return ctx

    def start(self) -> None:
        self.thread.start()
        for _ in range(500):
            if self.server.started:
                return
            threading.Event().wait(0.01)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def server(settings: Settings) -> Iterator[LiveServer]:
    live = LiveServer(settings)
    live.start()
    yield live
    live.stop()
