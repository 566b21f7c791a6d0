"""Prometheus metrics, written in the text exposition format (no client library needed).

Each process keeps its own counters. With several processes behind one port a scrape reaches
one of them at random, so with the Redis broker every process also stores a snapshot of its
figures in Redis (``ventanilla:metrics:<process>``, refreshed every ``metrics.share_seconds``,
expiring when the process is gone), and ``/metrics`` answers with the snapshots of all live
processes, each series labelled ``process``. Figures of the whole entity (waiting queue,
outbox) come from the database once per scrape.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from ventanilla.core import probes

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from ventanilla.context import Context

log = logging.getLogger(__name__)

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
MAX_HANDLERS = 40  # distinct handler labels kept; the rest count as /other
_MESSAGE = b'"kind":"message"'


class Metrics:
    """This process's counters and the request-latency histogram."""

    def __init__(self, process: str, share_seconds: float = 10.0) -> None:
        self.process = process
        self.share_seconds = share_seconds
        self.messages_persisted = 0
        self.requests: dict[str, list[int]] = {}  # handler -> bucket counts (+Inf last)
        self.request_sums: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None

    def observe_request(self, handler: str, seconds: float) -> None:
        counts = self.requests.get(handler)
        if counts is None and len(self.requests) >= MAX_HANDLERS:
            handler, counts = "/other", self.requests.get("/other")
        if counts is None:
            counts = self.requests[handler] = [0] * (len(BUCKETS) + 1)
        counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.request_sums[handler] = self.request_sums.get(handler, 0.0) + seconds

    def count_committed(self, outgoing: list[tuple[str, bytes]]) -> None:
        """Called with the frames of each commit: count stored messages (once, on ``:a``)."""
        for channel, payload in outgoing:
            if channel.endswith(":a") and _MESSAGE in payload:
                self.messages_persisted += 1

    def snapshot(self, ctx: Context) -> dict[str, Any]:
        from ventanilla.conversations.hub import Connection

        agents = ctx.presence.local_sockets()
        broker = ctx.hub.broker
        broker_reconnects = getattr(broker, "reconnects", 0)
        backlog = getattr(broker, "backlog", None)
        one_call = ctx.db.sync_transactions  # SQLite in a file only
        return {
            "process": self.process,
            "sockets": {"agent": agents, "citizen": max(0, ctx.hub.connection_count - agents)},
            "messages_persisted": self.messages_persisted,
            "frames_delivered": Connection.frames_sent,
            "broker_reconnects": broker_reconnects,
            # the Redis broker's payloads waiting to be published, late and lost (core/broker.py)
            "broker_backlog": backlog() if callable(backlog) else 0,
            "broker_republished": getattr(broker, "republished", 0),
            "broker_dropped": getattr(broker, "dropped", 0),
            "slow_consumers": Connection.slow_closed,
            "sqlite_lock_waits": one_call.on_thread if one_call is not None else 0,
            "job_runs": [[job, outcome, n] for (job, outcome), n in ctx.jobs.runs.items()],
            "requests": self.requests,
            "request_sums": dict(self.request_sums),
        }

    def start(self, ctx: Context) -> None:
        if ctx.redis is not None:
            self._task = asyncio.create_task(self._publish_loop(ctx, ctx.redis))

    async def stop(self, ctx: Context) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if ctx.redis is not None:
            with contextlib.suppress(Exception):
                await ctx.redis.delete(_key(self.process))

    async def _publish_loop(self, ctx: Context, client: Redis) -> None:
        while True:
            with contextlib.suppress(Exception):
                await self.publish(ctx, client)
            await asyncio.sleep(self.share_seconds)

    async def publish(self, ctx: Context, client: Redis) -> None:
        ttl = max(1, round(self.share_seconds * 3))
        await client.set(_key(self.process), orjson.dumps(self.snapshot(ctx)), ex=ttl)

    async def render(self, ctx: Context) -> str:
        snapshots = [self.snapshot(ctx)]
        if ctx.redis is not None:
            try:
                await self.publish(ctx, ctx.redis)
                snapshots = await _all_snapshots(ctx.redis)
            except Exception:
                log.warning("metrics: Redis unreachable; showing this process only")
        async with ctx.db.unit() as uow:
            waiting = await probes.waiting_conversations(uow.session)
            outbox = await probes.outbox_by_status(uow.session)
        return _exposition(snapshots, waiting, outbox)


def _key(process: str) -> str:
    return f"ventanilla:metrics:{process}"


async def _all_snapshots(client: Redis) -> list[dict[str, Any]]:
    keys = [k async for k in client.scan_iter(match=_key("*"), count=200)]
    values = await client.mget(keys) if keys else []
    return sorted(
        (orjson.loads(v) for v in values if v is not None), key=lambda s: str(s["process"])
    )


