"""Reading and changing the entity's settings.

Settings are read on hot paths (origin checks on every widget request and websocket), so the
service keeps a short-lived in-process cache; an update refreshes it at once in this process and
within ``CACHE_SECONDS`` in others.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from pydantic import ValidationError

from ventanilla.core.db import UnitOfWork
from ventanilla.core.errors import AppError
from ventanilla.entity import repository
from ventanilla.entity.schemas import EntitySettings

CACHE_SECONDS = 5.0


@dataclass
class _Cached:
    value: EntitySettings
    at: float


class EntityService:
    def __init__(self) -> None:
        self._cached: _Cached | None = None

    async def get(self, uow: UnitOfWork) -> EntitySettings:
        if self._cached and time.monotonic() - self._cached.at < CACHE_SECONDS:
            return self._cached.value
        row = await repository.load(uow.session)
        value = EntitySettings.model_validate(row.data) if row else EntitySettings()
        self._cached = _Cached(value, time.monotonic())
        return value

    def invalidate(self) -> None:
        self._cached = None

    async def update(
        self, uow: UnitOfWork, data: dict[str, object], user_id: int | None
    ) -> EntitySettings:
        """Validate and store new settings; a changed notice text needs a new version."""
        try:
            new = EntitySettings.model_validate(data)
        except ValidationError as exc:
            raise validation_error(exc) from None
        session = uow.session
        existing = await repository.notice(session, new.privacy_notice_version)
        if existing is None:
            await repository.add_notice(
                session, new.privacy_notice_version, new.privacy_notice_text
            )
        elif existing.text != new.privacy_notice_text:
            raise AppError("privacy_version_must_change", field="privacy_notice_version")
        await repository.save(session, new.model_dump(mode="json"), user_id)
        self._cached = None
        return new


def validation_error(exc: ValidationError) -> AppError:
    """The first problem of a pydantic error as an ``AppError`` naming the field."""
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or None
    if err["type"] == "value_error":
        code = str(err.get("ctx", {}).get("error", "field_invalid"))
    elif err["type"] in ("string_too_long", "too_long"):
        code = "field_too_long"
    elif err["type"] in ("string_too_short", "missing", "too_short"):
        code = "field_required"
    else:
        code = "field_invalid"
    return AppError(code, field=field, name=field or "")
