"""A bare websocket relay with no persistence: the ceiling Ventanilla is measured against.

A raw ASGI app (no framework, no database, no broker) served by the same Granian with the same
settings as ``ventanilla serve``. It speaks just enough of docs/protocol.md for bench/load.py to
drive it exactly like Ventanilla, with frames of the same shape and size:

* ``/ws/widget``: ``hello`` (the ``token`` is the room id) -> ``welcome``; the socket is the
  citizen of that room.
* ``/ws/agent``: ``hello`` -> ``welcome``; ``subscribe`` with a ``conversation_id`` makes the
  socket an agent of that room (one socket may follow many rooms, like the console).
* ``message`` -> ``ack`` to the sender and an ``event`` (same fields as Ventanilla's) to the
  other side of the room. ``typing``/``seen`` are forwarded to the other side; ``ping`` -> ``pong``.

The per-room ``seq`` is a counter in memory: nothing is stored, nothing is checked. With
``RELAY_ECHO=1`` (``--echo``) the event also goes back to the sender, as Ventanilla does (every
subscriber of a conversation, the author included, receives its events).

Run: ``python bench/relay.py --port 8765`` (bench/load.py starts it by itself).
"""

from __future__ import annotations

import argparse
import contextlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

ECHO = os.environ.get("RELAY_ECHO", "") == "1"
# With --sockets-port the websockets are served by Ventanilla's own listener
# (ventanilla/web/socket_server.py), as `ventanilla serve --sockets-port` does.
SOCKETS_PORT = int(os.environ.get("RELAY_SOCKETS_PORT", "0"))
HEARTBEAT = 25.0

Send = Any  # the ASGI send callable of one socket


class Room:
    __slots__ = ("agents", "citizen", "seq")

    def __init__(self) -> None:
        self.citizen: Send | None = None
        self.agents: list[Send] = []
        self.seq = 0


ROOMS: dict[str, Room] = {}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _room(room_id: str) -> Room:
    room = ROOMS.get(room_id)
    if room is None:
        room = ROOMS[room_id] = Room()
    return room


async def _push(send: Send, text: str) -> None:
    with contextlib.suppress(Exception):  # the peer went away: a relay drops the frame
        await send({"type": "websocket.send", "text": text})


