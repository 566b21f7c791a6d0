"""Turning rows into the JSON frames and summaries of docs/protocol.md."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ventanilla.conversations.models import Conversation, Event
from ventanilla.conversations.schemas import Summary
from ventanilla.core.i18n import translate


def iso(dt: datetime | None) -> str | None:
    if dt is None:
        return None
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_frame(ev: Event) -> dict[str, Any]:
    return {
        "type": "event",
        "conversation_id": ev.conversation_id,
        "seq": ev.seq,
        "kind": ev.kind,
        "author": {"role": ev.author_role, "name": ev.author_name},
        "body": ev.body,
        "client_id": ev.client_id,
        "created_at": iso(ev.created_at),
        "data": ev.data or {},
    }


def request_type_label(code: str, lang: str) -> str:
    return translate(lang, f"request_type.{code}")


def summary(conv: Conversation, agent_name: str | None, lang: str = "es") -> Summary:
    return Summary(
        id=conv.id,
        status=conv.status,
        channel=conv.channel,
        citizen_name=conv.citizen_name,
        citizen_email=conv.citizen_email,
        request_type=conv.request_type,
        request_type_label=request_type_label(conv.request_type, lang),
        page_url=conv.page_url,
        agent_id=conv.agent_id,
        agent_name=agent_name,
        created_at=conv.created_at,
        taken_at=conv.taken_at,
        closed_at=conv.closed_at,
        closed_by=conv.closed_by,
        topic=conv.topic,
        last_seq=conv.last_seq,
        citizen_seen_seq=conv.citizen_seen_seq,
        agent_seen_seq=conv.agent_seen_seq,
        last_message=conv.last_message,
    )


def summary_json(conv: Conversation, agent_name: str | None, lang: str = "es") -> dict[str, Any]:
    return summary(conv, agent_name, lang).model_dump(mode="json")


def citizen_view(conv: Conversation, agent_name: str | None) -> dict[str, Any]:
    """What the citizen may know about their own conversation (no staff ids)."""
    return {
        "id": conv.id,
        "status": conv.status,
        "agent_name": agent_name,
        "last_seq": conv.last_seq,
        "agent_seen_seq": conv.agent_seen_seq,
        "request_type": conv.request_type,
        "citizen_name": conv.citizen_name,
        "created_at": iso(conv.created_at),
    }


# Channels of the broker. Citizens listen to ``citizen_channel``; agents to ``agent_channel``,
# which also carries internal notes.
AGENTS = "agents"


def citizen_channel(conversation_id: str) -> str:
    return f"conv:{conversation_id}:c"


def agent_channel(conversation_id: str) -> str:
    return f"conv:{conversation_id}:a"


def user_channel(user_id: int) -> str:
    return f"agent:{user_id}"
