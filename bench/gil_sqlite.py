"""What a SQLite batch costs on a thread of its own beside a busy event loop (session 13).

``sqlite3`` gives the GIL up around every ``sqlite3_step`` (and prepare, reset) and must take it
back after. Beside a thread that holds the GIL (an event loop at work), each take-back waits for
the interpreter's switch interval (5 ms by default), so a batch of n rows executed row by row
costs ~n × 5 ms of waiting; the same batch run on the busy thread itself costs only its CPU.
This prints, for a few batch sizes, the time of one transaction (BEGIN IMMEDIATE, the inserts,
COMMIT, as the chat writer does) alone, and on a second thread beside a busy one (row by row
with ``executemany``, and as one multi-row ``INSERT``). Ventanilla now runs the batch on the event
loop's own thread (core/sync_transactions.py), where it costs what it costs alone.

    .venv/bin/python bench/gil_sqlite.py [--rounds 100]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path


def connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


def batch(db: sqlite3.Connection, n: int, start: int, multi: bool) -> None:
    rows = [
        (f"c{i}", start + i, "hola, quisiera saber el estado de mi solicitud") for i in range(n)
    ]
    db.execute("BEGIN IMMEDIATE")
    if multi:
        marks = ", ".join(["(?, ?, ?)"] * n)
        db.execute(f"INSERT INTO e (c, seq, body) VALUES {marks}", [v for r in rows for v in r])
    else:
        db.executemany("INSERT INTO e (c, seq, body) VALUES (?, ?, ?)", rows)
    db.execute("COMMIT")


def timed(fn: Callable[[], None], rounds: int) -> tuple[float, float]:
    """Mean and worst, in ms. (The median says little: beside a busy thread most rounds either
    wait for several switch intervals or for none, depending on who holds the GIL.)"""
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.fmean(times), 1e3 * max(times)


class Busy:
    """A thread that holds the GIL as a busy event loop does (pure Python work, no I/O)."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._spin)

    def _spin(self) -> None:
        x = 0
        while not self._stop.is_set():
            for i in range(2000):
                x += i

    def __enter__(self) -> Busy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--sizes", default="1,5,20,100")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(Path(tmp) / "t.db")
        db.execute("CREATE TABLE e (id INTEGER PRIMARY KEY, c TEXT, seq INT, body TEXT)")
        db.execute("CREATE UNIQUE INDEX ix_e ON e (c, seq)")
        starts = iter(range(0, 10**9, 1000))

        def run(n: int, multi: bool) -> Callable[[], None]:
            return lambda: batch(db, n, next(starts), multi)

        print(f"ms per transaction (BEGIN, n inserts, COMMIT), mean / max of {args.rounds}")
        print(f"{'rows':>5}  {'alone':>15}  {'beside a busy thread':>22}  {'same, one INSERT':>18}")
        for n in (int(x) for x in args.sizes.split(",")):
            alone = timed(run(n, False), args.rounds)
            with Busy():
                many = timed(run(n, False), args.rounds)
                multi = timed(run(n, True), args.rounds)
            print(
                f"{n:>5}  {alone[0]:>6.2f} / {alone[1]:<6.2f}  {many[0]:>9.2f} / {many[1]:<10.2f}"
                f"  {multi[0]:>7.2f} / {multi[1]:<8.2f}"
            )
        db.close()


if __name__ == "__main__":
    main()
