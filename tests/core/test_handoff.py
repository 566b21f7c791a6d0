"""core/handoff.ThreadWorker: calls run on its one thread, in order; results, errors and
cancelled callers come back to the event loop as run_in_executor's would."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from ventanilla.core.handoff import ThreadWorker

pytestmark = pytest.mark.asyncio


async def test_calls_run_in_order_on_the_thread_and_return_their_results() -> None:
    worker = ThreadWorker("test-worker")
    try:
        seen: list[tuple[int, str]] = []

        def record(i: int) -> int:
            seen.append((i, threading.current_thread().name))
            return i * 10

        results = await asyncio.gather(*(worker.call(record, i) for i in range(50)))
        assert results == [i * 10 for i in range(50)]
        assert [i for i, _ in seen] == list(range(50))
        assert {name for _, name in seen} == {"test-worker"}
    finally:
        worker.stop()


async def test_an_error_reaches_the_caller_and_the_thread_goes_on() -> None:
    worker = ThreadWorker("test-worker")
    try:

        def fail() -> None:
            raise ValueError("mal")

        with pytest.raises(ValueError, match="mal"):
            await worker.call(fail)
        assert await worker.call(sum, [1, 2]) == 3
    finally:
        worker.stop()


async def test_a_cancelled_caller_does_not_break_the_next_calls() -> None:
    worker = ThreadWorker("test-worker")
    try:
        done = threading.Event()

        def slow() -> str:
            time.sleep(0.05)
            done.set()
            return "tarde"

        future = worker.call(slow)
        future.cancel()
        assert await worker.call(str, 7) == "7"  # after slow: it ran all the same
        assert done.is_set()
    finally:
        worker.stop()


async def test_stop_runs_what_is_queued_then_last_on_the_thread() -> None:
    worker = ThreadWorker("test-worker")
    ran: list[str] = []
    worker.call(lambda: ran.append("queued"))
    worker.stop(last=lambda: ran.append(threading.current_thread().name))
    assert ran == ["queued", "test-worker"]
    worker.stop()  # a second stop does nothing
