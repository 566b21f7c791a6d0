"""CPU per message of the chat writer alone (group commit into SQLite), by batch size.

The server's websocket figures (bench/load.py) need a quiet machine. This one measures the
write path in-process with ``time.process_time()`` (CPU of this process, all its threads:
the event loop and the database threads), so it survives a loaded machine: a starved process
takes longer, not more CPU, per message. Each round posts ``batch`` messages at once through
``MessageWriter`` (one per conversation, half citizen and half agent, as the sockets would)
and waits for every ``ack``; the writer stores them in one transaction.

    .venv/bin/python bench/write_path.py                       # the installed (work tree) code
    .venv/bin/python bench/write_path.py --src /tmp/old        # a `git archive` export
    .venv/bin/python bench/write_path.py --batches 1,16,64 --messages 4000 --json
    .venv/bin/python bench/write_path.py --convs 1000 --spread --batches 64 --messages 30000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--src", default="", help="run the code of this source tree (git archive)")
    p.add_argument("--batches", default="1,8,32,128", help="messages per batch (comma list)")
    p.add_argument("--messages", type=int, default=3000, help="messages per batch size")
    p.add_argument("--convs", type=int, default=256, help="conversations (>= largest batch)")
    p.add_argument("--repeat", type=int, default=3, help="runs per batch size (the best kept)")
    p.add_argument(
        "--spread",
        action="store_true",
        help="each batch's conversations drawn at random from all --convs (as sockets spread "
        "over many chats send them), not the first ones: rows on more pages per commit",
    )
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if args.src:
        sys.path.insert(0, str(Path(args.src, "src").resolve()))
    return args


async def prepare(db: Any, convs: int) -> int:
    from ventanilla.agents.models import User
    from ventanilla.conversations.models import Conversation
    from ventanilla.core.db import utcnow
    from ventanilla.entity import repository as entity_repository

    await db.create_all()
    async with db.unit() as uow:
        await entity_repository.add_notice(uow.session, "v1", "aviso")
        agent = User(email="a@x.co", name="Ag", display_name="Ag", password_hash="-")
        uow.session.add(agent)
        await uow.session.flush()
        for i in range(convs):
            uow.session.add(
                Conversation(
                    id=f"c{i:05d}",
                    token_digest=f"t{i}",
                    status="active",
                    citizen_name="Ana",
                    citizen_email="ana@x.co",
                    request_type="peticion",
                    consent_version="v1",
                    consent_at=utcnow(),
                    agent_id=agent.id,
                )
            )
        return int(agent.id)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    import ventanilla
    from ventanilla.conversations.writer import MessageWriter
    from ventanilla.core.db import Database

    out: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "source": str(Path(ventanilla.__file__).resolve().parent),
        "loadavg_before": os.getloadavg()[0],
        "results": [],
    }
    with tempfile.TemporaryDirectory(prefix="vwrite-") as tmp:
        db = Database(f"sqlite+aiosqlite:///{tmp}/bench.db")
        published = 0

        async def publish(outgoing: list[tuple[str, bytes]]) -> None:
            nonlocal published
            published += len(outgoing)

        db.after_commit = publish
        agent_id = await prepare(db, args.convs)
        writer = MessageWriter(db)
        body = "b " + "x" * 78
        n = 0
        pick = random.Random(7)
        for batch in [int(x) for x in args.batches.split(",") if x.strip()]:
            batch = max(1, min(batch, args.convs))
            best: dict[str, Any] | None = None
            for _ in range(args.repeat):
                rounds = max(1, args.messages // batch)
                cpu0, wall0 = time.process_time(), time.perf_counter()
                for _ in range(rounds):
                    posts = []
                    chosen = pick.sample(range(args.convs), batch) if args.spread else range(batch)
                    for j in chosen:
                        n += 1
                        author = ("agent", agent_id, "Ag") if n % 2 else ("citizen", None, "Ana")
                        posts.append(
                            writer.post(
                                f"c{j:05d}",
                                author=author,
                                client_id=f"k{n}",
                                body=body,
                                internal=False,
                            )
                        )
                    for posted in await asyncio.gather(*posts):
                        assert posted.created
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
                row = {
                    "batch": batch,
                    "messages": rounds * batch,
                    "cpu_us_per_msg": round(1e6 * cpu / (rounds * batch), 1),
                    "cpu_us_per_batch": round(1e6 * cpu / rounds, 1),
                    "wall_msgs_per_s": round(rounds * batch / wall),
                    "loadavg": round(os.getloadavg()[0], 2),
                }
                if best is None or row["cpu_us_per_msg"] < best["cpu_us_per_msg"]:
                    best = row
            assert best is not None
            out["results"].append(best)
            print(
                f"batch {batch:>4}: {best['cpu_us_per_msg']:>8.1f} us CPU/msg "
                f"({best['cpu_us_per_batch']:.0f} us/batch), {best['wall_msgs_per_s']} msgs/s, "
                f"load {best['loadavg']}",
                file=sys.stderr,
            )
        out["published_frames"] = published
        await db.dispose()
    return out


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    try:
        import uvloop  # as the server runs

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    report = asyncio.run(run(args))
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"source: {report['source']}")
        print("batch  CPU us/msg  CPU us/batch  msgs/s  load")
        for r in report["results"]:
            print(
                f"{r['batch']:>5}  {r['cpu_us_per_msg']:>10.1f}  {r['cpu_us_per_batch']:>12.0f}"
                f"  {r['wall_msgs_per_s']:>6}  {r['loadavg']:>4}"
            )


if __name__ == "__main__":
    main()
