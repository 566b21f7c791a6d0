"""Create, edit and delete canned responses (supervisors and admins)."""

from __future__ import annotations

import re

from ventanilla.canned import repository
from ventanilla.canned.models import CannedResponse
from ventanilla.canned.schemas import CannedIn
from ventanilla.core.db import UnitOfWork, utcnow
from ventanilla.core.errors import AppError, NotFound
from ventanilla.core.text import clean_text

_SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


def _validated(data: CannedIn) -> dict[str, str]:
    shortcut = data.shortcut.strip().lstrip("/").lower()
    if not _SHORTCUT.match(shortcut):
        raise AppError("shortcut_invalid", field="shortcut")
    return {
        "shortcut": shortcut,
        "title": clean_text(data.title, field="title", max_chars=120, multiline=False),
        "body": clean_text(data.body, field="body", max_chars=4000),
        "category": clean_text(
            data.category, field="category", max_chars=40, multiline=False, required=False
        ),
    }


async def create(uow: UnitOfWork, data: CannedIn, user_id: int | None) -> CannedResponse:
    values = _validated(data)
    if await repository.by_shortcut(uow.session, values["shortcut"]):
        raise AppError("shortcut_taken", 409, field="shortcut")
    row = CannedResponse(**values, updated_by=user_id)
    uow.session.add(row)
    await uow.session.flush()
    return row


async def update(uow: UnitOfWork, canned_id: int, data: CannedIn, user_id: int) -> CannedResponse:
    values = _validated(data)
    row = await repository.get(uow.session, canned_id)
    if row is None:
        raise NotFound()
    other = await repository.by_shortcut(uow.session, values["shortcut"])
    if other is not None and other.id != canned_id:
        raise AppError("shortcut_taken", 409, field="shortcut")
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_by, row.updated_at = user_id, utcnow()
    await uow.session.flush()
    return row


async def delete(uow: UnitOfWork, canned_id: int) -> None:
    row = await repository.get(uow.session, canned_id)
    if row is None:
        raise NotFound()
    await uow.session.delete(row)
    await uow.session.flush()
