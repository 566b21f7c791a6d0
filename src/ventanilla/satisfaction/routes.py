"""Ratings over HTTP: the widget's survey, agents' and supervisors' figures, the console page.

The emailed survey page is in ``survey_routes.py``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response

from ventanilla.conversations import service as conversations
from ventanilla.conversations.widget_routes import _bearer
from ventanilla.satisfaction import service
from ventanilla.satisfaction.schemas import (
    AgentRatings,
    RatingIn,
    RatingOut,
    RatingState,
    RatingsView,
)
from ventanilla.web.deps import CtxDep, CurrentAgent, CurrentSupervisor, LangDep
from ventanilla.web.origins import widget_origin
from ventanilla.web.pages import console_page

widget_router = APIRouter(prefix="/api/widget", dependencies=[Depends(widget_origin)])
agent_router = APIRouter(prefix="/api/agent/ratings")
page_router = APIRouter()


@widget_router.get("/rating")
async def rating_state(
    ctx: CtxDep, authorization: Annotated[str | None, Header()] = None
) -> RatingState:
    """Whether the citizen's conversation is rated, or can be (the widget asks after a reload)."""
    async with ctx.db.unit() as uow:
        conv = await conversations.by_token(uow, _bearer(authorization))
        return await service.state(uow, conv.id, conv.status)


@widget_router.post("/rating", status_code=201)
async def rate(
    data: RatingIn, ctx: CtxDep, authorization: Annotated[str | None, Header()] = None
) -> RatingOut:
    """The citizen rates their own closed conversation (the token says which), once."""
    async with ctx.db.unit() as uow:
        conv = await conversations.by_token(uow, _bearer(authorization))
        rating = await service.submit(uow, conv.id, data, "chat")
        return service.rating_out(rating)


@agent_router.get("")
async def ratings(
    ctx: CtxDep, user: CurrentAgent, lang: LangDep, agent_id: int | None = None, days: int = 30
) -> RatingsView:
    """Figures and recent comments: an agent's own; a supervisor's choice (all, or one agent)."""
    async with ctx.db.unit() as uow:
        return await service.view(uow, service.visible_agent(user, agent_id), days, lang)


@agent_router.get("/agents")
async def ratings_by_agent(
    ctx: CtxDep, user: CurrentSupervisor, days: int = 30
) -> list[AgentRatings]:
    async with ctx.db.unit() as uow:
        return await service.per_agent(uow, days)


@page_router.get("/console/ratings", include_in_schema=False)
async def ratings_page(request: Request, lang: LangDep) -> Response:
    return await console_page(request, lang, "console/ratings.html", "ratings")
