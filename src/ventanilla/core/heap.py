"""The garbage collector of a server process that holds thousands of open sockets.

CPython's cyclic collector stops the whole process while it runs, and a full collection walks
every tracked object. With 2,000 sockets open, full collections came every few seconds under
load and took 100-190 ms each (measured with ``gc.callbacks``, bench/README.md): every message
in flight waited for them, and they were most of the latency spikes. They found next to no
garbage (10-80 objects).

Two settings, applied only by the real server (``app_from_env``; the tests' in-process apps
keep Python's defaults, since frozen objects are never collected):

* ``freeze``: what start-up built (modules, routes, SQLAlchemy's caches, the assistant's index:
  ~200,000 objects) moves to the permanent generation, never walked again. Called once the
  application has started and again once the assistant's engine is built.
* ``THRESHOLDS``: young collections after 10,000 net allocations instead of 700 (the objects of
  a message live for a few milliseconds and are freed by reference counting long before), and
  a full collection only after 100 middle ones instead of 10.
"""

from __future__ import annotations

import gc

THRESHOLDS = (10_000, 50, 100)


def tune() -> None:
    gc.set_threshold(*THRESHOLDS)


def freeze() -> None:
    """Collect, then move every object alive now out of the collector's way for good."""
    gc.collect()
    gc.freeze()