def _labels(**labels: object) -> str:
    inner = ",".join(f'{k}="{_escape(str(v))}"' for k, v in labels.items())
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _exposition(snapshots: list[dict[str, Any]], waiting: int, outbox: dict[str, int]) -> str:
    out: list[str] = []

    def family(name: str, kind: str, help_text: str, rows: Callable[[], list[str]]) -> None:
        out.append(f"# HELP {name} {help_text}")
        out.append(f"# TYPE {name} {kind}")
        out.extend(rows())

    def per_process(name: str, field: str) -> list[str]:
        # a process still running an older version may not report a newer field yet
        return [f"{name}{_labels(process=s['process'])} {s.get(field, 0)}" for s in snapshots]

    family(
        "ventanilla_open_sockets",
        "gauge",
        "Open websockets per process, by role.",
        lambda: [
            f"ventanilla_open_sockets{_labels(process=s['process'], role=role)} {n}"
            for s in snapshots
            for role, n in sorted(s["sockets"].items())
        ],
    )
    family(
        "ventanilla_messages_persisted_total",
        "counter",
        "Chat messages committed by this process.",
        lambda: per_process("ventanilla_messages_persisted_total", "messages_persisted"),
    )
    family(
        "ventanilla_frames_delivered_total",
        "counter",
        "Frames written to this process's websockets.",
        lambda: per_process("ventanilla_frames_delivered_total", "frames_delivered"),
    )
    family(
        "ventanilla_broker_reconnects_total",
        "counter",
        "Times the broker connection was lost and re-established.",
        lambda: per_process("ventanilla_broker_reconnects_total", "broker_reconnects"),
    )
    family(
        "ventanilla_broker_backlog",
        "gauge",
        "Payloads waiting to be published while Redis refuses them (delivered late, in order).",
        lambda: per_process("ventanilla_broker_backlog", "broker_backlog"),
    )
    family(
        "ventanilla_broker_republished_total",
        "counter",
        "Payloads published late, from the backlog.",
        lambda: per_process("ventanilla_broker_republished_total", "broker_republished"),
    )
    family(
        "ventanilla_broker_dropped_total",
        "counter",
        "Payloads dropped because the backlog was full (sockets re-read them from the database).",
        lambda: per_process("ventanilla_broker_dropped_total", "broker_dropped"),
    )
    family(
        "ventanilla_slow_consumers_total",
        "counter",
        "Websockets closed because they did not read their frames (4429; they resume).",
        lambda: per_process("ventanilla_slow_consumers_total", "slow_consumers"),
    )
    family(
        "ventanilla_sqlite_lock_waits_total",
        "counter",
        "SQLite batches that found the write lock held by another process and waited for it.",
        lambda: per_process("ventanilla_sqlite_lock_waits_total", "sqlite_lock_waits"),
    )
    family(
        "ventanilla_job_runs_total",
        "counter",
        "Background job runs by outcome (ok, error, lost, cancelled).",
        lambda: [
            f"ventanilla_job_runs_total{_labels(process=s['process'], job=j, outcome=o)} {n}"
            for s in snapshots
            for j, o, n in sorted(s["job_runs"])
        ],
    )
    family(
        "ventanilla_queue_waiting",
        "gauge",
        "Conversations waiting for an agent.",
        lambda: [f"ventanilla_queue_waiting {waiting}"],
    )
    family(
        "ventanilla_outbox_emails",
        "gauge",
        "Emails not sent: pending (to send or retry) or failed (gave up).",
        lambda: [
            f"ventanilla_outbox_emails{_labels(status=k)} {v}" for k, v in sorted(outbox.items())
        ],
    )
    family(
        "ventanilla_http_request_duration_seconds",
        "histogram",
        "HTTP request latency by handler group.",
        lambda: _histograms(snapshots),
    )
    return "\n".join(out) + "\n"


def _histograms(snapshots: list[dict[str, Any]]) -> list[str]:
    name = "ventanilla_http_request_duration_seconds"
    rows: list[str] = []
    for s in snapshots:
        for handler, counts in sorted(s["requests"].items()):
            running = 0
            for bound, n in zip((*BUCKETS, "+Inf"), counts, strict=True):
                running += n
                le = bound if isinstance(bound, str) else repr(bound)
                bucket = _labels(process=s["process"], handler=handler, le=le)
                rows.append(f"{name}_bucket{bucket} {running}")
            labels = _labels(process=s["process"], handler=handler)
            rows.append(f"{name}_sum{labels} {s['request_sums'].get(handler, 0.0)}")
            rows.append(f"{name}_count{labels} {running}")
    return rows


def handler_group(path: str) -> str:
    """A bounded label for a path: its first segment (``api/<area>`` for the API)."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return "/"
    if parts[0] == "api" and len(parts) > 1:
        return f"/api/{parts[1]}"
    if parts[0] in {"static", "console", "ws", "healthz", "metrics", "widget.js", "login"}:
        return "/" + parts[0]
    return "/other"
