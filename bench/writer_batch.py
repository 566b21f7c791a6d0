"""The chat writer alone on PostgreSQL (+ Redis): CPU per stored message, old path vs new.

No sockets and no HTTP: ``MessageWriter.post`` is called by ``--inflight`` concurrent senders
spread over ``--convs`` conversations, with ``--writers`` writers (each with its own engine, as
two Granian workers have) taking turns on the same conversation rows. After each commit the
frames go to Redis (``--broker``) the way the hub sends them. Printed per path: messages/s,
this process's CPU per message, the database backends' and redis-server's CPU per message
(from /proc), and the mean batch size. The machine is shared: compare CPU per message, and
the two paths measured back to back in the same run.

    .venv/bin/python bench/writer_batch.py --db postgresql+asyncpg://postgres@127.0.0.1/DB \\
        --broker redis://127.0.0.1:6393/0 --messages 20000

The database is emptied (schema dropped and created again): give it one of your own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from ventanilla.agents.models import User
from ventanilla.conversations import writer as writer_module
from ventanilla.conversations.models import Conversation
from ventanilla.conversations.writer import MessageWriter
from ventanilla.core.broker import RedisBroker
from ventanilla.core.db import Database, utcnow
from ventanilla.entity import repository as entity_repository

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_of(pattern: str) -> float:
    """CPU seconds used so far by processes whose command line matches ``pattern``."""
    rx, ticks = re.compile(pattern), 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                if rx.search(cmd):
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                    ticks += int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                continue
    return ticks / CLK_TCK


async def prepare(url: str, convs: int) -> tuple[list[str], int]:
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await db.create_all()
    ids = [f"c_bench{i:05d}" for i in range(convs)]
    async with db.unit() as uow:
        await entity_repository.add_notice(uow.session, "v1", "aviso")
        agent = User(email="a@x.co", name="Ag", display_name="Ag", password_hash="-")
        uow.session.add(agent)
        await uow.session.flush()
        agent_id = agent.id
        for conv_id in ids:
            uow.session.add(
                Conversation(
                    id=conv_id,
                    token_digest=conv_id,
                    status="active",
                    citizen_name="Ana",
                    citizen_email="ana@x.co",
                    request_type="peticion",
                    consent_version="v1",
                    consent_at=utcnow(),
                    agent_id=agent_id,
                )
            )
    await db.dispose()
    return ids, agent_id


async def run_path(args: argparse.Namespace, path: str, ids: list[str], agent_id: int) -> Any:
    dbs = [Database(args.db) for _ in range(args.writers)]
    brokers = [RedisBroker(args.broker) for _ in dbs] if args.broker else []
    batches: list[int] = []
    for i, db in enumerate(dbs):
        broker = brokers[i] if brokers else None
        if broker is not None:
            await broker.start(lambda _c, _p: None)

        async def after_commit(out: list[tuple[str, bytes]], b: Any = broker) -> None:
            batches.append(len(out))
            if b is None:
                return
            if path == "pg":
                await b.publish_many(out)
            else:  # what the hub did before: one round trip per frame
                for channel, payload in out:
                    await b.publish(channel, payload)

        db.after_commit = after_commit
    writers = [MessageWriter(db) for db in dbs]
    for w in writers:
        w._postgres = path == "pg"  # the portable path is the one every database had before
    # warm up: connections, prepared statements
    await asyncio.gather(
        *(
            w.post(
                ids[0], author=("citizen", None, "Ana"), client_id=f"w{n}", body="x", internal=False
            )
            for n, w in enumerate(writers)
        )
    )
    batches.clear()
    n_per, body = args.messages // args.inflight, "b" * args.body_chars
    tag = f"{path}{time.monotonic_ns()}"

    async def sender(k: int) -> None:
        w = writers[k % len(writers)]
        for j in range(n_per):
            conv = ids[(k * 7919 + j * 31) % len(ids)]
            author = ("citizen", None, "Ana") if j % 2 else ("agent", agent_id, "Ag")
            await w.post(conv, author=author, client_id=f"{tag}-{k}-{j}", body=body, internal=False)

    pattern = rf"postgres: .*{re.escape(args.db.rsplit('/', 1)[1])} |walwriter"
    redis_pattern = (
        r"redis-server .*:" + re.escape(args.broker.split(":")[2].split("/")[0])
        if args.broker
        else r"^$"
    )
    c0, d0, r0, t0 = time.process_time(), cpu_of(pattern), cpu_of(redis_pattern), time.monotonic()
    await asyncio.gather(*(sender(k) for k in range(args.inflight)))
    wall = time.monotonic() - t0
    own = time.process_time() - c0
    dbcpu, rcpu = cpu_of(pattern) - d0, cpu_of(redis_pattern) - r0
    for b in brokers:
        await b.stop()
    for db in dbs:
        await db.dispose()
    n = n_per * args.inflight
    frames = sum(batches)
    return {
        "path": path,
        "messages": n,
        "msgs_per_s": round(n / wall),
        "process_cpu_ms_per_msg": round(1000 * own / n, 3),
        "postgres_cpu_ms_per_msg": round(1000 * dbcpu / n, 3),
        "redis_cpu_ms_per_msg": round(1000 * rcpu / n, 3),
        "total_cpu_ms_per_msg": round(1000 * (own + dbcpu + rcpu) / n, 3),
        "mean_batch_msgs": round(frames / 2 / max(1, len(batches)), 1),
        "loadavg_1m": round(os.getloadavg()[0], 2),
    }


async def main_async(args: argparse.Namespace) -> list[Any]:
    ids, agent_id = await prepare(args.db, args.convs)
    out = []
    for rep in range(args.repeat):
        for path in ("portable", "pg"):
            r = await run_path(args, path, ids, agent_id)
            r["repeat"] = rep
            print(json.dumps(r), flush=True)
            out.append(r)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--db", required=True, help="postgresql+asyncpg:// URL of a database to empty")
    p.add_argument("--broker", default="", help="redis:// URL (default: no publishing)")
    p.add_argument("--convs", type=int, default=200)
    p.add_argument("--messages", type=int, default=20000)
    p.add_argument("--inflight", type=int, default=200, help="concurrent senders")
    p.add_argument("--writers", type=int, default=2, help="writers (engines) taking turns")
    p.add_argument("--body-chars", type=int, default=80)
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args()
    if not args.db.startswith("postgresql"):
        p.error("--db must be PostgreSQL (the SQLite path is not changed here)")
    _ = writer_module  # the module whose two paths are compared
    try:
        import uvloop  # Granian runs the app on uvloop

        uvloop.run(main_async(args))
    except ImportError:
        asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
