"""The event log of a conversation: each new event gets the next sequence number and is queued
for both channels (agents see everything, citizens all but internal notes) after commit.

Every operation in ``service`` that records something goes through ``add_event``."""

from __future__ import annotations

from typing import Any

from ventanilla.conversations.frames import agent_channel, citizen_channel, event_frame
from ventanilla.conversations.models import Conversation, Event
from ventanilla.core.db import UnitOfWork, encode_envelope, utcnow

Author = tuple[str, int | None, str]  # role, user id, display name


async def add_event(
    uow: UnitOfWork,
    conv: Conversation,
    *,
    kind: str,
    author: Author,
    body: str = "",
    client_id: str | None = None,
    internal: bool = False,
    data: dict[str, Any] | None = None,
) -> Event:
    """Give the next sequence number to a new event (the row is locked by the caller)."""
    conv.last_seq += 1
    role, user_id, name = author
    ev = Event(
        conversation_id=conv.id,
        seq=conv.last_seq,
        kind=kind,
        internal=internal,
        author_role=role,
        author_id=user_id,
        author_name=name,
        body=body,
        client_id=client_id,
        data=data or {},
        created_at=utcnow(),
    )
    uow.session.add(ev)
    if kind == "message":
        conv.last_message = body[:200]
        if role == "agent" and not internal:
            conv.last_agent_seq, conv.last_agent_at = ev.seq, ev.created_at
    await uow.session.flush()
    payload = encode_envelope(ev.seq, event_frame(ev))  # once for both channels
    uow.publish_encoded(agent_channel(conv.id), payload)
    if not internal:
        uow.publish_encoded(citizen_channel(conv.id), payload)
    return ev
