"""Which citizen messages the assistant must reply to, queued in the message's own transaction
(the chat writer and inbound email call this; ``assistant/jobs.py`` does the replying)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from ventanilla.assistant import repository
from ventanilla.cases import chat_lookup as case_lookup


def wanted(status: str, body: str) -> bool:
    """Only conversations without a person get the assistant (but a case-status lookup is
    answered whoever attends: cases/chat_lookup.py)."""
    return status in ("assistant", "waiting") or case_lookup.candidate(body)


async def enqueue(
    executor: AsyncSession | AsyncConnection,
    messages: Sequence[tuple[str, int, str, str]],
    now: datetime,
) -> None:
    """Queue a reply for each (conversation id, seq, body, conversation status) that wants one."""
    await repository.add_jobs(
        executor,
        [
            {"conversation_id": conv_id, "seq": seq, "text": body, "created_at": now}
            for conv_id, seq, body, status in messages
            if wanted(status, body)
        ],
    )
