"""The citizen's REST endpoints: start a conversation and read it back."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response

from ventanilla.assistant import flow as assistant
from ventanilla.conversations import repository, service
from ventanilla.conversations.frames import citizen_view, event_frame
from ventanilla.conversations.schemas import StartIn, StartOut
from ventanilla.core.db import utcnow
from ventanilla.entity.hours import is_open
from ventanilla.web.deps import CtxDep, client_ip
from ventanilla.web.origins import cors_headers, widget_origin

router = APIRouter(prefix="/api/widget", dependencies=[Depends(widget_origin)])


@router.options("/{rest:path}", status_code=204)
async def preflight(rest: str, request: Request) -> Response:
    origin = getattr(request.state, "cors_origin", None)
    return Response(status_code=204, headers=cors_headers(origin) if origin else None)


@router.post("/conversations", status_code=201)
async def start_conversation(data: StartIn, ctx: CtxDep, request: Request) -> StartOut:
    async with ctx.db.unit() as uow:
        entity = await ctx.entity.get(uow)
        # Validate first, count the attempt only when it would create something.
        await ctx.conversation_starts.check(client_ip(request))
        attended = is_open(entity.office_hours, utcnow()) and await ctx.someone_attends(uow)
        status = "assistant" if await assistant.accepting(ctx, uow, entity) else "waiting"
        conv, token = await service.start(
            uow,
            data,
            entity,
            ctx.settings.limits,
            channel="chat" if attended else "offline",
            status=status,
        )
    if status == "assistant":
        assistant.warm(ctx)
    return StartOut(conversation_id=conv.id, token=token, status=conv.status)


def _bearer(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


@router.get("/conversation")
async def read_conversation(
    ctx: CtxDep,
    authorization: Annotated[str | None, Header()] = None,
    after_seq: int = 0,
) -> dict[str, Any]:
    async with ctx.db.unit() as uow:
        conv = await service.by_token(uow, _bearer(authorization))
        events = await repository.events_after(
            uow.session, conv.id, max(0, after_seq), include_internal=False
        )
        names = await repository.agent_names(
            uow.session, {conv.agent_id} if conv.agent_id else set()
        )
    frames = [{k: v for k, v in event_frame(e).items() if k != "type"} for e in events]
    return {"conversation": citizen_view(conv, names.get(conv.agent_id or 0)), "events": frames}
