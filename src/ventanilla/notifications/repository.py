"""Queries of the notifications domain."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.conversations.models import Conversation, Event
from ventanilla.notifications.models import InboundMail, OutboxEmail


async def conversation_by_key(session: AsyncSession, key: str) -> str | None:
    """A conversation id from its lower-cased form (reply addresses are case-folded)."""
    found = await session.scalar(select(Conversation.id).where(func.lower(Conversation.id) == key))
    return str(found) if found else None


async def claim_due(
    session: AsyncSession, now: datetime, lease: timedelta, limit: int = 20
) -> list[OutboxEmail]:
    """Lease due emails to this sender. ``SKIP LOCKED`` lets several processes share the work."""
    rows = list(
        await session.scalars(
            select(OutboxEmail)
            .where(
                OutboxEmail.status == "pending",
                OutboxEmail.next_attempt_at <= now,
                or_(OutboxEmail.locked_until.is_(None), OutboxEmail.locked_until < now),
            )
            .order_by(OutboxEmail.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for row in rows:
        row.locked_until = now + lease
        row.attempts += 1
    await session.flush()
    return rows


async def get(session: AsyncSession, email_id: int) -> OutboxEmail | None:
    return await session.get(OutboxEmail, email_id)


async def by_message_ids(session: AsyncSession, ids: list[str]) -> OutboxEmail | None:
    if not ids:
        return None
    return await session.scalar(
        select(OutboxEmail).where(OutboxEmail.message_id.in_(ids)).order_by(OutboxEmail.id.desc())
    )


async def last_for_conversation(session: AsyncSession, conversation_id: str) -> OutboxEmail | None:
    return await session.scalar(
        select(OutboxEmail)
        .where(OutboxEmail.conversation_id == conversation_id)
        .order_by(OutboxEmail.id.desc())
        .limit(1)
    )


async def unseen_candidates(session: AsyncSession, quiet_before: datetime) -> list[Conversation]:
    """Conversations whose latest agent message is unseen, not yet emailed, and old enough."""
    rows = await session.scalars(
        select(Conversation)
        .where(
            Conversation.last_agent_seq > Conversation.citizen_seen_seq,
            Conversation.last_agent_seq > Conversation.notified_seq,
            Conversation.last_agent_at <= quiet_before,
        )
        .limit(100)
    )
    return list(rows)


async def mark_notified(session: AsyncSession, conversation_id: str, seq: int) -> bool:
    """Only one process wins the right to email this burst."""
    result = await session.execute(
        update(Conversation)
        .where(Conversation.id == conversation_id, Conversation.notified_seq < seq)
        .values(notified_seq=seq)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def agent_messages_after(
    session: AsyncSession, conversation_id: str, after_seq: int, up_to: int
) -> list[Event]:
    rows = await session.scalars(
        select(Event)
        .where(
            Event.conversation_id == conversation_id,
            Event.seq > after_seq,
            Event.seq <= up_to,
            Event.kind == "message",
            Event.author_role == "agent",
            Event.internal.is_(False),
        )
        .order_by(Event.seq)
    )
    return list(rows)


async def public_events(session: AsyncSession, conversation_id: str) -> list[Event]:
    rows = await session.scalars(
        select(Event)
        .where(Event.conversation_id == conversation_id, Event.internal.is_(False))
        .order_by(Event.seq)
    )
    return list(rows)


async def problem_emails(session: AsyncSession, limit: int = 100) -> list[OutboxEmail]:
    rows = await session.scalars(
        select(OutboxEmail)
        .where(or_(OutboxEmail.status == "failed", OutboxEmail.attempts > 1))
        .where(OutboxEmail.status != "sent")
        .order_by(OutboxEmail.id.desc())
        .limit(limit)
    )
    return list(rows)


async def recent_emails(session: AsyncSession, limit: int = 50) -> list[OutboxEmail]:
    rows = await session.scalars(select(OutboxEmail).order_by(OutboxEmail.id.desc()).limit(limit))
    return list(rows)


async def inbound_for_review(session: AsyncSession, limit: int = 100) -> list[InboundMail]:
    rows = await session.scalars(
        select(InboundMail)
        .where(InboundMail.status != "added")
        .order_by(InboundMail.id.desc())
        .limit(limit)
    )
    return list(rows)
