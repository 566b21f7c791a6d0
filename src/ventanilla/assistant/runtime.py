"""The assistant's engine in this process: built lazily once, rebuilt when the knowledge base
changes (its revision number grows), queried in a worker thread so the event loop never waits
for the CPU."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ventanilla.assistant.embeddings import EmbeddingCache
from ventanilla.assistant.engine import EngineParams, Index, Scored, decide
from ventanilla.settings import Settings

log = logging.getLogger(__name__)


# The demo base's vectors, computed ahead and shipped with the package (``ventanilla kb
# seed-embeddings``): 870 phrasings took 36 s of e5 on a first start, and the first citizen
# to ask waited for them. Keys are hashes of model and text, so an edited phrasing is embedded as
# usual; the seeded vectors (2.4 MB) join each process's cache, used or not.
DEMO_EMBEDDINGS = Path(__file__).parents[1] / "kb" / "data" / "canal_capital.embeddings.npz"


def embedding_cache(settings: Settings) -> EmbeddingCache:
    folder = settings.assistant.cache_dir or (settings.data_dir / "cache")
    return EmbeddingCache(folder / "embeddings.npz", seeds=(DEMO_EMBEDDINGS,))


@dataclass
class Built:
    revision: int
    index: Index
    params: EngineParams


class AssistantRuntime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cache = embedding_cache(settings)
        self._built: Built | None = None
        self._building: asyncio.Task[Built] | None = None
        self._building_revision = -1
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run the assistant's work for a message in the background (kept until done)."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def idle(self) -> None:
        """Wait for the background work (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*tuple(self._tasks), return_exceptions=True)

    async def engine(self, revision: int, load: Any) -> Built:
        """The engine for ``revision``; ``load`` is an async callable giving (items, params,
        examples: the calibration's labelled messages)."""
        if self._built is not None and self._built.revision == revision:
            return self._built
        if self._building is None or self._building_revision != revision:
            self._building_revision = revision
            self._building = asyncio.create_task(self._build(revision, load))
        built = await asyncio.shield(self._building)
        if self._built is None or self._built.revision <= built.revision:
            self._built = built
        return built

    async def _build(self, revision: int, load: Any) -> Built:
        items, params, examples = await load()
        index = await asyncio.to_thread(Index, items, self.cache, True, tuple(examples))
        log.info("assistant engine built: %d entries, revision %d", len(items), revision)
        return Built(revision, index, params)

    async def ask(self, built: Built, text: str) -> Scored:
        return await asyncio.to_thread(decide, built.index, text, "hybrid", built.params)
