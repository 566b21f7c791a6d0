"""Operations endpoints and middleware: ``/healthz``, ``/metrics``, request timing, and the
client address behind a trusted reverse proxy."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import time
from collections.abc import Awaitable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from ventanilla.core import probes
from ventanilla.core.metrics import Metrics, handler_group

router = APIRouter(include_in_schema=False)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(cidrs: list[str]) -> list[Network]:
    return [ipaddress.ip_network(c, strict=False) for c in cidrs]


def _in(host: str | None, nets: list[Network]) -> bool:
    if not host:
        return False
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(ip in net for net in nets)


HEALTH_TIMEOUT = 3.0
"""Seconds each check may take. A check that waits longer counts as unreachable: a load balancer
needs a prompt answer, and a database whose pool is stuck behind failing connections (SQLAlchemy
queues waiters for up to ``pool_timeout``) is as good as down."""


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    """200 when this process reaches the database and the broker; 503 (and which) otherwise."""
    ctx = request.app.state.ctx
    checks = {
        "database": await _check(_ping_database(ctx)),
        "broker": await _check(ctx.hub.broker.ping()),
    }
    healthy = all(v == "ok" for v in checks.values())
    body: dict[str, Any] = {"status": "ok" if healthy else "unhealthy", **checks}
    return JSONResponse(body, status_code=200 if healthy else 503)


async def _ping_database(ctx: Any) -> None:
    async with ctx.db.unit() as uow:
        await probes.ping(uow.session)


async def _check(probe: Awaitable[Any]) -> str:
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT):
            await probe
    except Exception:
        return "unreachable"
    return "ok"


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus text format; only for ``metrics.allow`` addresses or the bearer token."""
    ctx = request.app.state.ctx
    settings = ctx.settings.metrics
    token = settings.token
    sent = request.headers.get("authorization", "")
    by_token = bool(token) and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
    client = request.client.host if request.client else None
    if not by_token and not _in(client, networks(settings.allow)):
        return PlainTextResponse("forbidden\n", status_code=403)
    text = await ctx.metrics.render(ctx)
    return PlainTextResponse(text, media_type="text/plain; version=0.0.4; charset=utf-8")


class RequestTimer:
    """Feeds the request-latency histogram (HTTP only; websockets are long-lived)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.metrics.observe_request(handler_group(scope["path"]), time.perf_counter() - start)


class ProxyHeaders:
    """Behind nginx every client seems to be nginx: take the client address (and scheme) from
    ``X-Forwarded-For``/``-Proto``, but only from ``cluster.trusted_proxies``. Rate limits and
    the ``/metrics`` allow-list depend on it."""

    def __init__(self, app: ASGIApp, trusted: list[str]) -> None:
        self.app = app
        self.trusted = networks(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            self.apply(scope)
        await self.app(scope, receive, send)

    def apply(self, scope: Scope) -> None:
        """Rewrite ``client`` and ``scheme`` of a scope that came through a trusted proxy (also
        used by app.py's direct websocket dispatch)."""
        if self.trusted:
            client = scope.get("client")
            if client and _in(client[0], self.trusted):
                self._rewrite(scope)

    def _rewrite(self, scope: Scope) -> None:
        forwarded_for, proto = "", ""
        for key, value in scope["headers"]:
            if key == b"x-forwarded-for":
                forwarded_for = value.decode("latin-1")
            elif key == b"x-forwarded-proto":
                proto = value.decode("latin-1").strip().lower()
        hosts = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        for host in reversed(hosts):  # the nearest address not of a trusted proxy
            if not _in(host, self.trusted):
                scope["client"] = (host, 0)
                break
        if proto in ("http", "https"):
            ws = scope["type"] == "websocket"
            scope["scheme"] = ("wss" if proto == "https" else "ws") if ws else proto
