"""The console's knowledge-base API (supervisors and admins)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ventanilla.assistant import repository as assistant_repository
from ventanilla.assistant.embeddings import EmbeddingCache
from ventanilla.assistant.grouping import group
from ventanilla.core.errors import NotFound
from ventanilla.kb import repository, service, teaching
from ventanilla.kb.schemas import ChangeOut, EntryIn, EntryOut
from ventanilla.web.deps import CtxDep, CurrentSupervisor

router = APIRouter(prefix="/api/kb")
_miss_vectors = EmbeddingCache(None)  # citizens' texts stay in memory, never on disk


@router.get("/entries")
async def list_entries(ctx: CtxDep, user: CurrentSupervisor, q: str = "") -> list[EntryOut]:
    async with ctx.db.unit() as uow:
        rows = await (
            repository.search(uow.session, q.strip()[:200])
            if q.strip()
            else repository.all_(uow.session)
        )
        return [EntryOut.model_validate(r) for r in rows]


@router.post("/entries", status_code=201)
async def create_entry(data: EntryIn, ctx: CtxDep, user: CurrentSupervisor) -> EntryOut:
    async with ctx.db.unit() as uow:
        row = await service.create(uow, data, service.actor_of(user))
        return EntryOut.model_validate(row)


@router.get("/entries/{entry_id}")
async def read_entry(entry_id: str, ctx: CtxDep, user: CurrentSupervisor) -> dict[str, Any]:
    async with ctx.db.unit() as uow:
        row = await repository.get(uow.session, entry_id)
        if row is None:
            raise NotFound()
        changes = await repository.history(uow.session, entry_id)
        return {
            "entry": EntryOut.model_validate(row).model_dump(mode="json"),
            "history": [ChangeOut.model_validate(c).model_dump(mode="json") for c in changes],
        }


@router.put("/entries/{entry_id}")
async def update_entry(
    entry_id: str, data: EntryIn, ctx: CtxDep, user: CurrentSupervisor
) -> EntryOut:
    async with ctx.db.unit() as uow:
        row = await service.update(uow, entry_id, data, service.actor_of(user))
        return EntryOut.model_validate(row)


@router.post("/entries/{entry_id}/deactivate")
async def deactivate_entry(entry_id: str, ctx: CtxDep, user: CurrentSupervisor) -> EntryOut:
    async with ctx.db.unit() as uow:
        row = await service.deactivate(uow, entry_id, service.actor_of(user))
        return EntryOut.model_validate(row)


@router.get("/unanswered")
async def unanswered(ctx: CtxDep, user: CurrentSupervisor) -> list[dict[str, Any]]:
    """Questions the assistant could not answer, grouped by similarity (largest first)."""
    async with ctx.db.unit() as uow:
        rows = await assistant_repository.unanswered(uow.session)
    by_id = {r.id: r for r in rows}
    pairs = [(r.id, r.text) for r in rows if r.text.strip()]
    groups = await asyncio.to_thread(group, pairs, _miss_vectors)
    return [
        {
            "count": len(g.texts),
            "example": g.texts[0],
            "questions": g.texts[:20],
            "last_at": max(by_id[i].created_at for i in g.ids).isoformat(),
            "conversations": sorted({by_id[i].conversation_id for i in g.ids})[:20],
            "ids": g.ids,
        }
        for g in groups
    ]


class TeachIn(BaseModel):
    """Unanswered questions (``ids`` of a group) and the entry that answers them, or null."""

    ids: list[int] = Field(max_length=teaching.TEACH_MAX)
    entry_id: str | None = Field(None, max_length=200)


@router.post("/unanswered/teach")
async def teach(data: TeachIn, ctx: CtxDep, user: CurrentSupervisor) -> dict[str, int]:
    """Label a group of unanswered questions: they become examples of the assistant."""
    async with ctx.db.unit() as uow:
        n = await teaching.teach(uow, data.ids, data.entry_id)
    return {"taught": n}
