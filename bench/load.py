"""Websocket load benchmark: Ventanilla against a bare relay (bench/relay.py), same load.

For each target it starts the server itself (127.0.0.1, a free port), prepares N conversations
(Ventanilla: through the real REST API, agents logged in, conversations taken), opens a citizen
socket per conversation and agent sockets subscribed to them, then offers a fixed total rate of
messages for a fixed time (open loop: send times are scheduled in advance and never wait for
answers), half citizen->agent and half agent->citizen. Every message body carries its scheduled
send time; the other side computes the latency when the event arrives. See bench/README.md.

    .venv/bin/python bench/load.py                       # 200 conversations @ 400 msgs/s
    .venv/bin/python bench/load.py --convs 1000 --rates 50,100,200,400
    .venv/bin/python bench/load.py --find-max            # step the rate up until it breaks
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import multiprocessing as mp
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import orjson
from wsclient import WSClient

BENCH = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PASSWORD = "contrasena-segura-bench"
CLK_TCK = os.sysconf("SC_CLK_TCK")
TEXT = (
    "Buenos días, quisiera saber en qué estado está mi solicitud radicada la semana pasada "
    "y qué documentos me faltan por entregar. Muchas gracias por su atención. "
) * 60
LADDER = "50,100,200,400,800,1600,3200,6400"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, math.ceil(q * len(values)) - 1)]


# ---------------------------------------------------------------------------------------------
# The server under test: a subprocess (and its children: Granian's workers)


class Server:
    def __init__(self, name: str, cmd: list[str], env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.cmd = cmd
        self.env = env
        self.log_path = workdir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.ws_port = 0  # where the websockets are served (own listener or the HTTP port)

    def start(self) -> None:
        with self.log_path.open("wb") as out:
            self.proc = subprocess.Popen(
                self.cmd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    async def wait_ready(self, url: str, timeout: float = 60.0) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2, trust_env=False) as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"{self.name} exited ({self.proc.returncode}); see {self.log_path}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(url)).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s; see {self.log_path}")

    def pids(self) -> list[int]:
        """The server process and all its descendants."""
        assert self.proc is not None
        parent: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    stat = Path(f"/proc/{entry}/stat").read_text()
                    parent[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
        tree, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(p for p, pp in parent.items() if pp == pid)
        return tree

    def rss_kib(self) -> int:
        total = 0
        for pid in self.pids():
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        return total

    def cpu_seconds(self) -> float:
        ticks = 0
        for pid in self.pids():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / CLK_TCK

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)

    def problems(self, limit: int = 3) -> dict[str, Any]:
        """Tracebacks and error lines the server wrote while it ran."""
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return {}
        tracebacks: list[list[str]] = []
        finals: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        i = 0
        while i < len(lines):
            if lines[i].startswith("Traceback"):
                block = [lines[i - 1]] if i and not lines[i - 1].startswith("Traceback") else []
                j = i + 1
                while j < len(lines) and (
                    lines[j].startswith((" ", "Traceback", "\t"))
                    or lines[j].startswith(("During handling", "The above"))
                    or not lines[j].strip()
                ):
                    j += 1
                block += lines[i : j + 1]
                final = lines[j] if j < len(lines) else "?"
                finals[final[:200]] += 1
                if len(tracebacks) < limit and final[:200] not in {b[-1][:200] for b in tracebacks}:
                    tracebacks.append(block)
                i = j + 1
                continue
            if " panicked at " in lines[i]:  # a Rust panic in Granian: keep its message line
                nxt = lines[i + 1] if i + 1 < len(lines) else ""
                errors[re.sub(r"\(\d+\)", "(N)", lines[i])[:160] + " | " + nxt[:160]] += 1
            elif re.search(r"\b(ERROR|CRITICAL)\b|Exception|WARNING", lines[i]):
                errors[re.sub(r"\d+", "N", lines[i])[:200]] += 1
            i += 1
        return {
            "log": str(self.log_path),
            "traceback_count": sum(finals.values()),
            "exceptions": dict(finals.most_common(10)),
            "error_lines": dict(errors.most_common(10)),
            "tracebacks": ["\n".join(b[-60:]) for b in tracebacks],
        }


def ventanilla_server(args: argparse.Namespace, workdir: Path) -> tuple[Server, str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    db_url = args.db or f"sqlite+aiosqlite:///{workdir / 'ventanilla.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VENTANILLA_")}
    env.update(
        {
            "VENTANILLA_DATABASE_URL": db_url,
            "VENTANILLA_BROKER_URL": args.broker,
            "VENTANILLA_BASE_URL": base,
            "VENTANILLA_SECRET_KEY": "bench-" + uuid.uuid4().hex + uuid.uuid4().hex,
            "VENTANILLA_LIMITS__CONVERSATIONS_PER_IP_PER_HOUR": "10000000",
            "VENTANILLA_LIMITS__CITIZEN_MESSAGES_PER_WINDOW": "10000000",
            "VENTANILLA_LIMITS__LOGINS_PER_WINDOW": "100000",
            "VENTANILLA_MAIL__WORKER": "true" if args.mail_worker else "false",
        }
    )
    if args.src:  # a fixed export of the code, ahead of the editable install on sys.path
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(Path(args.src, "src").resolve()), env.get("PYTHONPATH")])
        )
    cmd = [
        str(BIN / "ventanilla"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(args.workers),
    ]
    server = Server("ventanilla", cmd, env, workdir)
    server.port = server.ws_port = port
    if args.sockets == "own":
        server.ws_port = free_port()
        cmd += ["--sockets-port", str(server.ws_port)]
    return server, db_url


def relay_server(args: argparse.Namespace, workdir: Path) -> Server:
    port = free_port()
    cmd = [
        sys.executable,
        str(BENCH / "relay.py"),
        "--port",
        str(port),
        "--workers",
        str(args.workers),
    ]
    if args.relay_echo:
        cmd.append("--echo")
    server = Server("relay", cmd, dict(os.environ), workdir)
    server.port = server.ws_port = port
    if args.sockets == "own":
        server.ws_port = free_port()
        cmd += ["--sockets-port", str(server.ws_port)]
    return server


# ---------------------------------------------------------------------------------------------
# Setup: conversations, agents, logins, takes (Ventanilla) -> a plan the socket workers follow


async def create_agents(db_url: str, emails: list[str], max_chats: int) -> None:
    """Through the Python API (as ``ventanilla users create`` does), hashing the password once."""
    from ventanilla.agents import service
    from ventanilla.core.db import Database
    from ventanilla.core.security import hash_password
    from ventanilla.models import load_all

    load_all()
    digest = hash_password(PASSWORD)
    service.hash_password = lambda password: digest  # type: ignore[assignment]  # same password
    db = Database(db_url)
    try:
        async with db.unit() as uow:
            for n, email in enumerate(emails):
                await service.create_user(
                    uow,
                    email=email,
                    name=f"Asesora Bench {n}",
                    password=PASSWORD,
                    role="agent",
                    max_chats=max_chats,
                )
    finally:
        await db.dispose()


async def gather_limited(n: int, coros: list[Any]) -> list[Any]:
    sem = asyncio.Semaphore(n)

    async def one(coro: Any) -> Any:
        async with sem:
            return await coro

    return await asyncio.gather(*(one(c) for c in coros))


async def setup_ventanilla(args: argparse.Namespace, base: str, db_url: str) -> dict[str, Any]:
    n, n_agents = args.convs, math.ceil(args.convs / args.convs_per_agent)
    run = uuid.uuid4().hex[:6]
    emails = [f"bench-{run}-{a}@example.com" for a in range(n_agents)]
    t = time.monotonic()
    await create_agents(db_url, emails, min(50, args.convs_per_agent))
    log(f"  {n_agents} agents created ({time.monotonic() - t:.1f}s)")

    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(
        base_url=base, headers={"Origin": base}, timeout=60, limits=limits, trust_env=False
    ) as http:
        config = (await http.get("/api/widget/config")).json()

        async def start(i: int) -> tuple[str, str]:
            r = await http.post(
                "/api/widget/conversations",
                json={
                    "name": f"Ciudadana Bench {i}",
                    "email": f"c{i}@example.com",
                    "request_type": "consulta",
                    "privacy_accepted": True,
                    "privacy_version": config["privacy_notice"]["version"],
                    "page_url": f"{base}/contacto",
                    "lang": "es-CO",
                },
            )
            if r.status_code != 201:
                raise RuntimeError(f"start conversation {i}: {r.status_code} {r.text[:300]}")
            return r.json()["conversation_id"], r.json()["token"]

        t = time.monotonic()
        started = await gather_limited(16, [start(i) for i in range(n)])
        log(f"  {n} conversations started over REST ({time.monotonic() - t:.1f}s)")

    agents: list[httpx.AsyncClient] = []
    csrf: list[str] = []
    cookies: list[str] = []
    try:
        t = time.monotonic()
        for email in emails:  # argon2 verify blocks the server: one at a time
            http = httpx.AsyncClient(
                base_url=base, timeout=60, follow_redirects=False, trust_env=False
            )
            agents.append(http)
            page = await http.get("/login")
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            r = await http.post(
                "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
            )
            if r.status_code != 303:
                raise RuntimeError(f"login {email}: {r.status_code} {r.text[:300]}")
            csrf.append((await http.get("/api/agent/me")).json()["csrf_token"])
            cookies.append(f"vt_session={http.cookies['vt_session']}")
        log(f"  {n_agents} agents logged in ({time.monotonic() - t:.1f}s)")

        async def take(i: int) -> None:
            a = i % n_agents
            r = await agents[a].post(
                f"/api/agent/conversations/{started[i][0]}/take",
                json={},
                headers={"X-CSRF-Token": csrf[a]},
            )
            if r.status_code != 200:
                raise RuntimeError(f"take {started[i][0]}: {r.status_code} {r.text[:300]}")

        t = time.monotonic()
        await gather_limited(16, [take(i) for i in range(n)])
        log(f"  {n} conversations taken ({time.monotonic() - t:.1f}s)")
    finally:
        for http in agents:
            await http.aclose()
    convs = [(i, cid, token, i % n_agents) for i, (cid, token) in enumerate(started)]
    return {"convs": convs, "cookies": cookies, "origin": base}


def setup_relay(args: argparse.Namespace, base: str) -> dict[str, Any]:
    n_agents = math.ceil(args.convs / args.convs_per_agent)
    convs = [(i, f"r_{i}", f"r_{i}", i % n_agents) for i in range(args.convs)]
    return {"convs": convs, "cookies": [""] * n_agents, "origin": base}


def worker_specs(args: argparse.Namespace, plan: dict[str, Any], port: int) -> list[dict[str, Any]]:
    """Split the conversations over --procs workers, keeping each agent's in one worker."""
    procs = max(1, args.procs)
    specs = []
    for p in range(procs):
        mine = [c for c in plan["convs"] if c[3] % procs == p]
        if mine:
            specs.append(
                {
                    "ws": f"ws://127.0.0.1:{port}",
                    "origin": plan["origin"],
                    "convs": mine,
                    "cookies": plan["cookies"],
                    "mode": args.agent_sockets,
                    "body_chars": args.body_chars,
                    "seen": args.seen,
                    "seed": args.seed + p,
                    "share": len(mine) / len(plan["convs"]),
                }
            )
    return specs


