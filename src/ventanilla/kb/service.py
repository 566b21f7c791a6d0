"""Knowledge-base changes: create, edit, deactivate, import. Every change is kept in the history
with who and when, and bumps the base's revision so every process rebuilds its engine."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ventanilla.agents.models import User
from ventanilla.assistant.normalize import fold
from ventanilla.core.db import UnitOfWork, utcnow
from ventanilla.core.errors import AppError, Conflict, NotFound
from ventanilla.kb import repository
from ventanilla.kb.files import KbFileError, item_from_row
from ventanilla.kb.models import KbChange, KbEntry
from ventanilla.kb.schemas import EntryIn, KbItem

Actor = tuple[int | None, str]  # user id (None for the CLI), name
TAUGHT = "taught"  # kb_state.calibration: [[question, entry id or null], ...] (``teaching.py``)


def actor_of(user: User) -> Actor:
    return user.id, user.name


def _snapshot(e: KbEntry) -> dict[str, Any]:
    return {
        "question": e.question,
        "alternatives": list(e.alternatives),
        "answer": e.answer,
        "category": e.category,
        "active": e.active,
        "version": e.version,
    }


def to_item(e: KbEntry) -> KbItem:
    return KbItem(
        id=e.id,
        question=e.question,
        answer=e.answer,
        category=e.category,
        alternatives=tuple(e.alternatives),
        active=e.active,
    )


def _validated(data: EntryIn, entry_id: str) -> KbItem:
    row = data.model_dump()
    row["id"] = entry_id
    try:
        return item_from_row(row)
    except KbFileError as exc:
        raise AppError(exc.code, field=exc.field, name=exc.field or "") from None


def slug_for(question: str) -> str:
    words = [w for w in fold(question).split() if len(w) > 2][:6]
    return re.sub(r"-+", "-", "-".join(words))[:60].strip("-") or "entrada"


async def _record(uow: UnitOfWork, e: KbEntry, action: str, actor: Actor) -> None:
    e.updated_at, e.updated_by, e.updated_by_name = utcnow(), actor[0], actor[1][:120]
    uow.session.add(
        KbChange(
            entry_id=e.id, action=action, snapshot=_snapshot(e), user_id=actor[0], actor=actor[1]
        )
    )
    await uow.session.flush()


async def bump(uow: UnitOfWork, calibration: dict[str, Any] | None = None) -> int:
    state = await repository.lock_state(uow.session)
    state.revision += 1
    state.active_entries = await repository.active_count(uow.session)
    if calibration is not None:
        # what supervisors taught in the console (``teaching.py``) outlives a new calibration
        kept = (state.calibration or {}).get(TAUGHT)
        state.calibration = {TAUGHT: kept, **calibration} if kept else calibration
    state.updated_at = utcnow()
    await uow.session.flush()
    return state.revision


async def create(uow: UnitOfWork, data: EntryIn, actor: Actor) -> KbEntry:
    entry_id = (data.id or "").strip().lower() or slug_for(data.question)
    item = _validated(data, entry_id)
    if await repository.get(uow.session, item.id) is not None:
        raise Conflict("kb_id_taken")
    e = KbEntry(
        id=item.id,
        question=item.question,
        alternatives=list(item.alternatives),
        answer=item.answer,
        category=item.category,
        active=item.active,
        version=1,
    )
    uow.session.add(e)
    await _record(uow, e, "created", actor)
    await bump(uow)
    return e


async def update(uow: UnitOfWork, entry_id: str, data: EntryIn, actor: Actor) -> KbEntry:
    e = await repository.get(uow.session, entry_id)
    if e is None:
        raise NotFound()
    item = _validated(data, entry_id)
    _apply(e, item)
    await _record(uow, e, "updated", actor)
    await bump(uow)
    return e


def _apply(e: KbEntry, item: KbItem) -> None:
    e.question, e.answer, e.category = item.question, item.answer, item.category
    e.alternatives, e.active = list(item.alternatives), item.active
    e.version += 1


async def deactivate(uow: UnitOfWork, entry_id: str, actor: Actor) -> KbEntry:
    e = await repository.get(uow.session, entry_id)
    if e is None:
        raise NotFound()
    if e.active:
        e.active = False
        e.version += 1
        await _record(uow, e, "deactivated", actor)
        await bump(uow)
    return e


async def import_items(
    uow: UnitOfWork,
    items: Sequence[KbItem],
    *,
    actor: Actor,
    calibration: dict[str, Any] | None = None,
) -> tuple[int, int]:
    """Create or update every entry of a validated file (one transaction: all or nothing)."""
    created = updated = 0
    for item in items:
        e = await repository.get(uow.session, item.id)
        if e is None:
            e = KbEntry(id=item.id, version=0, alternatives=[])
            uow.session.add(e)
            created += 1
        elif to_item(e) == item:
            continue
        else:
            updated += 1
        _apply(e, item)
        await _record(uow, e, "imported", actor)
    await bump(uow, calibration)
    return created, updated


async def all_items(uow: UnitOfWork) -> list[KbItem]:
    return [to_item(e) for e in await repository.all_(uow.session)]
