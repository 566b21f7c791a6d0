"""The live view: its console page, its snapshot, and a websocket for supervisors.

The websocket joins the consoles' ``agents`` broker channel (queue added/removed, waiting
conversations that changed, presence and load) and forwards those frames as they are. It does
not count as the supervisor's presence: watching is not attending.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import Response
from starlette.websockets import WebSocketDisconnect

from ventanilla.agents.service import require_role
from ventanilla.context import Context
from ventanilla.conversations.frames import AGENTS
from ventanilla.conversations.hub import Connection
from ventanilla.conversations.socket_loop import CLOSE_AUTH, close_with, receive_frame, serve
from ventanilla.conversations.sockets import _agent_from_cookie
from ventanilla.core.errors import AppError
from ventanilla.core.i18n import resolve_lang
from ventanilla.live import service
from ventanilla.live.schemas import LiveSnapshot
from ventanilla.web.deps import CtxDep, CurrentSupervisor, LangDep
from ventanilla.web.pages import console_page

router = APIRouter()


@router.get("/console/live", include_in_schema=False)
async def live_page(request: Request, lang: LangDep) -> Response:
    return await console_page(request, lang, "console/live.html", "live", role="supervisor")


@router.get("/api/agent/live")
async def live_snapshot(ctx: CtxDep, user: CurrentSupervisor, lang: LangDep) -> LiveSnapshot:
    async with ctx.db.unit() as uow:
        return await service.snapshot(ctx, uow, lang)


async def _no_catch_up(conversation_id: str, after: int) -> list[tuple[int, bytes]]:
    return []  # this socket follows no conversation: only channel-wide frames


@router.websocket("/ws/live")
async def live_socket(ws: WebSocket) -> None:
    ctx: Context = ws.app.state.ctx
    lang = resolve_lang(ws.headers.get("accept-language"))
    await ws.accept()
    user = await _agent_from_cookie(ctx, ws)
    try:
        if user is None:
            raise AppError("not_authenticated", 401)
        require_role(user, "supervisor")
        hello = await receive_frame(ws, ctx, ctx.settings.realtime.hello_timeout_seconds)
        if hello["type"] != "hello":
            raise AppError("frame_invalid")
        lang = resolve_lang(hello.get("lang") or lang)
    except (AppError, TimeoutError):
        await close_with(ws, CLOSE_AUTH, "not_authenticated", lang)
        return
    except WebSocketDisconnect:
        return
    conn = Connection(ws, _no_catch_up, ctx.settings.limits.send_queue_frames)
    await ctx.hub.join(conn, AGENTS)
    async with ctx.db.unit() as uow:
        snap = await service.snapshot(ctx, uow, lang)
    conn.send_json(
        {
            "type": "welcome",
            "snapshot": snap.model_dump(mode="json"),
            "heartbeat_seconds": ctx.settings.realtime.heartbeat_seconds,
        }
    )
    try:
        await serve(ws, ctx, conn, {}, lang)
    finally:
        await ctx.hub.leave_all(conn)
        await conn.stop()
