"""Queries behind ``/healthz`` and ``/metrics`` (cluster-wide figures read from the database)."""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.conversations.models import Conversation
from ventanilla.notifications.models import OutboxEmail


async def ping(session: AsyncSession) -> None:
    await session.execute(text("SELECT 1"))


async def waiting_conversations(session: AsyncSession) -> int:
    found = await session.scalar(
        select(func.count()).select_from(Conversation).where(Conversation.status == "waiting")
    )
    return int(found or 0)


async def outbox_by_status(session: AsyncSession) -> dict[str, int]:
    """Emails not sent yet: ``pending`` (to send or retry) and ``failed`` (gave up)."""
    rows = await session.execute(
        select(OutboxEmail.status, func.count())
        .where(OutboxEmail.status.in_(("pending", "failed")))
        .group_by(OutboxEmail.status)
    )
    counts = {"pending": 0, "failed": 0}
    counts.update({str(status): int(n) for status, n in rows.all()})
    return counts
