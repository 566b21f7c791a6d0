"""The receive side shared by both websockets: size and JSON checks, heartbeats, errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from starlette.types import Message, Receive, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from ventanilla.context import Context
from ventanilla.conversations.hub import Connection
from ventanilla.core.errors import AppError
from ventanilla.core.i18n import translate

log = logging.getLogger(__name__)

CLOSE_AUTH = 4401
CLOSE_ORIGIN = 4403
CLOSE_TIMEOUT = 4408

Handler = Callable[[dict[str, Any]], Awaitable[None]]


class Socket(WebSocket):
    """Starlette's WebSocket, also giving the server's raw ASGI ``receive`` and ``send``.

    The hot path (``serve`` below, ``hub.Connection``) uses them directly: Starlette's wrappers
    re-check the state and wrap every frame in coroutines, and Granian's ``send`` returns a
    future-like object that a done-callback can follow without a task."""

    @property
    def raw_receive(self) -> Receive:
        return self._receive

    @property
    def raw_send(self) -> Send:
        return self._send


class FrameError(AppError):
    """A websocket frame the protocol does not allow; answered with an error frame."""


def error_frame(exc: AppError, lang: str, client_id: Any = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": exc.code, "message": exc.message(lang)}
    if isinstance(client_id, str):
        frame["client_id"] = client_id
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        frame["retry_after"] = round(float(retry_after), 1)
    return frame


async def receive_frame(ws: WebSocket, ctx: Context, wait: float) -> dict[str, Any]:
    """The next JSON object from the peer within ``wait`` seconds (the ``hello``)."""
    async with asyncio.timeout(wait):
        message = await ws.receive()
    return parse_frame(message, ctx.settings.limits.frame_max_bytes)


def parse_frame(message: Message, max_bytes: int) -> dict[str, Any]:
    """A received ASGI message as a frame; FrameError for bad frames, Disconnect on close."""
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    if text is None:
        raise FrameError("frame_invalid")
    if len(text) > max_bytes:
        raise FrameError("frame_too_large")
    try:
        frame = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise FrameError("frame_invalid") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise FrameError("frame_invalid")
    return frame


async def close_with(ws: WebSocket, code: int, reason_key: str, lang: str) -> None:
    with contextlib.suppress(Exception):
        await ws.close(code, reason=translate(lang, f"error.{reason_key}")[:120])


async def serve(
    ws: WebSocket, ctx: Context, conn: Connection, handlers: Mapping[str, Handler], lang: str
) -> None:
    """Read frames until the peer leaves or stops answering heartbeats.

    The hub's single heartbeat task pings every socket and, when one has been silent for three
    beats, cancels its reader (this coroutine), which then closes it with 4408. So receiving a
    frame needs no timer of its own.
    """
    heartbeat = ctx.hub.heartbeat
    loop = asyncio.get_running_loop()
    receive = ws.raw_receive if isinstance(ws, Socket) else ws.receive
    max_bytes = ctx.settings.limits.frame_max_bytes
    conn.reader = asyncio.current_task()
    heartbeat.add(conn, ctx.settings.realtime.heartbeat_seconds)
    try:
        while not conn.closed:
            frame: dict[str, Any] = {}
            try:
                message = await receive()
                conn.last_heard = loop.time()
                frame = parse_frame(message, max_bytes)
                kind = frame["type"]
                if kind == "ping":
                    conn.send_json({"type": "pong"})
                    continue
                if kind == "pong":
                    continue
                handler = handlers.get(kind)
                if handler is None:
                    raise FrameError("frame_invalid")
                await handler(frame)
            except AppError as exc:
                conn.send_json(error_frame(exc, lang, frame.get("client_id")))
            except (KeyError, TypeError, ValueError):
                conn.send_json(
                    error_frame(FrameError("frame_invalid"), lang, frame.get("client_id"))
                )
    except asyncio.CancelledError:
        if not conn.expired:
            raise
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
        await close_with(ws, CLOSE_TIMEOUT, "heartbeat_timeout", lang)
    except (WebSocketDisconnect, RuntimeError):
        log.debug("socket closed by the peer")
    finally:
        heartbeat.discard(conn)
        conn.reader = None
