"""The application factory. Nothing happens at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIWebSocketRoute
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from ventanilla import __version__
from ventanilla.agents.routes import router as agents_router
from ventanilla.assistant.flow import warm as warm_assistant
from ventanilla.assistant.jobs import register_jobs as register_assistant_jobs
from ventanilla.canned.routes import router as canned_router
from ventanilla.cases.jobs import register_jobs as register_case_jobs
from ventanilla.cases.routes import citizen_router as cases_citizen_router
from ventanilla.cases.routes import router as cases_router
from ventanilla.context import Context
from ventanilla.conversations.routes import history_router
from ventanilla.conversations.routes import router as conversations_router
from ventanilla.conversations.seen import SeenMarks
from ventanilla.conversations.socket_loop import Socket
from ventanilla.conversations.sockets import announce_gone
from ventanilla.conversations.sockets import router as sockets_router
from ventanilla.conversations.widget_routes import router as widget_router
from ventanilla.core import heap
from ventanilla.core.errors import AppError
from ventanilla.core.i18n import resolve_lang, translate
from ventanilla.core.ops import ProxyHeaders, RequestTimer
from ventanilla.core.ops import router as ops_router
from ventanilla.entity.routes import admin_router
from ventanilla.entity.routes import widget_router as widget_config_router
from ventanilla.kb.routes import router as kb_router
from ventanilla.live.routes import router as live_router
from ventanilla.notifications.routes import link_router
from ventanilla.notifications.routes import router as mail_router
from ventanilla.notifications.worker import MailWorker
from ventanilla.reports import digest as reports_digest
from ventanilla.reports.routes import router as reports_router
from ventanilla.satisfaction.routes import agent_router as ratings_router
from ventanilla.satisfaction.routes import page_router as ratings_pages
from ventanilla.satisfaction.routes import widget_router as rating_widget_router
from ventanilla.satisfaction.survey_routes import router as survey_router
from ventanilla.settings import Settings
from ventanilla.web.origins import cors_headers
from ventanilla.web.pages import STATIC
from ventanilla.web.pages import router as pages_router
from ventanilla.web.socket_server import SocketServer
from ventanilla.web.socket_server import start as start_sockets


def content_security_policy(socket_url: str = "") -> str:
    """Our pages' CSP; ``socket_url``: the websockets' own listener, when they have one."""
    connect = f"'self' {socket_url}".strip()
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


CSP = content_security_policy()


SocketEndpoint = Callable[[WebSocket], Awaitable[None]]


class Ventanilla(FastAPI):
    """FastAPI, with the chat's websockets handed straight to their endpoints.

    Through the middleware stack and the router, every open socket kept about 10 KiB of
    coroutine frames and closures alive for its whole life (Starlette's error and exception
    middlewares, ours, FastAPI's routing wrappers), and each frame paid for them. The HTTP-only
    middlewares do nothing for websockets; what matters for them is kept here: the client
    address behind a trusted proxy (``ProxyHeaders.apply``). The endpoints check the origin
    and count themselves in the hub (``/metrics``). Other websocket paths go the usual way.
    """

    socket_endpoints: dict[str, SocketEndpoint]
    socket_proxy: ProxyHeaders | None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            path: str = scope["path"]
            root: str = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            endpoint = self.socket_endpoints.get(path)
            if endpoint is not None:
                scope["app"] = self
                if self.socket_proxy is not None:
                    self.socket_proxy.apply(scope)
                await endpoint(Socket(scope, receive, send))
                return
        await super().__call__(scope, receive, send)


def create_app(
    settings: Settings | None = None,
    *,
    demo_login: dict[str, str] | None = None,
    server_heap: bool = False,
) -> FastAPI:
    """``server_heap``: this process is a server worker, tune its garbage collector
    (``core/heap.py``; not for apps created inside another program, such as the tests)."""
    settings = settings or Settings()
    ctx = Context.build(settings)
    register_case_jobs(ctx)  # the daily PQRSD summary (cases/jobs.py)
    reports_digest.register(ctx.jobs)
    register_assistant_jobs(ctx)  # replies left by a stopped process (assistant/jobs.py)
    seen_marks = SeenMarks(ctx.db)  # the sockets' `seen` frames, committed together

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await ctx.hub.start()
        await ctx.presence.start(on_gone=lambda users: _announce_all_gone(ctx, users))
        ctx.mail_worker = MailWorker(ctx.db, settings)
        ctx.mail_worker.start(ctx.jobs)
        # build the engine now, not when the first citizen asks
        warm_assistant(ctx, then=heap.freeze if server_heap else None)
        ctx.jobs.start(ctx)
        ctx.metrics.start(ctx)
        sockets = await _socket_listener(app, settings)
        if server_heap:
            heap.tune()
            heap.freeze()
        try:
            yield
        finally:
            if sockets is not None:
                await sockets.stop()
            await ctx.metrics.stop(ctx)
            await ctx.jobs.stop()
            await ctx.assistant.idle()
            await ctx.mail_worker.stop()
            await seen_marks.flush()
            await ctx.presence.stop()
            await ctx.hub.stop()
            if ctx.redis is not None:
                await ctx.redis.aclose()
            await ctx.db.dispose()

    app = Ventanilla(
        title="Ventanilla",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.state.demo_login = demo_login
    app.state.seen_marks = seen_marks
    for router in (
        pages_router,
        widget_config_router,
        widget_router,
        agents_router,
        conversations_router,
        history_router,
        canned_router,
        admin_router,
        mail_router,
        link_router,
        cases_router,
        cases_citizen_router,
        kb_router,
        rating_widget_router,
        ratings_router,
        ratings_pages,
        survey_router,
        live_router,
        reports_router,
        sockets_router,
        ops_router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    _install_error_handlers(app)
    app.add_middleware(SecurityHeaders, csp=content_security_policy(settings.public_socket_url))
    app.add_middleware(RequestTimer, metrics=ctx.metrics)
    app.add_middleware(ProxyHeaders, trusted=settings.cluster.trusted_proxies)
    app.socket_endpoints = {
        r.path: r.endpoint for r in sockets_router.routes if isinstance(r, APIWebSocketRoute)
    }
    trusted = settings.cluster.trusted_proxies
    app.socket_proxy = ProxyHeaders(app, trusted=trusted) if trusted else None
    return app


SOCKET_PATHS = ("/ws/widget", "/ws/agent", "/ws/live")


async def _socket_listener(app: FastAPI, settings: Settings) -> SocketServer | None:
    """The websockets' own listener in this worker, when ``realtime.sockets_port`` is set."""
    rt = settings.realtime
    if not rt.sockets_port:
        return None
    scheme = "wss" if settings.public_socket_url.startswith("wss") else "ws"
    return await start_sockets(
        app, host=rt.sockets_host, port=rt.sockets_port, paths=SOCKET_PATHS, scheme=scheme
    )


async def _announce_all_gone(ctx: Context, users: list[int]) -> None:
    """Agents whose only consoles were on a process that died are now disconnected."""
    for user_id in users:
        await announce_gone(ctx, user_id)


def _lang(request: Request) -> str:
    return resolve_lang(request.query_params.get("lang") or request.headers.get("accept-language"))


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> JSONResponse:
        headers = {}
        origin = getattr(request.state, "cors_origin", None)
        if origin:
            headers.update(cors_headers(origin))
        retry = getattr(exc, "retry_after", None)
        if retry is not None:
            headers["Retry-After"] = str(max(1, round(retry)))
        return JSONResponse(exc.body(_lang(request)), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(loc) or None
        kind = str(first.get("type", ""))
        code = (
            "field_too_long"
            if "too_long" in kind
            else ("field_required" if kind == "missing" else "field_invalid")
        )
        lang = _lang(request)
        body = {
            "error": {
                "code": code,
                "message": translate(lang, f"error.{code}", name=field or ""),
                "field": field,
            }
        }
        headers = {}
        origin = getattr(request.state, "cors_origin", None)
        if origin:
            headers.update(cors_headers(origin))
        return JSONResponse(body, status_code=422, headers=headers)


class SecurityHeaders:
    """Standard hardening headers; a strict CSP on our own pages (not on the embeddable files)."""

    def __init__(self, app: ASGIApp, csp: str = CSP) -> None:
        self.app = app
        self.csp = csp.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"strict-origin-when-cross-origin"))
                if path.startswith(("/console", "/login")):
                    headers.append((b"content-security-policy", self.csp))
                    headers.append((b"x-frame-options", b"DENY"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def app_from_env() -> FastAPI:
    """Entry point for Granian workers: settings from the environment."""
    import json
    import os

    demo = os.environ.get("VENTANILLA_DEMO_LOGIN")
    return create_app(Settings(), demo_login=json.loads(demo) if demo else None, server_heap=True)
