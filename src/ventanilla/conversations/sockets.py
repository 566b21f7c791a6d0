"""The two websockets of docs/protocol.md: the citizen's widget and the agent's console."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from ventanilla.agents import service as agents
from ventanilla.agents.models import User
from ventanilla.assistant import flow as assistant
from ventanilla.assistant import jobs as assistant_jobs
from ventanilla.cases import chat_lookup as case_lookup
from ventanilla.context import Context
from ventanilla.conversations import repository, service
from ventanilla.conversations.frames import (
    AGENTS,
    agent_channel,
    citizen_channel,
    citizen_view,
    event_frame,
    user_channel,
)
from ventanilla.conversations.hub import CatchUp, Connection
from ventanilla.conversations.routes import summaries
from ventanilla.conversations.seen import SeenMarks
from ventanilla.conversations.socket_loop import (
    CLOSE_AUTH,
    CLOSE_ORIGIN,
    FrameError,
    close_with,
    receive_frame,
    serve,
)
from ventanilla.core.db import encode_envelope
from ventanilla.core.errors import AppError
from ventanilla.core.i18n import resolve_lang
from ventanilla.reports.recorder import presence_changed
from ventanilla.web.deps import SESSION_COOKIE
from ventanilla.web.origins import origin_allowed

router = APIRouter()


def _catch_up(ctx: Context, *, include_internal: bool) -> CatchUp:
    async def read(conversation_id: str, after: int) -> list[tuple[int, str]]:
        async with ctx.db.unit() as uow:
            rows = await repository.events_after(
                uow.session, conversation_id, after, include_internal=include_internal
            )
        return [(e.seq, orjson.dumps(event_frame(e)).decode()) for e in rows]

    return read


def _int(frame: dict[str, Any], key: str) -> int:
    value = frame.get(key, 0)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise FrameError("frame_invalid")
    return value


def _str(frame: dict[str, Any], key: str) -> str:
    value = frame.get(key)
    if not isinstance(value, str):
        raise FrameError("frame_invalid")
    return value


async def _typing(
    ctx: Context, channel: str, conv_id: str, role: str, name: str, active: Any
) -> None:
    frame = {
        "type": "typing",
        "conversation_id": conv_id,
        "role": role,
        "name": name,
        "active": bool(active),
    }
    await ctx.hub.broker.publish(channel, encode_envelope(0, frame))


@router.websocket("/ws/widget")
async def widget_socket(ws: WebSocket) -> None:
    ctx: Context = ws.app.state.ctx
    marks: SeenMarks = ws.app.state.seen_marks
    lang = resolve_lang(ws.headers.get("accept-language"))
    await ws.accept()
    if not await origin_allowed(ctx, ws.headers.get("origin")):
        await close_with(ws, CLOSE_ORIGIN, "origin_not_allowed", lang)
        return
    try:
        hello = await receive_frame(ws, ctx, ctx.settings.realtime.hello_timeout_seconds)
        if hello["type"] != "hello":
            raise FrameError("frame_invalid")
        lang = resolve_lang(hello.get("lang") or lang)
        async with ctx.db.unit() as uow:
            conv = await service.by_token(
                uow, hello.get("token") if isinstance(hello.get("token"), str) else None
            )
            names = await repository.agent_names(
                uow.session, {conv.agent_id} if conv.agent_id else set()
            )
        last_seq = _int(hello, "last_seq")
    except (AppError, TimeoutError, WebSocketDisconnect):
        await close_with(ws, CLOSE_AUTH, "token_invalid", lang)
        return

    conv_id, citizen = conv.id, ("citizen", None, conv.citizen_name)
    max_chars = ctx.settings.limits.message_max_chars
    conn = Connection(
        ws, _catch_up(ctx, include_internal=False), ctx.settings.limits.send_queue_frames
    )
    conn.send_json(
        {
            "type": "welcome",
            "conversation": citizen_view(conv, names.get(conv.agent_id or 0)),
            "heartbeat_seconds": ctx.settings.realtime.heartbeat_seconds,
        }
    )
    # This frame lives as long as the socket: keep no rows, session or request data in it.
    del conv, names, hello, uow
    conn.follow(conv_id, last_seq)
    await ctx.hub.join(conn, citizen_channel(conv_id))

    async def on_message(frame: dict[str, Any]) -> None:
        client_id = _str(frame, "client_id")
        body = service.check_message(client_id, _str(frame, "body"), max_chars)
        await ctx.citizen_messages.check(conv_id)
        posted = await ctx.writer.post(
            conv_id, author=citizen, client_id=client_id, body=body, internal=False
        )
        conn.send_json(
            {
                "type": "ack",
                "client_id": client_id,
                "seq": posted.seq,
                "created_at": posted.created_at,
            }
        )
        # Only conversations without a person may get the assistant: skip its task otherwise
        # (but a case-status lookup is answered whoever attends: cases/chat_lookup.py).
        if posted.created and (
            posted.status in ("assistant", "waiting") or case_lookup.candidate(body)
        ):
            assistant_jobs.after_citizen_message(ctx, conv_id, posted.seq)

    async def on_typing(frame: dict[str, Any]) -> None:
        await _typing(
            ctx, agent_channel(conv_id), conv_id, "citizen", citizen[2], frame.get("active")
        )

    async def on_seen(frame: dict[str, Any]) -> None:
        marks.mark(conv_id, "citizen", _int(frame, "seq"))  # committed with others soon

    async def on_resume(frame: dict[str, Any]) -> None:
        conn.follow(conv_id, _int(frame, "last_seq"))

    async def on_end(frame: dict[str, Any]) -> None:
        async with ctx.db.unit() as uow:
            await service.close(uow, conv_id, by=citizen, settings=ctx.settings)

    handlers = {
        "message": on_message,
        "typing": on_typing,
        "seen": on_seen,
        "resume": on_resume,
        "end": on_end,
        **assistant.widget_handlers(ctx, conv_id, citizen),
    }
    try:
        await serve(ws, ctx, conn, handlers, lang)
    finally:
        await ctx.hub.leave_all(conn)
        await conn.stop()


async def _agent_from_cookie(ctx: Context, ws: WebSocket) -> User | None:
    origin = (ws.headers.get("origin") or "").lower().rstrip("/")
    host = ws.headers.get("host", "").lower()
    if origin and origin != ctx.own_origin and origin.split("://", 1)[-1] != host:
        return None  # cross-site websocket hijacking: only the console's own pages may connect
    try:
        async with ctx.db.unit() as uow:
            user, _ = await agents.authenticate(uow, ws.cookies.get(SESSION_COOKIE))
    except AppError:
        return None
    return user


@router.websocket("/ws/agent")
async def agent_socket(ws: WebSocket) -> None:
    ctx: Context = ws.app.state.ctx
    marks: SeenMarks = ws.app.state.seen_marks
    lang = resolve_lang(ws.headers.get("accept-language"))
    await ws.accept()
    user = await _agent_from_cookie(ctx, ws)
    if user is None:
        await close_with(ws, CLOSE_AUTH, "not_authenticated", lang)
        return
    try:
        hello = await receive_frame(ws, ctx, ctx.settings.realtime.hello_timeout_seconds)
        lang = resolve_lang(hello.get("lang") or lang)
    except (AppError, TimeoutError, WebSocketDisconnect):
        await close_with(ws, CLOSE_AUTH, "frame_invalid", lang)
        return

    author = ("agent", user.id, user.display_name)
    max_chars = ctx.settings.limits.message_max_chars
    conn = Connection(
        ws, _catch_up(ctx, include_internal=True), ctx.settings.limits.send_queue_frames
    )
    await ctx.hub.join(conn, AGENTS)
    await ctx.hub.join(conn, user_channel(user.id))
    first = await ctx.presence.connect(user.id)
    async with ctx.db.unit() as uow:
        queue = await summaries(uow, await repository.waiting(uow.session), lang)
        mine = await summaries(uow, await repository.assigned_to(uow.session, user.id), lang)
        count = await repository.active_count(uow.session, user.id)
        if first:
            await presence_changed(uow.session, user.id, user.presence)  # reports
            uow.publish(
                AGENTS,
                {
                    "type": "presence",
                    "agent_id": user.id,
                    "presence": user.presence,
                    "active_chats": count,
                },
            )
    me = {k: getattr(user, k) for k in ("id", "email", "name", "display_name", "role", "max_chats")}
    me["presence"] = user.presence
    conn.send_json(
        {
            "type": "welcome",
            "agent": me,
            "queue": [s.model_dump(mode="json") for s in queue],
            "mine": [s.model_dump(mode="json") for s in mine],
            "heartbeat_seconds": ctx.settings.realtime.heartbeat_seconds,
        }
    )
    del queue, mine, me, uow, hello  # this frame lives as long as the socket: keep it small

    async def on_subscribe(frame: dict[str, Any]) -> None:
        conv_id, last_seq = _str(frame, "conversation_id"), _int(frame, "last_seq")
        async with ctx.db.unit() as uow:
            service.check_can_view(user, await service.get(uow, conv_id))
        conn.follow(conv_id, last_seq)
        await ctx.hub.join(conn, agent_channel(conv_id))

    async def on_unsubscribe(frame: dict[str, Any]) -> None:
        conv_id = _str(frame, "conversation_id")
        conn.unfollow(conv_id)
        await ctx.hub.leave(conn, agent_channel(conv_id))

    def _followed(frame: dict[str, Any]) -> str:
        conv_id = _str(frame, "conversation_id")
        if conv_id not in conn.last_sent:
            raise AppError("not_found", 404)
        return conv_id

    async def on_message(frame: dict[str, Any]) -> None:
        client_id = _str(frame, "client_id")
        conv_id = _str(frame, "conversation_id")
        body = service.check_message(client_id, _str(frame, "body"), max_chars)
        posted = await ctx.writer.post(
            conv_id,
            author=author,
            client_id=client_id,
            body=body,
            internal=bool(frame.get("internal")),
        )
        conn.send_json(
            {
                "type": "ack",
                "client_id": client_id,
                "seq": posted.seq,
                "conversation_id": conv_id,
                "created_at": posted.created_at,
            }
        )

    async def on_typing(frame: dict[str, Any]) -> None:
        conv_id = _followed(frame)
        await _typing(
            ctx, citizen_channel(conv_id), conv_id, "agent", user.display_name, frame.get("active")
        )

    async def on_seen(frame: dict[str, Any]) -> None:
        marks.mark(_followed(frame), "agent", _int(frame, "seq"))  # committed with others soon

    async def on_resume(frame: dict[str, Any]) -> None:
        conn.follow(_followed(frame), _int(frame, "last_seq"))

    handlers = {
        "subscribe": on_subscribe,
        "unsubscribe": on_unsubscribe,
        "message": on_message,
        "typing": on_typing,
        "seen": on_seen,
        "resume": on_resume,
    }
    try:
        await serve(ws, ctx, conn, handlers, lang)
    finally:
        await ctx.hub.leave_all(conn)
        await conn.stop()
        if await asyncio.shield(ctx.presence.disconnect(user.id)):
            await asyncio.shield(announce_gone(ctx, user.id))


async def announce_gone(ctx: Context, user_id: int) -> None:
    async with ctx.db.unit() as uow:
        count = await repository.active_count(uow.session, user_id)
        await presence_changed(uow.session, user_id, "disconnected")  # reports
        uow.publish(
            AGENTS,
            {
                "type": "presence",
                "agent_id": user_id,
                "presence": "disconnected",
                "active_chats": count,
            },
        )
