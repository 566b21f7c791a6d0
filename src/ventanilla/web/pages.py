"""Server-rendered pages: login, the console's pages, the widget's files and the demo site."""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ventanilla.agents import service as agents
from ventanilla.agents.models import User
from ventanilla.cases.deadlines import PETITION_TYPES
from ventanilla.conversations.frames import request_type_label
from ventanilla.conversations.schemas import REQUEST_TYPES
from ventanilla.core.errors import AppError, NotFound
from ventanilla.core.i18n import LANG_TAGS, catalog, translate
from ventanilla.core.security import new_token, same
from ventanilla.web.deps import SESSION_COOKIE, AgentAuth, CtxDep, LangDep, client_ip

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
STATIC = HERE / "static"
LOGIN_CSRF_COOKIE = "vt_login_csrf"

templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter()


def _base_context(request: Request, lang: str, **extra: Any) -> dict[str, Any]:
    def t(key: str, **params: Any) -> str:
        return translate(lang, key, **params)

    return {"request": request, "t": t, "lang": LANG_TAGS[lang], "static_url": "/static", **extra}


@router.get("/widget.js", include_in_schema=False)
async def widget_js() -> FileResponse:
    return FileResponse(
        STATIC / "widget" / "widget.js",
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


@router.get("/widget.css", include_in_schema=False)
async def widget_css() -> FileResponse:
    return FileResponse(
        STATIC / "widget" / "widget.css",
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_page(request: Request, lang: LangDep) -> Response:
    token = new_token(24)
    response = templates.TemplateResponse(
        request,
        "console/login.html",
        _base_context(request, lang, csrf_token=token, error=None, email=""),
    )
    _set_login_csrf(request, response, token)
    return response


def _set_login_csrf(request: Request, response: Response, token: str) -> None:
    ctx = request.app.state.ctx
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=ctx.settings.secure_cookies,
        max_age=3600,
        path="/login",
    )


@router.post("/login", include_in_schema=False)
async def login_submit(
    request: Request,
    ctx: CtxDep,
    lang: LangDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    error_key: str | None = None
    result = None
    if not cookie or not csrf_token or not same(cookie, csrf_token):
        error_key = "error.csrf_failed"
    else:
        try:
            await ctx.logins.check(f"{client_ip(request)}|{email.strip().lower()}")
            result = await agents.login(ctx.db, email, password, ctx.settings.session_hours)
        except AppError as exc:
            error_key = f"error.{exc.code}"
            if exc.code == "rate_limited":
                error_key = "error.login_rate_limited"
    if result is None:
        token = new_token(24)
        response = templates.TemplateResponse(
            request,
            "console/login.html",
            _base_context(
                request,
                lang,
                csrf_token=token,
                email=email[:254],
                error=translate(lang, error_key or "error.login_failed"),
            ),
            status_code=429 if error_key == "error.login_rate_limited" else 400,
        )
        _set_login_csrf(request, response, token)
        return response
    await ctx.logins.reset(f"{client_ip(request)}|{email.strip().lower()}")
    redirect = RedirectResponse("/console", status_code=303)
    redirect.set_cookie(
        SESSION_COOKIE,
        result.token,
        httponly=True,
        samesite="strict",
        secure=ctx.settings.secure_cookies,
        max_age=int(ctx.settings.session_hours * 3600),
    )
    redirect.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return redirect


@router.post("/logout", include_in_schema=False)
async def logout(
    request: Request, ctx: CtxDep, csrf_token: Annotated[str, Form(max_length=100)] = ""
) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    try:
        async with ctx.db.unit() as uow:
            _, expected = await agents.authenticate(uow, token)
            if not same(expected, csrf_token):
                return Response(status_code=403)
            await agents.logout(uow, token)
    except AppError:
        log.debug("logout without a valid session")  # already logged out: just clear the cookie
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


async def console_page(
    request: Request,
    lang: str,
    template: str,
    active: str,
    role: str = "agent",
    extra: Callable[[Any], Awaitable[dict[str, Any]]] | None = None,
) -> Response:
    try:
        user: User = await AgentAuth(role)(request, request.app.state.ctx)
    except AppError as exc:
        if exc.status == 401:
            return RedirectResponse("/login", status_code=303)
        return HTMLResponse(
            f'<!doctype html><html lang="{LANG_TAGS[lang]}"><title>403</title><main><h1>'
            f"{html.escape(exc.message(lang))}</h1>"
            f'<p><a href="/console">{html.escape(translate(lang, "console.nav.workspace"))}</a>'
            "</p></main></html>",
            status_code=exc.status,
        )
    ctx = request.app.state.ctx
    context = _base_context(
        request,
        lang,
        user=user,
        csrf_token=request.state.csrf_token,
        socket_url=ctx.settings.public_socket_url,
        active=active,
        messages_json=json.dumps(catalog(lang), ensure_ascii=False).replace("</", "<\\/"),
        request_types=[{"code": c, "label": request_type_label(c, lang)} for c in REQUEST_TYPES],
        case_types=[
            {"code": c, "label": translate(lang, f"case_type.{c}"), "days": p.term_days}
            for c, p in PETITION_TYPES.items()
        ],
        presence=await ctx.presence.effective(user.id, user.presence),
    )
    if extra is not None:
        context.update(await extra(ctx))
    return templates.TemplateResponse(request, template, context)


@router.get("/", include_in_schema=False)
async def root(request: Request) -> Response:
    ctx = request.app.state.ctx
    return RedirectResponse("/demo" if ctx.settings.demo else "/console", status_code=303)


@router.get("/console", include_in_schema=False)
async def workspace(request: Request, lang: LangDep) -> Response:
    return await console_page(request, lang, "console/workspace.html", "workspace")


@router.get("/console/history", include_in_schema=False)
async def history(request: Request, lang: LangDep) -> Response:
    return await console_page(request, lang, "console/history.html", "history")


@router.get("/console/canned", include_in_schema=False)
async def canned(request: Request, lang: LangDep) -> Response:
    return await console_page(request, lang, "console/canned.html", "canned")


@router.get("/console/kb", include_in_schema=False)
async def kb_page(request: Request, lang: LangDep) -> Response:
    return await console_page(request, lang, "console/kb.html", "kb", role="supervisor")


@router.get("/console/reports", include_in_schema=False)
async def reports_page(request: Request, lang: LangDep) -> Response:
    return await console_page(request, lang, "console/reports.html", "reports")


@router.get("/console/settings", include_in_schema=False)
async def settings_page(request: Request, lang: LangDep) -> Response:
    return await console_page(request, lang, "console/settings.html", "settings", role="admin")


@router.get("/demo", response_class=HTMLResponse, include_in_schema=False)
async def demo_site(request: Request, ctx: CtxDep) -> Response:
    if not ctx.settings.demo:
        raise NotFound()
    demo = request.app.state.demo_login or {}
    return templates.TemplateResponse(
        request,
        "demo_site.html",
        {
            "request": request,
            "base_url": ctx.settings.base_url.rstrip("/"),
            "agent_email": demo.get("email", ""),
            "agent_password": demo.get("password", ""),
        },
    )
