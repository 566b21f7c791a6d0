"""The built-in SMTP receiver (aiosmtpd): point a subdomain's MX here to receive replies."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiosmtpd.controller import Controller

log = logging.getLogger(__name__)
MAX_BYTES = 10 * 1024 * 1024

Handle = Callable[[bytes], Coroutine[Any, Any, None]]


class _Handler:
    def __init__(self, handle: Handle, loop: asyncio.AbstractEventLoop) -> None:
        self.handle = handle
        self.loop = loop

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "replace")
        if len(raw) > MAX_BYTES:
            return "552 Message too large"
        # aiosmtpd runs its own loop in a thread: hand the mail to the app's loop and wait.
        future: concurrent.futures.Future[None] = asyncio.run_coroutine_threadsafe(
            self.handle(raw), self.loop
        )
        try:
            await asyncio.wrap_future(future)
        except Exception:
            log.exception("inbound mail could not be stored")
            return "451 Temporary failure, try again later"
        return "250 Message accepted"


def start_receiver(host: str, port: int, handle: Handle) -> Controller:
    """Start listening in a background thread; ``controller.stop()`` ends it."""
    controller = Controller(
        _Handler(handle, asyncio.get_running_loop()),
        hostname=host,
        port=port,
        data_size_limit=MAX_BYTES,
    )
    controller.start()
    return controller
