"""The engine is built once per revision of the knowledge base, and rebuilt when it changes."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ventanilla.assistant.engine import EngineParams
from ventanilla.assistant.runtime import AssistantRuntime
from ventanilla.kb.schemas import KbItem
from ventanilla.settings import AssistantSettings, Settings

ITEMS = [
    KbItem(id="horario", question="¿Cuál es el horario de atención?", answer="7 a 16:30"),
    KbItem(id="nit", question="¿Cuál es el NIT?", answer="830.012.587-4"),
]


async def test_built_once_per_revision_and_rebuilt_on_change(tmp_path: Path) -> None:
    settings = Settings(assistant=AssistantSettings(cache_dir=tmp_path))
    runtime = AssistantRuntime(settings)
    loads: list[int] = []

    def loader(items: list[KbItem]):  # type: ignore[no-untyped-def]
        async def load() -> tuple[list[KbItem], EngineParams, list[str]]:
            loads.append(len(items))
            return items, EngineParams.default("hybrid"), []

        return load

    first, again = await asyncio.gather(
        runtime.engine(1, loader(ITEMS)), runtime.engine(1, loader(ITEMS))
    )
    assert first is again and loads == [2]  # concurrent callers share one build
    assert await runtime.engine(1, loader(ITEMS)) is first
    second = await runtime.engine(2, loader(ITEMS[:1]))
    assert second is not first and loads == [2, 1]
    scored = await runtime.ask(second, "a que ora atienden")
    assert second.index.ids[scored.ranking[0]] == "horario"
    assert (tmp_path / "embeddings.npz").exists()  # vectors cached on disk for the next start
