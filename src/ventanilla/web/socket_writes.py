"""Frames out of the websockets' own listener (``socket_server.py``), one write per socket per
turn of the event loop.

The sockets that have frames waiting in this turn are listed here, and one callback writes each
socket's frames together: one write (and one wake-up of the peer) instead of one per frame. A
message stored in a batch sends its author the event and then the ``ack`` in the same turn, and
a console following many conversations gets the events of a whole batch at once
(bench/README.md, session 13). The frames are built here, whole, so that several can go out in
one write.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Protocol

log = logging.getLogger(__name__)


class Flushable(Protocol):
    def flush(self) -> None:
        """Write the frames the socket has waiting."""


class Coalescer:
    """One per event loop: the sockets with frames waiting, flushed on the next turn."""

    __slots__ = ("_loop", "_waiting")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiting: list[Flushable] = []

    def add(self, sock: Flushable) -> None:
        """``sock`` has its first frame of this turn waiting (later ones join it there)."""
        if not self._waiting:
            self._loop.call_soon(self._flush)
        self._waiting.append(sock)

    def _flush(self) -> None:
        waiting, self._waiting = self._waiting, []
        for sock in waiting:
            try:
                sock.flush()
            except Exception:  # one peer's failure is not the others'
                log.debug("write failed", exc_info=True)


_COALESCERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Coalescer] = (
    weakref.WeakKeyDictionary()
)


def coalescer(loop: asyncio.AbstractEventLoop) -> Coalescer:
    found = _COALESCERS.get(loop)
    if found is None:
        found = _COALESCERS[loop] = Coalescer(loop)
    return found


def frame_bytes(first: int, payload: bytes) -> bytes:
    """A whole server-to-client frame (FIN, the opcode in ``first``: 0x81 text, 0x82 binary;
    never masked, RFC 6455 5.1)."""
    n = len(payload)
    if n < 126:
        return bytes((first, n)) + payload
    if n < 65536:
        return bytes((first, 126)) + n.to_bytes(2, "big") + payload
    return bytes((first, 127)) + n.to_bytes(8, "big") + payload
