"""FastAPI dependencies shared by every router: context, language, current agent, CSRF."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ventanilla.agents import service as agents
from ventanilla.agents.models import User
from ventanilla.context import Context
from ventanilla.core.errors import Forbidden
from ventanilla.core.i18n import resolve_lang
from ventanilla.core.security import same

SESSION_COOKIE = "vt_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_ctx(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def get_lang(request: Request) -> str:
    return resolve_lang(request.query_params.get("lang") or request.headers.get("accept-language"))


CtxDep = Annotated[Context, Depends(get_ctx)]
LangDep = Annotated[str, Depends(get_lang)]


class AgentAuth:
    """The logged-in staff member; checks the role and, on unsafe methods, the CSRF header."""

    def __init__(self, role: str = "agent") -> None:
        self.role = role

    async def __call__(self, request: Request, ctx: CtxDep) -> User:
        async with ctx.db.unit() as uow:
            user, csrf = await agents.authenticate(uow, request.cookies.get(SESSION_COOKIE))
        if request.method not in SAFE_METHODS:
            sent = request.headers.get("x-csrf-token", "")
            if not sent or not same(sent, csrf):
                raise Forbidden("csrf_failed")
        agents.require_role(user, self.role)
        request.state.csrf_token = csrf
        return user


CurrentAgent = Annotated[User, Depends(AgentAuth("agent"))]
CurrentSupervisor = Annotated[User, Depends(AgentAuth("supervisor"))]
CurrentAdmin = Annotated[User, Depends(AgentAuth("admin"))]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
