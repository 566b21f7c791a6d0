"""A channel's payloads in ``seq`` order when several processes publish to it.

Two processes' writers may store consecutive events of one conversation (seq 5 by one, 6 by the
other, which waited for the first's row lock) and then publish them in the other order. A socket
that receives 6 before 5 sees a gap, reads the database for what is missing and then drops the
late 5: under load that read cost more than the message itself. So a payload that arrives ahead
of its channel's next ``seq`` waits here at most ``hold`` seconds: if the missing ones come
meanwhile, all go out in order at once; if not (a lost publish, or a citizen channel skipping an
internal note), they go out as they are and the socket fills the gap from the database as
before. Payloads without a sequence number (``0``), the first of a channel and old ones pass
straight through, so nothing is ever dropped or delayed beyond ``hold``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

Deliver = Callable[[str, bytes], None]


def payload_seq(payload: bytes) -> int:
    """The ``seq`` of a broker envelope (``b"<seq> <json>"``, see ``core.db.encode_envelope``)."""
    space = payload.find(b" ")
    try:
        return int(payload[:space]) if space > 0 else 0
    except ValueError:
        return 0


class InOrder:
    """Per process, in front of the hub: ``__call__`` takes every payload received."""

    def __init__(self, deliver: Deliver, hold: float = 0.025) -> None:
        self._deliver = deliver
        self._hold = hold
        self._last: dict[str, int] = {}  # channel -> highest seq passed on
        self._held: dict[str, dict[int, bytes]] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self.held = 0  # payloads that arrived early and waited (metrics, tests)
        self.gaps = 0  # times the hold ran out with a seq still missing

    def __call__(self, channel: str, payload: bytes) -> None:
        seq = payload_seq(payload)
        last = self._last.get(channel)
        if seq <= 0 or last is None or seq <= last:
            if seq > 0 and last is None:
                self._last[channel] = seq
            self._deliver(channel, payload)
            return
        if seq > last + 1:
            held = self._held.get(channel)
            if held is None:
                held = self._held[channel] = {}
                self._timers[channel] = asyncio.get_running_loop().call_later(
                    self._hold, self._release, channel
                )
            held[seq] = payload
            self.held += 1
            return
        self._deliver(channel, payload)
        held = self._held.get(channel)
        if held:
            while seq + 1 in held:
                seq += 1
                self._deliver(channel, held.pop(seq))
            if not held:
                self._drop(channel)
        self._last[channel] = seq

    def _release(self, channel: str) -> None:
        """The hold ran out: pass on what waited, in order; the socket reads the gap."""
        self._timers.pop(channel, None)
        held = self._held.pop(channel, None)
        if not held:
            return
        self.gaps += 1
        for seq in sorted(held):
            self._deliver(channel, held[seq])
        self._last[channel] = max(self._last.get(channel, 0), max(held))

    def _drop(self, channel: str) -> None:
        self._held.pop(channel, None)
        timer = self._timers.pop(channel, None)
        if timer is not None:
            timer.cancel()

    def forget(self, channel: str) -> None:
        """Nobody here listens to ``channel`` any more."""
        self._drop(channel)
        self._last.pop(channel, None)

    def reset(self) -> None:
        """After a lost connection: pass on what waited and start every channel afresh."""
        for channel in list(self._held):
            timer = self._timers.get(channel)
            if timer is not None:
                timer.cancel()
            self._release(channel)
        self._last.clear()