# ---------------------------------------------------------------------------------------------
# Socket workers (one per process)


class Sock:
    """A client websocket: frames are handled as they arrive, a send is written at once."""

    def __init__(self, worker: Worker, role: str, ws: WSClient) -> None:
        self.worker, self.role, self.ws = worker, role, ws
        self.waiter: asyncio.Future[dict[str, Any]] | None = None
        # `seen` as the real clients send it (see Worker.seen_on_event)
        self.seen_sent: dict[str, int] = {}  # conversation id -> highest seq reported seen
        self.seen_want = 0  # citizen: highest agent message seq, reported after a 100 ms pause
        self.seen_timer: asyncio.TimerHandle | None = None
        self.selected = ""  # agent: the conversation on screen (the console reports only it)
        ws.on_text = self._on_text
        ws.on_close = self._on_close

    @property
    def closed(self) -> bool:
        return self.ws.closed

    def send(self, text: str) -> bool:
        return self.ws.send_text(text)

    async def request(self, text: str, timeout: float = 30.0) -> dict[str, Any]:
        """Send and wait for the next welcome/pong."""
        self.waiter = asyncio.get_running_loop().create_future()
        self.send(text)
        async with asyncio.timeout(timeout):
            return await self.waiter

    def _on_text(self, raw: str) -> None:
        w = self.worker
        try:
            w.on_frame(self, raw)
        except Exception as exc:
            w.client_errors[type(exc).__name__] += 1

    def _on_close(self) -> None:
        w = self.worker
        if not w.closing:
            w.disconnects[f"{self.role}:{self.ws.close_code}"] += 1
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_exception(ConnectionError(f"closed {self.ws.close_code}"))


