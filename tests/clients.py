"""Protocol clients for tests and benchmarks: a citizen and an agent over REST + websocket."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from ventanilla.core.db import Database
from ventanilla.demo import seed

Frame = dict[str, Any]
TIMEOUT = 30.0  # generous: only bounds a hang on a busy shared machine
HTTP_TIMEOUT = 30.0


async def seed_demo(database_url: str, base_url: str, knowledge_base: bool = False) -> None:
    """The demo data; without the knowledge base unless asked (the assistant stays out)."""
    db = Database(database_url)
    try:
        await seed(db, base_url, knowledge_base=knowledge_base)
    finally:
        await db.dispose()


async def create_user(
    database_url: str,
    email: str,
    role: str = "agent",
    name: str = "Ana Asesora",
    password: str = "contrasena-segura",
    max_chats: int = 4,
) -> int:
    from ventanilla.agents import service

    db = Database(database_url)
    try:
        async with db.unit() as uow:
            user = await service.create_user(
                uow, email=email, name=name, password=password, role=role, max_chats=max_chats
            )
            return user.id
    finally:
        await db.dispose()


class Socket:
    """A websocket with a receive buffer and ``expect(predicate)``."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.frames: list[Frame] = []

    async def send(self, frame: Frame) -> None:
        await self.ws.send(json.dumps(frame))

    async def expect(self, pred: Callable[[Frame], bool], timeout: float = TIMEOUT) -> Frame:
        for i, f in enumerate(self.frames):
            if pred(f):
                return self.frames.pop(i)
        async with asyncio.timeout(timeout):
            while True:
                f = json.loads(await self.ws.recv())
                if f.get("type") == "ping":
                    await self.send({"type": "pong"})
                    continue
                if pred(f):
                    return f
                self.frames.append(f)

    async def expect_type(self, frame_type: str, timeout: float = TIMEOUT, **match: Any) -> Frame:
        return await self.expect(
            lambda f: f.get("type") == frame_type and all(f.get(k) == v for k, v in match.items()),
            timeout,
        )

    async def nothing(self, pred: Callable[[Frame], bool], wait: float = 0.5) -> None:
        try:
            f = await self.expect(pred, wait)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected frame {f}")

    async def close(self) -> None:
        await self.ws.close()


# base URL -> where that server's websockets are (tests/conftest.py's LiveServer fills it: the
# HTTP port, or the sockets' own listener)
SOCKETS: dict[str, str] = {}


def socket_base(base_url: str) -> str:
    return SOCKETS.get(base_url) or base_url.replace("http", "ws", 1)


class Citizen:
    def __init__(self, base_url: str, origin: str | None = None, ws_url: str = "") -> None:
        self.base_url = base_url
        self.ws_url = ws_url or socket_base(base_url)
        self.origin = origin or base_url
        self.http = httpx.AsyncClient(
            base_url=base_url, headers={"Origin": self.origin}, timeout=HTTP_TIMEOUT
        )
        self.token = ""
        self.conversation_id = ""
        self.socket: Socket | None = None
        self.last_seq = 0

    async def start(
        self,
        name: str = "Ana Pérez",
        email: str = "ana@example.com",
        request_type: str = "consulta",
    ) -> httpx.Response:
        got = await self.http.get("/api/widget/config")
        if got.status_code != 200:
            return got
        config = got.json()
        r = await self.http.post(
            "/api/widget/conversations",
            json={
                "name": name,
                "email": email,
                "request_type": request_type,
                "privacy_accepted": True,
                "privacy_version": config["privacy_notice"]["version"],
                "page_url": f"{self.base_url}/contacto",
            },
        )
        if r.status_code == 201:
            self.token = r.json()["token"]
            self.conversation_id = r.json()["conversation_id"]
        return r

    async def connect(self, last_seq: int | None = None) -> Frame:
        ws = await websockets.connect(
            self.ws_url + "/ws/widget",
            origin=self.origin,  # type: ignore[arg-type]
        )
        self.socket = Socket(ws)
        await self.socket.send(
            {
                "type": "hello",
                "token": self.token,
                "last_seq": self.last_seq if last_seq is None else last_seq,
            }
        )
        return await self.socket.expect_type("welcome")

    async def say(self, body: str, client_id: str | None = None) -> Frame:
        assert self.socket
        cid = client_id or uuid.uuid4().hex
        await self.socket.send({"type": "message", "client_id": cid, "body": body})
        return await self.socket.expect(
            lambda f: f.get("client_id") == cid and f["type"] in ("ack", "error")
        )

    async def event(self, **match: Any) -> Frame:
        assert self.socket
        f = await self.socket.expect_type("event", **match)
        self.last_seq = max(self.last_seq, f["seq"])
        return f

    async def close(self) -> None:
        if self.socket:
            await self.socket.close()
        await self.http.aclose()


class Agent:
    def __init__(self, base_url: str, ws_url: str = "") -> None:
        self.base_url = base_url
        self.ws_url = ws_url or socket_base(base_url)
        self.http = httpx.AsyncClient(
            base_url=base_url, timeout=HTTP_TIMEOUT, follow_redirects=False
        )
        self.csrf = ""
        self.socket: Socket | None = None

    async def login(self, email: str, password: str = "contrasena-segura") -> httpx.Response:
        page = await self.http.get("/login")
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        r = await self.http.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )
        if r.status_code == 303:
            self.csrf = (await self.http.get("/api/agent/me")).json()["csrf_token"]
        return r

    async def post(self, path: str, body: Any = None) -> httpx.Response:
        return await self.http.post(path, json=body or {}, headers={"X-CSRF-Token": self.csrf})

    async def connect(self) -> Frame:
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        ws = await websockets.connect(
            self.ws_url + "/ws/agent",
            origin=self.base_url,  # type: ignore[arg-type]
            additional_headers={"Cookie": cookie},
        )
        self.socket = Socket(ws)
        await self.socket.send({"type": "hello"})
        return await self.socket.expect_type("welcome")

    async def subscribe(self, conversation_id: str, last_seq: int = 0) -> None:
        assert self.socket
        await self.socket.send(
            {"type": "subscribe", "conversation_id": conversation_id, "last_seq": last_seq}
        )

    async def say(
        self, conversation_id: str, body: str, internal: bool = False, client_id: str | None = None
    ) -> Frame:
        assert self.socket
        cid = client_id or uuid.uuid4().hex
        await self.socket.send(
            {
                "type": "message",
                "conversation_id": conversation_id,
                "client_id": cid,
                "body": body,
                "internal": internal,
            }
        )
        return await self.socket.expect(
            lambda f: f.get("client_id") == cid and f["type"] in ("ack", "error")
        )

    async def close(self) -> None:
        if self.socket:
            await self.socket.close()
        await self.http.aclose()