async def _socket(scope: dict[str, Any], receive: Any, send: Send) -> None:
    citizen = scope["path"] == "/ws/widget"
    if scope["path"] not in ("/ws/widget", "/ws/agent"):
        await send({"type": "websocket.close", "code": 4404})
        return
    if (await receive())["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    role, name = ("citizen", "Ciudadano") if citizen else ("agent", "Relay")
    own: str | None = None  # the citizen's room
    followed: list[str] = []  # the agent's rooms
    try:
        while True:
            msg = await receive()
            if msg["type"] != "websocket.receive":
                return
            text = msg.get("text")
            if text is None:
                text = (msg.get("bytes") or b"").decode()
            frame = orjson.loads(text)
            kind = frame.get("type")
            if kind == "message":
                room_id = own if citizen else frame.get("conversation_id")
                room = ROOMS.get(room_id or "")
                if room is None:
                    await _push(send, '{"type":"error","code":"not_found","message":"not found"}')
                    continue
                room.seq += 1
                created = _now()
                ack: dict[str, Any] = {
                    "type": "ack",
                    "client_id": frame.get("client_id"),
                    "seq": room.seq,
                    "created_at": created,
                }
                if not citizen:
                    ack["conversation_id"] = room_id
                event = orjson.dumps(
                    {
                        "type": "event",
                        "conversation_id": room_id,
                        "seq": room.seq,
                        "kind": "message",
                        "author": {"role": role, "name": name},
                        "body": frame.get("body"),
                        "client_id": frame.get("client_id"),
                        "created_at": created,
                        "data": {},
                    }
                ).decode()
                await _push(send, orjson.dumps(ack).decode())
                if citizen:
                    targets = list(room.agents)
                else:
                    targets = [room.citizen] if room.citizen is not None else []
                if ECHO:
                    targets.append(send)
                for target in targets:
                    await _push(target, event)
            elif kind == "ping":
                await _push(send, '{"type":"pong"}')
            elif kind in ("typing", "seen"):
                room_id = own if citizen else frame.get("conversation_id")
                room = ROOMS.get(room_id or "")
                if room is not None:
                    frame.update(conversation_id=room_id, role=role)
                    out = orjson.dumps(frame).decode()
                    for target in room.agents if citizen else [room.citizen]:
                        if target is not None:
                            await _push(target, out)
            elif kind == "hello" and citizen:
                own = str(frame.get("token"))
                room = _room(own)
                room.citizen = send
                await _push(
                    send,
                    orjson.dumps(
                        {
                            "type": "welcome",
                            "conversation": {
                                "id": own,
                                "status": "active",
                                "agent_name": "Relay",
                                "last_seq": room.seq,
                                "agent_seen_seq": 0,
                            },
                            "heartbeat_seconds": HEARTBEAT,
                        }
                    ).decode(),
                )
            elif kind == "hello":
                await _push(
                    send,
                    orjson.dumps(
                        {
                            "type": "welcome",
                            "agent": {
                                "id": 0,
                                "email": "relay@example.com",
                                "name": "Relay",
                                "display_name": "Relay",
                                "role": "agent",
                                "max_chats": 50,
                                "presence": "available",
                            },
                            "queue": [],
                            "mine": [],
                            "heartbeat_seconds": HEARTBEAT,
                        }
                    ).decode(),
                )
            elif kind == "subscribe" and not citizen:
                room_id = str(frame.get("conversation_id"))
                _room(room_id).agents.append(send)
                followed.append(room_id)
            # anything else (pong, resume, unsubscribe, end) is ignored
    finally:
        if own is not None and own in ROOMS and ROOMS[own].citizen is send:
            ROOMS[own].citizen = None
        for room_id in followed:
            room = ROOMS.get(room_id)
            if room is not None and send in room.agents:
                room.agents.remove(send)


async def app(scope: dict[str, Any], receive: Any, send: Send) -> None:
    if scope["type"] == "websocket":
        await _socket(scope, receive, send)
    elif scope["type"] == "http":
        ok = scope["path"] == "/healthz"
        await send(
            {
                "type": "http.response.start",
                "status": 200 if ok else 404,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"status":"ok"}' if ok else b"{}"})
    elif scope["type"] == "lifespan":
        while True:
            msg = await receive()
            if msg["type"] == "lifespan.startup":
                if SOCKETS_PORT:
                    from ventanilla.web import socket_server

                    await socket_server.start(
                        app, host="127.0.0.1", port=SOCKETS_PORT, paths=("/ws/widget", "/ws/agent")
                    )
                await send({"type": "lifespan.startup.complete"})
            elif msg["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="rooms live in memory: with >1 worker only same-worker pairs relay",
    )
    parser.add_argument("--echo", action="store_true", help="also send each event to its author")
    parser.add_argument(
        "--sockets-port", type=int, default=0, help="serve the websockets on their own listener"
    )
    args = parser.parse_args()
    if args.echo:
        os.environ["RELAY_ECHO"] = "1"
    if args.sockets_port:
        os.environ["RELAY_SOCKETS_PORT"] = str(args.sockets_port)

    from granian import Granian
    from granian.constants import Interfaces

    # Exactly the settings of ventanilla.cli._run_granian, with this module as the target.
    Granian(
        "relay:app",
        address=args.host,
        port=args.port,
        interface=Interfaces.ASGI,
        workers=args.workers,
        log_access=False,
        websockets=True,
        working_dir=Path(__file__).resolve().parent,
    ).serve()


if __name__ == "__main__":
    main()