class Step:
    def __init__(self, no: int, t0: float, window_end: float) -> None:
        self.no = no
        self.t0 = t0
        self.by_second: dict[int, list[float]] = {}  # latencies by second of scheduled send
        self.window_end = window_end
        self.sent = 0
        self.not_sent = 0
        self.acked: set[str] = set()
        self.delivered: set[str] = set()
        self.in_window = 0
        self.latency: list[float] = []
        self.ack_latency: list[float] = []
        self.errors: Counter[str] = Counter()
        self.error_samples: list[dict[str, Any]] = []
        self.ooo = 0
        self.dup = 0
        self.late = 0
        self.lag_max = 0.0
        self.lags: list[float] = []


class Worker:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.convs: list[tuple[int, str, str, int]] = [tuple(c) for c in spec["convs"]]  # type: ignore[misc]
        self.conv_index = {c[1]: c[0] for c in self.convs}
        self.citizen: dict[int, Sock] = {}
        self.agent: dict[int, Sock] = {}  # conversation -> the agent socket following it
        self.socks: list[Sock] = []
        self.next_k: Counter[tuple[int, int]] = Counter()
        self.last_k: dict[tuple[int, int], int] = {}
        self.pending: dict[str, float] = {}
        self.disconnects: Counter[str] = Counter()
        self.client_errors: Counter[str] = Counter()
        self.step_: Step | None = None
        self.closing = False
        self.seen = bool(spec.get("seen", True))
        self.seen_frames = 0  # `seen` frames sent (all steps)

    # -- `seen`, as the widget and the console send it --------------------------------------------
    def seen_on_event(self, sock: Sock, f: dict[str, Any]) -> None:
        """The widget (widget.js ``scheduleSeen``) reports the highest agent message seq 100 ms
        after the last event it displayed (debounced); the console (workspace.js ``maybeSeen``)
        reports the conversation's last seq at once, on every event of the conversation on
        screen; an agent's message raises the console's mark without a frame (the server's
        writer stores the agent's mark with it). Both only when the seq grew."""
        conv_id, seq = f.get("conversation_id"), f.get("seq")
        if not isinstance(conv_id, str) or not isinstance(seq, int):
            return
        if sock.role == "agent":
            if f.get("kind") == "message" and (f.get("author") or {}).get("role") == "agent":
                sock.seen_sent[conv_id] = max(seq, sock.seen_sent.get(conv_id, 0))
            elif conv_id == sock.selected and seq > sock.seen_sent.get(conv_id, 0):
                sock.seen_sent[conv_id] = seq
                frame = {"type": "seen", "conversation_id": conv_id, "seq": seq}
                if sock.send(orjson.dumps(frame).decode()):
                    self.seen_frames += 1
            return
        if f.get("kind") == "message" and (f.get("author") or {}).get("role") == "agent":
            sock.seen_want = max(sock.seen_want, seq)
        if sock.seen_timer is not None:
            sock.seen_timer.cancel()
        sock.seen_timer = asyncio.get_running_loop().call_later(
            0.1, self._citizen_seen, sock, conv_id
        )

    def _citizen_seen(self, sock: Sock, conv_id: str) -> None:
        sock.seen_timer = None
        if sock.seen_want > sock.seen_sent.get(conv_id, 0):
            sock.seen_sent[conv_id] = sock.seen_want
            if sock.send(orjson.dumps({"type": "seen", "seq": sock.seen_want}).decode()):
                self.seen_frames += 1

    # -- frames ----------------------------------------------------------------------------------
    def on_frame(self, sock: Sock, raw: str | bytes) -> None:
        now = time.monotonic()
        f = orjson.loads(raw)
        kind = f.get("type")
        st = self.step_
        if kind == "event":
            if self.seen:
                self.seen_on_event(sock, f)
            body = f.get("body")
            if f.get("kind") != "message" or not isinstance(body, str) or not body.startswith("b "):
                return
            role = f["author"]["role"]
            if role == sock.role or st is None:
                return  # our own message echoed back (Ventanilla sends it to every subscriber)
            _, step_no, k_s, t_s, _ = body.split(" ", 4)
            if int(step_no) != st.no:
                st.late += 1
                return
            cid = f.get("client_id") or ""
            if cid in st.delivered:
                st.dup += 1
                return
            st.delivered.add(cid)
            conv = self.conv_index.get(f.get("conversation_id"), -1)
            stream = (conv, 0 if role == "citizen" else 1)
            k = int(k_s)
            if k < self.last_k.get(stream, 0):
                st.ooo += 1
            else:
                self.last_k[stream] = k
            ts = float(t_s)
            ms = (now - ts) * 1000
            st.latency.append(ms)
            st.by_second.setdefault(int(ts - st.t0), []).append(ms)
            if now <= st.window_end:
                st.in_window += 1
        elif kind == "ack":
            t0 = self.pending.pop(f.get("client_id"), None)
            if t0 is not None and st is not None:
                st.acked.add(f["client_id"])
                st.ack_latency.append((now - t0) * 1000)
        elif kind == "ping":
            sock.send('{"type":"pong"}')
        elif kind == "error":
            if st is not None:
                self.pending.pop(f.get("client_id"), None)
                st.errors[str(f.get("code"))] += 1
                if len(st.error_samples) < 5:
                    st.error_samples.append(f)
        elif kind in ("welcome", "pong") and sock.waiter is not None and not sock.waiter.done():
            sock.waiter.set_result(f)

    # -- sockets -----------------------------------------------------------------------------------
    async def _connect(self, path: str, role: str, cookie: str = "") -> Sock:
        headers = {"Cookie": cookie} if cookie else None
        ws = await WSClient.connect(
            self.spec["ws"] + path, origin=self.spec["origin"], headers=headers, timeout=60
        )
        sock = Sock(self, role, ws)
        self.socks.append(sock)
        return sock

    async def _open_citizen(self, conv: tuple[int, str, str, int]) -> None:
        sock = await self._connect("/ws/widget", "citizen")
        hello = {"type": "hello", "token": conv[2], "last_seq": 0}
        await sock.request(orjson.dumps(hello).decode())
        self.citizen[conv[0]] = sock

    async def _open_agent(self, agent: int, convs: list[tuple[int, str, str, int]]) -> None:
        sock = await self._connect("/ws/agent", "agent", self.spec["cookies"][agent])
        await sock.request('{"type":"hello"}')
        for c in convs:
            sock.send(
                orjson.dumps({"type": "subscribe", "conversation_id": c[1], "last_seq": 0}).decode()
            )
        await sock.request('{"type":"ping"}')  # frames are handled in order: all subscribed
        for c in convs:
            self.agent[c[0]] = sock
        sock.selected = convs[0][1]  # the console shows one conversation at a time

    async def open(self) -> dict[str, Any]:
        """Agent sockets first (subscribed), then citizen sockets; 32 handshakes at a time."""
        t = time.monotonic()
        if self.spec["mode"] == "per-agent":
            by_agent: dict[int, list[tuple[int, str, str, int]]] = {}
            for c in self.convs:
                by_agent.setdefault(c[3], []).append(c)
            agents = [self._open_agent(a, cs) for a, cs in by_agent.items()]
        else:
            agents = [self._open_agent(c[3], [c]) for c in self.convs]
        results = await gather_limited(32, [_capture(j) for j in agents])
        t_agents = time.monotonic() - t
        results += await gather_limited(32, [_capture(self._open_citizen(c)) for c in self.convs])
        failures = Counter(r for r in results if r is not None)
        # The generator's own full collections (its heap holds 2,000 client sockets) stopped it
        # for ~0.1 s: messages were sent late and the lateness counted as the server's latency.
        # As the server does (src/ventanilla/core/heap.py): what is open now is never walked.
        gc.collect()
        gc.freeze()
        return {
            "sockets": len(self.socks),
            "failed": sum(failures.values()),
            "failures": dict(failures.most_common(5)),
            "seconds": time.monotonic() - t,
            "agent_seconds": t_agents,
        }

    async def close(self) -> None:
        self.closing = True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(8):  # a saturated server may not answer the close
                await asyncio.gather(*(_capture(s.ws.close()) for s in self.socks))
        for s in self.socks:
            if s.ws.transport is not None:
                s.ws.transport.abort()

    # -- one step of load --------------------------------------------------------------------------
    async def step(
        self, no: int, rate: float, t0: float, duration: float, drain: float
    ) -> dict[str, Any]:
        rate *= self.spec["share"]  # this worker's part of the total offered rate
        convs = [c for c in self.convs if c[0] in self.citizen and c[0] in self.agent]
        streams = [(c, d) for c in convs for d in (0, 1)]
        # Open loop: the send times are fixed in advance, evenly spaced at the offered rate, and
        # handed round-robin to the streams (each conversation x direction) in a shuffled order.
        sched: list[tuple[float, int]] = []
        if streams and rate > 0:
            rng = random.Random(self.spec["seed"] * 1000 + no)
            order = list(range(len(streams)))
            rng.shuffle(order)
            phase = rng.random()
            sched = [
                ((j + phase) / rate, order[j % len(order)]) for j in range(round(rate * duration))
            ]
        st = self.step_ = Step(no, t0, t0 + duration)
        disc0, cerr0 = Counter(self.disconnects), Counter(self.client_errors)
        seen0 = self.seen_frames
        pad = self.spec["body_chars"]
        await asyncio.sleep(max(0.0, t0 - time.monotonic()))
        cpu0 = time.process_time()
        i, n = 0, len(sched)
        while i < n:
            now = time.monotonic()
            rel = now - t0
            while i < n and sched[i][0] <= rel:
                t_rel, s = sched[i]
                i += 1
                conv, d = streams[s]
                key = (conv[0], d)
                self.next_k[key] += 1
                k = self.next_k[key]
                t_int = t0 + t_rel
                cid = f"{'c' if d == 0 else 'a'}{conv[0]}-{k}"
                head = f"b {no} {k} {t_int:.6f} "
                body = head + TEXT[: max(0, pad - len(head))]
                if d == 0:
                    sock = self.citizen[conv[0]]
                    text = orjson.dumps({"type": "message", "client_id": cid, "body": body})
                else:
                    sock = self.agent[conv[0]]
                    text = orjson.dumps(
                        {
                            "type": "message",
                            "conversation_id": conv[1],
                            "client_id": cid,
                            "body": body,
                        }
                    )
                if sock.send(text.decode()):
                    self.pending[cid] = t_int
                    st.sent += 1
                else:
                    st.not_sent += 1
                lag = now - t_int
                st.lag_max = max(st.lag_max, lag)
                if st.sent % 16 == 0:
                    st.lags.append(lag * 1000)
            if i < n:
                await asyncio.sleep(max(0.0, t0 + sched[i][0] - time.monotonic()))
        end = t0 + duration
        await asyncio.sleep(max(0.0, end - time.monotonic()))
        cpu1 = time.process_time()
        deadline = end + drain
        while time.monotonic() < deadline:
            if not self.pending and not (st.acked - st.delivered):
                break
            await asyncio.sleep(0.05)
        timeouts = len(self.pending)
        self.pending.clear()
        self.step_ = None
        return {
            "sent": st.sent,
            "not_sent": st.not_sent,
            "acked": len(st.acked),
            "delivered": len(st.delivered),
            "in_window": st.in_window,
            "lost": len(st.acked - st.delivered),
            "delivered_unacked": len(st.delivered - st.acked),
            "timeouts": timeouts,
            "errors": dict(st.errors),
            "error_samples": st.error_samples,
            "ooo": st.ooo,
            "dup": st.dup,
            "late": st.late,
            "disconnects": dict(Counter(self.disconnects) - disc0),
            "client_errors": dict(Counter(self.client_errors) - cerr0),
            "latency": st.latency,
            "ack_latency": st.ack_latency,
            "lags": st.lags,
            "by_second": st.by_second,
            "lag_max": st.lag_max * 1000,
            "cpu": cpu1 - cpu0,
            "seen_frames": self.seen_frames - seen0,  # sent during the step and its drain
        }


