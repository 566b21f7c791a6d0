"""``/healthz``, ``/metrics`` (Prometheus text, protected) and the client address behind a proxy."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest

from tests.clients import HTTP_TIMEOUT, Agent, Citizen, create_user, seed_demo
from tests.conftest import LiveServer
from ventanilla.core import ops
from ventanilla.core.metrics import Metrics, handler_group
from ventanilla.settings import ClusterSettings, MetricsSettings, Settings


@pytest.fixture
def guarded(settings: Settings) -> Iterator[LiveServer]:
    """A server whose /metrics needs the token, and which believes 127.0.0.1 as a proxy."""
    live = LiveServer(
        settings.model_copy(
            update={
                "metrics": MetricsSettings(allow=["10.9.0.0/16"], token="scrape-token-123"),
                "cluster": ClusterSettings(trusted_proxies=["127.0.0.1"]),
            }
        )
    )
    live.start()
    yield live
    live.stop()


def _series(text: str) -> dict[str, float]:
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


async def test_healthz_checks_database_and_broker(server: LiveServer) -> None:
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, base_url=server.url) as http:
        r = await http.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "broker": "ok"}


async def test_healthz_reports_an_unreachable_database(server: LiveServer) -> None:
    real_url = server.ctx.db.sessionmaker.kw["bind"]
    broken = server.ctx.db.engine.url.set(database="/nonexistent/dir/x.db", host=None)
    if server.ctx.db.engine.dialect.name == "postgresql":
        broken = server.ctx.db.engine.url.set(port=1)
    from ventanilla.core.db import create_engine

    engine = create_engine(broken.render_as_string(hide_password=False))
    server.ctx.db.sessionmaker.configure(bind=engine)
    try:
        # The server's own workers fail on the same engine meanwhile; the answer still comes
        # within the check's timeout (a generous client timeout: shared machines are slow).
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
            r = await http.get("/healthz")
        assert r.status_code == 503 and r.json()["database"] == "unreachable"
    finally:
        server.ctx.db.sessionmaker.configure(bind=real_url)


async def test_healthz_answers_promptly_when_the_database_hangs(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database that never answers (a pool stuck behind failing connections, a network
    partition) must not hang the probe: it counts as unreachable after the check's timeout."""

    async def hang(_session: object) -> None:
        await asyncio.sleep(3600)

    monkeypatch.setattr(ops, "HEALTH_TIMEOUT", 0.3)
    monkeypatch.setattr(ops.probes, "ping", hang)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        r = await http.get("/healthz")
    assert r.status_code == 503
    assert r.json() == {"status": "unhealthy", "database": "unreachable", "broker": "ok"}


async def test_metrics_count_a_conversation(server: LiveServer) -> None:
    await seed_demo(server.settings.database_url, server.url)
    await create_user(server.settings.database_url, "ana@entidad.gov.co")
    agent, citizen = Agent(server.url), Citizen(server.url)
    assert (await agent.login("ana@entidad.gov.co")).status_code == 303
    await agent.connect()
    assert (await citizen.start()).status_code == 201
    await citizen.connect()
    assert (await citizen.say("Hola"))["type"] == "ack"
    await citizen.event(seq=1)
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, base_url=server.url) as http:
        r = await http.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    series = _series(r.text)
    process = server.ctx.metrics.process
    assert series[f'ventanilla_open_sockets{{process="{process}",role="agent"}}'] == 1
    assert series[f'ventanilla_open_sockets{{process="{process}",role="citizen"}}'] == 1
    assert series[f'ventanilla_messages_persisted_total{{process="{process}"}}'] == 1
    assert series[f'ventanilla_frames_delivered_total{{process="{process}"}}'] >= 1
    assert series["ventanilla_queue_waiting"] == 1
    for name in ("broker_backlog", "broker_dropped_total", "sqlite_lock_waits_total"):
        assert series[f'ventanilla_{name}{{process="{process}"}}'] == 0
    # counters of the whole test process (other tests' slow consumers count too)
    for name in ("broker_republished_total", "slow_consumers_total"):
        assert series[f'ventanilla_{name}{{process="{process}"}}'] >= 0
    assert series['ventanilla_outbox_emails{status="pending"}'] >= 0
    histogram = "ventanilla_http_request_duration_seconds"
    count = f'{histogram}_count{{process="{process}",handler="/api/widget"}}'
    assert series[count] >= 2
    assert "# TYPE ventanilla_http_request_duration_seconds histogram" in r.text
    await citizen.close()
    await agent.close()


async def test_metrics_need_an_allowed_address_or_the_token(guarded: LiveServer) -> None:
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT, base_url=guarded.url) as http:
        assert (await http.get("/metrics")).status_code == 403
        wrong = {"Authorization": "Bearer nope"}
        assert (await http.get("/metrics", headers=wrong)).status_code == 403
        right = {"Authorization": "Bearer scrape-token-123"}
        assert (await http.get("/metrics", headers=right)).status_code == 200
        # Through the (trusted) proxy, the address that counts is the forwarded one.
        proxied = {"X-Forwarded-For": "203.0.113.9, 10.9.1.2"}
        assert (await http.get("/metrics", headers=proxied)).status_code == 200
        spoofed = {"X-Forwarded-For": "10.9.1.2, 203.0.113.9"}
        assert (await http.get("/metrics", headers=spoofed)).status_code == 403


def test_handler_labels_stay_bounded() -> None:
    metrics = Metrics("p")
    for i in range(200):
        metrics.observe_request(handler_group(f"/api/x{i}/y"), 0.01)
    assert len(metrics.requests) <= 41
    assert handler_group("/static/widget/widget.js") == "/static"
    assert handler_group("/") == "/"


async def test_websockets_skip_the_middleware_but_keep_the_proxy_address(
    settings: Settings,
) -> None:
    """app.py hands /ws/* straight to the endpoint, with the client address of the proxy
    headers (rate limits use it), and leaves other websocket paths to the router."""
    from starlette.websockets import WebSocket

    from ventanilla.app import create_app
    from ventanilla.conversations.socket_loop import Socket

    app = create_app(
        settings.model_copy(update={"cluster": ClusterSettings(trusted_proxies=["10.0.0.0/8"])})
    )
    seen: list[tuple[str, str, str, bool]] = []

    async def probe(ws: WebSocket) -> None:
        assert ws.client is not None
        seen.append((ws.url.path, ws.client.host, ws.url.scheme, isinstance(ws, Socket)))

    app.socket_endpoints = dict.fromkeys(app.socket_endpoints, probe)
    assert set(app.socket_endpoints) == {"/ws/widget", "/ws/agent"}

    def scope(path: str, client: str) -> dict[str, object]:
        return {
            "type": "websocket",
            "path": path,
            "root_path": "",
            "scheme": "ws",
            "query_string": b"",
            "server": ("127.0.0.1", 8000),
            "client": (client, 5000),
            "headers": [
                (b"host", b"x"),
                (b"x-forwarded-for", b"203.0.113.9, 10.1.2.3"),
                (b"x-forwarded-proto", b"https"),
            ],
            "subprotocols": [],
        }

    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await app(scope("/ws/widget", "10.1.2.3"), receive, send)  # through the trusted proxy
    await app(scope("/ws/agent", "198.51.100.7"), receive, send)  # not a proxy: as it is
    assert seen == [
        ("/ws/widget", "203.0.113.9", "wss", True),
        ("/ws/agent", "198.51.100.7", "ws", True),
    ]
    await app(scope("/ws/nowhere", "10.1.2.3"), receive, send)  # the router: no such route
    assert sent and sent[-1]["type"] == "websocket.close"
