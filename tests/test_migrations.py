"""Migrations build exactly the schema the models describe (on SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text

from ventanilla.core.db import Base, Database
from ventanilla.migrate import upgrade
from ventanilla.models import load_all


def test_migrations_match_models(tmp_path: Path) -> None:
    load_all()
    url = (
        os.environ.get("VENTANILLA_TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
    )

    async def reset() -> None:
        db = Database(url)
        async with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
        await db.dispose()

    async def diff() -> list[object]:
        db = Database(url)
        async with db.engine.connect() as conn:
            result = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
        await db.dispose()
        return list(result)

    asyncio.run(reset())
    upgrade(url)
    upgrade(url)  # idempotent
    assert asyncio.run(diff()) == []