async def _capture(coro: Any) -> str | None:
    try:
        await coro
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {str(exc)[:160]}"


# The generator's collector, as the server's (src/ventanilla/core/heap.py THRESHOLDS). A copy,
# not an import: importing ventanilla here, before `--src` puts its tree first on sys.path,
# would load the installed package in place of the one being measured.
GC_THRESHOLDS = (10_000, 50, 100)


class LocalWorkers:
    def __init__(self, specs: list[dict[str, Any]]) -> None:
        self.workers = [Worker(s) for s in specs]

    async def call(self, method: str, *args: Any) -> list[Any]:
        return list(await asyncio.gather(*(getattr(w, method)(*args) for w in self.workers)))


def _child(conn: Any, spec: dict[str, Any]) -> None:
    gc.set_threshold(*GC_THRESHOLDS)

    async def loop() -> None:
        worker = Worker(spec)
        ev = asyncio.get_running_loop()
        while True:
            method, args = await ev.run_in_executor(None, conn.recv)
            try:
                conn.send(("ok", await getattr(worker, method)(*args)))
            except Exception as exc:
                conn.send(("error", repr(exc)))
            if method == "close":
                return

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(loop())


class ProcWorkers:
    """The same workers, one per process, driven over pipes."""

    def __init__(self, specs: list[dict[str, Any]]) -> None:
        ctx = mp.get_context("spawn")
        self.pipes, self.procs = [], []
        for spec in specs:
            ours, theirs = ctx.Pipe()
            proc = ctx.Process(target=_child, args=(theirs, spec), daemon=True)
            proc.start()
            self.pipes.append(ours)
            self.procs.append(proc)

    async def call(self, method: str, *args: Any) -> list[Any]:
        ev = asyncio.get_running_loop()
        for pipe in self.pipes:
            pipe.send((method, args))
        out = []
        for pipe in self.pipes:
            status, value = await ev.run_in_executor(None, pipe.recv)
            if status != "ok":
                raise RuntimeError(f"worker failed in {method}: {value}")
            out.append(value)
        if method == "close":
            for proc in self.procs:
                proc.join(10)
        return out


