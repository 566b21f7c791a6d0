"""Payloads of a channel that arrive out of order wait briefly for the missing ones."""

from __future__ import annotations

import asyncio

from ventanilla.core.reorder import InOrder, payload_seq


def _p(seq: int) -> bytes:
    return f"{seq} {{}}".encode()


async def test_an_early_payload_waits_for_the_missing_one() -> None:
    got: list[tuple[str, int]] = []
    order = InOrder(lambda ch, data: got.append((ch, payload_seq(data))), hold=5.0)
    order("c", _p(4))  # first of the channel: straight through
    order("c", _p(6))  # ahead of 5: waits
    order("d", _p(1))
    order("c", _p(7))
    assert got == [("c", 4), ("d", 1)]
    order("c", _p(5))  # the missing one: 5, 6, 7 in order, at once
    assert got == [("c", 4), ("d", 1), ("c", 5), ("c", 6), ("c", 7)]
    order("c", _p(6))  # a duplicate passes (the hub drops what it has sent)
    order("c", _p(0))  # frames without a sequence number pass
    assert [s for _, s in got[-2:]] == [6, 0]
    assert order.held == 2 and order.gaps == 0 and not order._timers


async def test_a_real_gap_is_passed_on_after_the_hold() -> None:
    got: list[int] = []
    order = InOrder(lambda ch, data: got.append(payload_seq(data)), hold=0.02)
    order("c", _p(1))
    order("c", _p(4))
    order("c", _p(3))
    assert got == [1]
    await asyncio.sleep(0.06)
    assert got == [1, 3, 4] and order.gaps == 1  # the socket reads 2 from the database
    order("c", _p(5))
    assert got == [1, 3, 4, 5]


async def test_forget_and_reset() -> None:
    got: list[int] = []
    order = InOrder(lambda ch, data: got.append(payload_seq(data)), hold=5.0)
    order("c", _p(1))
    order("c", _p(3))
    order.forget("c")  # unsubscribed: what waited is dropped, the channel starts afresh
    order("c", _p(9))
    assert got == [1, 9]
    order("c", _p(11))
    order.reset()  # reconnected: what waited goes out now
    assert got == [1, 9, 11]
    order("c", _p(20))
    assert got == [1, 9, 11, 20]
