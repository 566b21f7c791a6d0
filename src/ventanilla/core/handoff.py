"""One thread that runs calls for the event loop, with as little hand-off work as possible.

``loop.run_in_executor`` with a ``ThreadPoolExecutor`` costs ~100 µs of CPU per call here
(a ``concurrent.futures.Future``, the executor's lock and semaphore, an asyncio future chained
to it with two callbacks): more than the SQLite chat writer's own work for a small batch, and
paid once per batch (bench/README.md, session 7). Here a call is one ``SimpleQueue.put``
and one ``call_soon_threadsafe`` back: ~30 µs.

Calls run one at a time, in the order they were made. A call whose caller was cancelled
still runs (as a call already started by an executor does); its result is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_STOP = object()


class ThreadWorker:
    def __init__(self, name: str) -> None:
        self._calls: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def call(self, fn: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """Run ``fn(*args)`` on the thread; the future (of the running loop) gets its result."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._calls.put((loop, future, fn, args))
        return future

    def stop(self, last: Callable[[], object] | None = None) -> None:
        """Run what is queued, then ``last()`` on the thread (closing what lives there), then
        end the thread; returns when it has ended."""
        if self._thread.is_alive():
            self._calls.put((_STOP, last))
            self._thread.join()

    def _serve(self) -> None:
        while True:
            item = self._calls.get()
            if item[0] is _STOP:
                if item[1] is not None:
                    item[1]()
                return
            loop, future, fn, args = item
            try:
                result, error = fn(*args), None
            except BaseException as exc:  # handed to the caller, as an executor does
                result, error = None, exc
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_settle, future, result, error)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