# ---------------------------------------------------------------------------------------------
# Orchestration


def merge(
    results: list[dict[str, Any]], rate: float, duration: float, p99_max: float
) -> dict[str, Any]:
    total: dict[str, Any] = {}
    for key in (
        "sent",
        "not_sent",
        "acked",
        "delivered",
        "in_window",
        "lost",
        "delivered_unacked",
        "timeouts",
        "ooo",
        "dup",
        "late",
        "cpu",
        "seen_frames",
    ):
        total[key] = sum(r[key] for r in results)
    for key in ("errors", "disconnects", "client_errors"):
        c: Counter[str] = Counter()
        for r in results:
            c.update(r[key])
        total[key] = dict(c)
    lat = [x for r in results for x in r["latency"]]
    ack = [x for r in results for x in r["ack_latency"]]
    lags = [x for r in results for x in r["lags"]]
    delivered_rate = total["in_window"] / duration
    seconds: dict[int, list[float]] = {}
    for r in results:
        for sec, values in r["by_second"].items():
            seconds.setdefault(int(sec), []).extend(values)
    timeline = [
        {
            "second": sec,
            "delivered": len(v),
            "p50": round(pct(v, 0.5) or 0, 1),
            "p99": round(pct(v, 0.99) or 0, 1),
            "max": round(max(v), 1),
        }
        for sec, v in sorted(seconds.items())
    ]
    p99 = pct(lat, 0.99)
    out = {
        "offered_rate": rate,
        "sent_rate": round(total["sent"] / duration, 1),
        "delivered_rate": round(delivered_rate, 1),
        "delivery_ratio": round(delivered_rate / rate, 4) if rate else None,
        "latency_ms": {
            "p50": pct(lat, 0.5),
            "p90": pct(lat, 0.9),
            "p99": p99,
            "max": max(lat) if lat else None,
        },
        "ack_latency_ms": {
            "p50": pct(ack, 0.5),
            "p99": pct(ack, 0.99),
            "max": max(ack) if ack else None,
        },
        "generator": {
            "lag_p99_ms": pct(lags, 0.99),
            "lag_max_ms": max((r["lag_max"] for r in results), default=0.0),
            "cpu_percent": round(100 * total.pop("cpu") / duration, 1),
        },
        "error_samples": [s for r in results for s in r["error_samples"]][:5],
        "timeline": timeline,
        **total,
    }
    out["errors_total"] = sum(out["errors"].values())
    out["disconnects_total"] = sum(out["disconnects"].values())
    out["passed"] = bool(
        rate and delivered_rate >= 0.95 * rate and p99 is not None and p99 <= p99_max
    )
    for group in ("latency_ms", "ack_latency_ms", "generator"):
        out[group] = {
            k: (round(v, 1) if isinstance(v, float) else v) for k, v in out[group].items()
        }
    return out


