"""Several real server processes (Granian) on one PostgreSQL and one Redis.

Run with ``VENTANILLA_TEST_DATABASE_URL=postgresql+asyncpg://…`` and
``VENTANILLA_TEST_BROKER_URL=redis://…`` (as ``./dev test`` does); skipped otherwise. The
tests start their own ``redis-server`` on a free port (they kill and restart it) and use the
test database of ``VENTANILLA_TEST_DATABASE_URL``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.clients import SOCKETS, create_user, seed_demo
from tests.conftest import TEST_BROKER, TEST_DB, free_port, reset_schema

ROOT = Path(__file__).resolve().parents[2]
SITE = "http://sitio.entidad.test"  # the entity's website, where the widget lives

needs_cluster = pytest.mark.skipif(
    not (TEST_DB or "").startswith("postgresql")
    or not TEST_BROKER.startswith("redis")
    or shutil.which("redis-server") is None,
    reason="needs VENTANILLA_TEST_DATABASE_URL (PostgreSQL), VENTANILLA_TEST_BROKER_URL (Redis) "
    "and redis-server",
)


def _wait_until(check: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up")


class RedisServer:
    """A private redis-server that a test may kill and restart on the same port."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.tmp = tmp
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        def pong() -> bool:
            client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
            try:
                return bool(client.ping())
            finally:
                client.close()

        _wait_until(pong, "redis-server")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


class Node:
    """One Granian server process (its own event loop, pools, presence and scheduler)."""

    def __init__(
        self,
        name: str,
        tmp: Path,
        env: dict[str, str],
        *,
        own_sockets: bool = False,
        workers: int = 1,
    ) -> None:
        """``own_sockets``: the websockets on their own listener (``realtime.sockets_port``),
        which a node's ``workers`` share (SO_REUSEPORT)."""
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**env, "VENTANILLA_BASE_URL": self.url}
        if own_sockets:
            sockets_port = free_port()
            env["VENTANILLA_REALTIME__SOCKETS_PORT"] = str(sockets_port)
            SOCKETS[self.url] = f"ws://127.0.0.1:{sockets_port}"  # tests/clients.py
        self.log = tmp / f"{name}.log"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "asgi",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--no-log",
                "--workers",
                str(workers),
                "tests.scaleout.app:create",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() takes the workers too
        )
        try:
            _wait_until(
                lambda: httpx.get(self.url + "/healthz", timeout=1).status_code == 200,
                f"node {name}",
            )
        except RuntimeError:
            self.kill()
            raise RuntimeError(self.log.read_text()) from None

    @property
    def group(self) -> str:
        """The node's process group (Granian's supervisor and its workers)."""
        return str(self.proc.pid)

    def kill(self) -> None:
        """A crash: SIGKILL to the whole process group, no clean shutdown."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


class Cluster:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.redis = RedisServer(tmp)
        self.redis.start()
        self.db_url = str(TEST_DB)
        try:
            asyncio.run(self._prepare())
        except BaseException:
            self.redis.kill()  # the fixture never yields: nobody else would stop it
            raise
        self.job_file = tmp / "job-runs.txt"
        self.env = {
            **os.environ,
            "VENTANILLA_DATABASE_URL": self.db_url,
            "VENTANILLA_BROKER_URL": self.redis.url,
            "VENTANILLA_ENVIRONMENT": "test",
            "VENTANILLA_SECRET_KEY": "scale-out-secret-key-that-is-long-enough-012345",
            "VENTANILLA_ASSISTANT__ENABLED": "false",
            "VENTANILLA_REALTIME__HEARTBEAT_SECONDS": "5",
            "VENTANILLA_CLUSTER__PRESENCE_TTL_SECONDS": "2",
            "VENTANILLA_JOBS__POLL_SECONDS": "0.3",
            "VENTANILLA_JOBS__LEASE_SECONDS": "2",
            "VENTANILLA_METRICS__SHARE_SECONDS": "0.5",
            "SCALEOUT_JOB_FILE": str(self.job_file),
            "SCALEOUT_JOB_HOLD": "1",
        }
        self.nodes: list[Node] = []

    async def _prepare(self) -> None:
        await reset_schema(self.db_url)
        await seed_demo(self.db_url, SITE)
        await create_user(self.db_url, "ana@entidad.gov.co", name="Ana Asesora")
        await create_user(self.db_url, "beto@entidad.gov.co", name="Beto Asesor")

    def node(self, name: str, *, own_sockets: bool = False, workers: int = 1) -> Node:
        node = Node(name, self.tmp, self.env, own_sockets=own_sockets, workers=workers)
        self.nodes.append(node)
        return node

    def close(self) -> None:
        for node in self.nodes:
            node.stop()
        self.redis.kill()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    made = Cluster(tmp_path)
    try:
        yield made
    finally:
        made.close()