def machine_busy_seconds() -> float:
    """CPU seconds used by everything on the machine (all cores), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def matching_cpu_ticks(pattern: str) -> dict[int, int]:
    """utime+stime (ticks) of every process whose command line matches ``pattern`` (regex),
    e.g. this run's PostgreSQL backends and its redis-server (``--cpu-of``)."""
    out: dict[int, int] = {}
    if not pattern:
        return out
    rx = re.compile(pattern)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            if rx.search(cmd):
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                out[int(entry)] = int(fields[11]) + int(fields[12])
    return out


async def sample_cpu(
    server: Server, t0: float, t1: float, cpu_of: str = ""
) -> tuple[float, float, float]:
    """Server tree, ``--cpu-of`` processes and whole-machine CPU use (% of one core) between t0
    and t1. A matching process that started during the window counts from zero."""
    await asyncio.sleep(max(0.0, t0 - time.monotonic()))
    c0, m0, w0 = server.cpu_seconds(), machine_busy_seconds(), time.monotonic()
    x0 = matching_cpu_ticks(cpu_of)
    await asyncio.sleep(max(0.0, t1 - time.monotonic()))
    x1 = matching_cpu_ticks(cpu_of)
    wall = time.monotonic() - w0
    extra = sum(t - x0.get(pid, 0) for pid, t in x1.items()) / CLK_TCK
    return (
        round(100 * (server.cpu_seconds() - c0) / wall, 1),
        round(100 * extra / wall, 1),
        round(100 * (machine_busy_seconds() - m0) / wall, 1),
    )


async def wait_idle(server: Server, limit: float = 30.0) -> None:
    """After an overloaded step: wait (bounded) until the server has worked off its backlog."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        c0 = server.cpu_seconds()
        await asyncio.sleep(1.0)
        if server.cpu_seconds() - c0 < 0.15:
            return


async def run_target(target: str, args: argparse.Namespace, rates: list[float]) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"vbench-{target}-", dir="/tmp"))
    if target == "ventanilla":
        server, db_url = ventanilla_server(args, workdir)
    else:
        server, db_url = relay_server(args, workdir), ""
    base = f"http://127.0.0.1:{server.port}"
    result: dict[str, Any] = {
        "target": target,
        "convs": args.convs,
        "log": str(server.log_path),
        "steps": [],
    }
    log(f"{target}: starting server on {base} (log {server.log_path})")
    server.start()
    workers: LocalWorkers | ProcWorkers | None = None
    try:
        await server.wait_ready(base + "/healthz")
        result["rss_boot_kib"] = server.rss_kib()
        t = time.monotonic()
        if target == "ventanilla":
            plan = await setup_ventanilla(args, base, db_url)
        else:
            plan = setup_relay(args, base)
        result["setup_seconds"] = round(time.monotonic() - t, 1)
        await asyncio.sleep(1)
        result["rss_before_sockets_kib"] = server.rss_kib()
        specs = worker_specs(args, plan, server.ws_port)
        workers = ProcWorkers(specs) if len(specs) > 1 else LocalWorkers(specs)
        opened = await workers.call("open")
        sockets = sum(o["sockets"] for o in opened)
        failed = sum(o["failed"] for o in opened)
        result.update(
            sockets=sockets,
            sockets_failed=failed,
            open_seconds=round(max(o["seconds"] for o in opened), 1),
            open_agent_seconds=round(max(o["agent_seconds"] for o in opened), 1),
            open_failures=[f for o in opened for f in o["failures"]][:5],
        )
        log(
            f"  {sockets} sockets open ({failed} failed) in {result['open_seconds']}s "
            f"(agent sockets: {result['open_agent_seconds']}s)"
        )
        await asyncio.sleep(args.settle)
        rss = server.rss_kib()
        result["rss_idle_kib"] = rss
        per = (rss - result["rss_before_sockets_kib"]) / max(1, sockets)
        result["rss_per_socket_kib"] = round(per, 1)

        async def run_step(rate: float) -> dict[str, Any]:
            if result["steps"] and not result["steps"][-1]["passed"]:
                await wait_idle(server)  # let an overloaded server work off its backlog first
            no = len(result["steps"]) + 1
            t0 = time.monotonic() + 0.5
            cpu_of = args.cpu_of if target == "ventanilla" else ""
            cpu = asyncio.create_task(sample_cpu(server, t0, t0 + args.duration, cpu_of))
            await asyncio.sleep(max(0.0, t0 - time.monotonic()))
            whole0 = server.cpu_seconds()
            raw = await workers.call("step", no, rate, t0, args.duration, args.drain)
            whole = server.cpu_seconds() - whole0  # the step and its drain: every ack's work
            step = merge(raw, rate, args.duration, args.p99_max)
            step["server_cpu_percent"], extra, machine = await cpu
            if cpu_of:
                # the database's and broker's own processes, and the whole cost per message
                step["cpu_of_percent"] = extra
                total = step["server_cpu_percent"] + extra
                step["cpu_ms_per_msg"] = round(10 * total / max(step["delivered_rate"], 1e-9), 3)
            # Server CPU per committed message: survives a loaded machine better than p99
            # (a starved server takes longer, not more CPU, for each message).
            step["server_cpu_us_per_msg"] = (
                round(1e6 * whole / step["acked"]) if step["acked"] else None
            )
            # CPU used by other people's processes meanwhile (the machine is shared).
            ours = step["server_cpu_percent"] + extra + step["generator"]["cpu_percent"]
            step["others_cpu_percent"] = round(max(0.0, machine - ours), 1)
            step["loadavg_1m"] = round(os.getloadavg()[0], 2)  # the machine is shared
            result["steps"].append(step)
            lat = step["latency_ms"]
            log(
                f"  {rate:>7.0f}/s offered: {step['delivered_rate']:.0f}/s delivered, "
                f"p50 {lat['p50']} p99 {lat['p99']} max {lat['max']} ms, "
                f"errors {step['errors_total']}, "
                f"timeouts {step['timeouts']}, lost {step['lost']}, disconnects "
                f"{step['disconnects_total']}, server CPU {step['server_cpu_percent']}%, "
                f"generator CPU {step['generator']['cpu_percent']}%, "
                f"others' CPU {step['others_cpu_percent']}%"
                + ("" if step["passed"] or not args.find_max else "  -> FAILED")
            )
            return step

        last_pass, first_fail = 0.0, 0.0
        for rate in rates:
            step = await run_step(rate)
            if server.proc is not None and server.proc.poll() is not None:
                log("  server died")
                break
            if step["passed"]:
                last_pass = rate
            elif args.find_max:
                first_fail = rate
                break
        if args.find_max and first_fail:
            for _ in range(args.refine):  # bisect between the last pass and the first failure
                rate = round((last_pass + first_fail) / 2)
                if rate in (last_pass, first_fail):
                    break
                if (await run_step(rate))["passed"]:
                    last_pass = rate
                else:
                    first_fail = rate
        result["rss_after_kib"] = server.rss_kib()
        passed = [s["offered_rate"] for s in result["steps"] if s["passed"]]
        result["max_sustained_rate"] = max(passed) if passed else None
    finally:
        if workers is not None:
            t = time.monotonic()
            with contextlib.suppress(Exception):
                async with asyncio.timeout(30):
                    await workers.call("close")
            log(f"  sockets closed ({time.monotonic() - t:.1f}s)")
        t = time.monotonic()
        server.stop()
        log(f"  server stopped ({time.monotonic() - t:.1f}s)")
        result["server_problems"] = server.problems()
    return result


# ---------------------------------------------------------------------------------------------
# Report


def fmt(v: Any, nd: int = 0) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def table(report: dict[str, Any]) -> str:
    cols = [
        "target",
        "socks",
        "offered/s",
        "sent/s",
        "deliv/s",
        "deliv%",
        "p50ms",
        "p99ms",
        "maxms",
        "ack99ms",
        "err",
        "tmo",
        "disc",
        "lost",
        "ooo",
        "seen",
        "srvCPU%",
        "us/msg",
        "genCPU%",
        "lagmax",
        "dbCPU%",
        "ms/msg",
        "othCPU%",
        "ok",
    ]
    rows = []
    for r in report["targets"]:
        for s in r["steps"]:
            lat = s["latency_ms"]
            rows.append(
                [
                    r["target"],
                    r.get("sockets"),
                    fmt(s["offered_rate"]),
                    fmt(s["sent_rate"]),
                    fmt(s["delivered_rate"]),
                    fmt(100 * (s["delivery_ratio"] or 0), 1),
                    fmt(lat["p50"], 1),
                    fmt(lat["p99"], 1),
                    fmt(lat["max"], 1),
                    fmt(s["ack_latency_ms"]["p99"], 1),
                    s["errors_total"],
                    s["timeouts"],
                    s["disconnects_total"],
                    s["lost"],
                    s["ooo"],
                    s.get("seen_frames", "-"),
                    fmt(s["server_cpu_percent"]),
                    fmt(s.get("server_cpu_us_per_msg")),
                    fmt(s["generator"]["cpu_percent"]),
                    fmt(s["generator"]["lag_max_ms"], 1),
                    fmt(s.get("cpu_of_percent")),
                    fmt(s.get("cpu_ms_per_msg"), 2),
                    fmt(s.get("others_cpu_percent")),
                    "yes" if s["passed"] else "NO",
                ]
            )
    widths = [max(len(str(x)) for x in [c] + [row[i] for row in rows]) for i, c in enumerate(cols)]
    lines = ["  ".join(str(c).rjust(w) for c, w in zip(cols, widths, strict=True))]
    lines += ["  ".join(str(x).rjust(w) for x, w in zip(row, widths, strict=True)) for row in rows]
    lines.append("")
    lines.append(
        "memory (server process tree RSS)   boot MiB  before-sockets MiB  "
        "idle-with-sockets MiB  after-load MiB  KiB/socket"
    )
    for r in report["targets"]:
        mib = [
            fmt(r.get(k, 0) / 1024, 1) if r.get(k) else "-"
            for k in ("rss_boot_kib", "rss_before_sockets_kib", "rss_idle_kib", "rss_after_kib")
        ]
        lines.append(
            f"  {r['target']:<32} {mib[0]:>9} {mib[1]:>19} {mib[2]:>22} {mib[3]:>15} "
            f"{fmt(r.get('rss_per_socket_kib'), 1):>11}"
        )
    for r in report["targets"]:
        if report["find_max"]:
            best = fmt(r.get("max_sustained_rate"))
            lines.append(
                f"max sustained rate {r['target']}: {best} msgs/s "
                f"(p99 <= {report['p99_max_ms']:.0f} ms and delivered >= 95% of offered)"
            )
    for line in report.get("ratios", []):
        lines.append(line)
    for r in report["targets"]:
        p = r.get("server_problems") or {}
        if p.get("traceback_count") or p.get("error_lines"):
            lines.append(
                f"\n{r['target']} server log {p['log']}: {p['traceback_count']} tracebacks"
            )
            for exc, n in p.get("exceptions", {}).items():
                lines.append(f"  {n:>6} x {exc}")
            for exc, n in p.get("error_lines", {}).items():
                lines.append(f"  {n:>6} x {exc}")
            for tb in p.get("tracebacks", [])[:2]:
                lines.append("  --- first traceback ---\n    " + tb.replace("\n", "\n    "))
    return "\n".join(lines)


def ratios(report: dict[str, Any]) -> list[str]:
    by = {r["target"]: r for r in report["targets"]}
    if "ventanilla" not in by or "relay" not in by:
        return []
    v, r = by["ventanilla"], by["relay"]
    out = []
    relay_steps = {s["offered_rate"]: s for s in r["steps"]}
    for s in v["steps"]:
        rs = relay_steps.get(s["offered_rate"])
        if rs and rs["delivered_rate"]:
            out.append(
                f"ratio ventanilla/relay delivered throughput @ {s['offered_rate']:.0f}/s "
                f"offered: {s['delivered_rate'] / rs['delivered_rate']:.2f}"
            )
    if report["find_max"] and v.get("max_sustained_rate") and r.get("max_sustained_rate"):
        out.append(
            f"ratio ventanilla/relay max sustained rate: "
            f"{v['max_sustained_rate'] / r['max_sustained_rate']:.2f}"
        )
    return out


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("--targets", default="ventanilla,relay", help="comma list: ventanilla, relay")
    p.add_argument("--convs", type=int, default=200, help="conversations (citizen sockets)")
    p.add_argument("--rate", type=float, default=400, help="offered total msgs/s (both directions)")
    p.add_argument(
        "--rates", default="", help="comma list of rates, one step each (overrides --rate)"
    )
    p.add_argument(
        "--find-max", action="store_true", help="step the rate up along --ladder until a step fails"
    )
    p.add_argument("--ladder", default=LADDER, help="rates tried by --find-max")
    p.add_argument(
        "--refine",
        type=int,
        default=1,
        help="find-max: bisection steps between the last passing and first failing rate",
    )
    p.add_argument("--p99-max", type=float, default=500.0, help="find-max: p99 latency limit (ms)")
    p.add_argument("--duration", type=float, default=10.0, help="seconds of load per step")
    p.add_argument("--drain", type=float, default=5.0, help="max seconds to wait for stragglers")
    p.add_argument("--settle", type=float, default=2.0, help="idle seconds before measuring RSS")
    p.add_argument("--convs-per-agent", type=int, default=50, help="conversations per agent (<=50)")
    p.add_argument(
        "--agent-sockets",
        choices=("per-conv", "per-agent"),
        default="per-conv",
        help="per-conv: one agent socket per conversation (pairs, 2N sockets); "
        "per-agent: one console socket per agent following all its conversations",
    )
    p.add_argument("--body-chars", type=int, default=80, help="message body length")
    p.add_argument("--procs", type=int, default=1, help="load generator processes")
    p.add_argument("--workers", type=int, default=1, help="Granian workers of each server")
    p.add_argument(
        "--sockets",
        choices=("http", "own"),
        default="http",
        help="http: websockets on Granian's HTTP port; own: on their own listener "
        "(`ventanilla serve --sockets-port`, ventanilla/web/socket_server.py), for both targets",
    )
    p.add_argument(
        "--db", default="", help="Ventanilla database URL (default: fresh SQLite in /tmp)"
    )
    p.add_argument(
        "--broker", default="memory://", help="Ventanilla broker URL (redis://… for --workers>1)"
    )
    p.add_argument(
        "--src",
        default="",
        help="run Ventanilla from this source tree (e.g. a `git archive` export of a "
        "commit) instead of the installed one",
    )
    p.add_argument(
        "--relay-echo",
        action="store_true",
        help="relay also sends each event back to its author, as Ventanilla does",
    )
    p.add_argument(
        "--cpu-of",
        default="",
        help="regex on /proc/PID/cmdline: also measure these processes' CPU (dbCPU%%; ms/msg = "
        "(srvCPU+dbCPU) per delivered message), e.g. 'postgres: postgres ventanilla_x |"
        "walwriter|redis-server .*:6393'",
    )
    p.add_argument(
        "--seen",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="clients send `seen` frames like the real widget (debounced 100 ms) and console "
        "(on every event of the conversation on screen); --no-seen: never",
    )
    p.add_argument(
        "--mail-worker",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Ventanilla runs its mail worker (outbox, unseen-message emails) as `serve` does; "
        "--no-mail-worker sets VENTANILLA_MAIL__WORKER=false to measure it apart",
    )
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timeout", type=float, default=900.0, help="hard limit for the whole run (s)")
    p.add_argument("--json", action="store_true", help="print a JSON object instead of the table")
    p.add_argument("--json-out", default="", help="also write the JSON report to this file")
    args = p.parse_args(argv)
    if args.src:
        if not Path(args.src, "src", "ventanilla", "__init__.py").exists():
            p.error(f"--src {args.src}: no src/ventanilla/__init__.py there")
        sys.path.insert(0, str(Path(args.src, "src").resolve()))  # for create_agents()
    if not 1 <= args.convs_per_agent <= 50:
        p.error("--convs-per-agent must be 1..50 (Ventanilla's max_chats range)")
    if args.workers > 1 and args.broker.startswith("memory") and "ventanilla" in args.targets:
        p.error("--workers > 1 needs --broker redis://…")
    return args


def source_info(src: str) -> dict[str, Any]:
    """Which Ventanilla code ran: the --src export, or the work tree's commit (and if dirty)."""
    import ventanilla

    path = Path(ventanilla.__file__).resolve().parent.parent.parent
    info: dict[str, Any] = {"path": str(path)}
    if (path / "COMMIT").exists():
        info["commit"] = (path / "COMMIT").read_text().strip()
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        git = ["git", "-C", str(path)]
        info["commit"] = subprocess.run(
            [*git, "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "src"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        info["dirty_files"] = len(dirty.splitlines())
    return info


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    if args.find_max:
        rates = [float(x) for x in args.ladder.split(",") if x.strip()][:12]
    elif args.rates:
        rates = [float(x) for x in args.rates.split(",") if x.strip()][:12]
    else:
        rates = [args.rate]
    report: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": {"cpus": os.cpu_count()},
        "params": {k: v for k, v in vars(args).items() if k not in ("json", "json_out")},
        "ventanilla_source": source_info(args.src),
        "find_max": args.find_max,
        "p99_max_ms": args.p99_max,
        "targets": [],
    }
    async with asyncio.timeout(args.timeout):
        for target in [t.strip() for t in args.targets.split(",") if t.strip()]:
            if target not in ("ventanilla", "relay"):
                raise SystemExit(f"unknown target {target!r}")
            report["targets"].append(await run_target(target, args, rates))
    report["ratios"] = ratios(report)
    return report


def main(argv: list[str] | None = None) -> None:
    gc.set_threshold(*GC_THRESHOLDS)
    args = parse_args(argv)
    report = asyncio.run(main_async(args))
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(table(report))


if __name__ == "__main__":
    main()
