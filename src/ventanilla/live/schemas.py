"""The live view's snapshot."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from ventanilla.conversations.schemas import Summary


class InProgress(BaseModel):
    id: str
    citizen_name: str
    request_type_label: str
    channel: str
    taken_at: datetime | None


class WithAssistant(BaseModel):
    id: str
    citizen_name: str
    request_type_label: str
    channel: str
    created_at: datetime


class AgentLoad(BaseModel):
    id: int
    display_name: str
    role: str
    presence: str  # available | away | disconnected (as the Presence API says)
    active_chats: int
    max_chats: int
    conversations: list[InProgress]


class LiveSnapshot(BaseModel):
    server_time: datetime
    waiting: list[Summary]
    agents: list[AgentLoad]
    # In progress with someone who is not an active staff member any more (deactivated).
    unassigned: list[InProgress]
    # Attended by the assistant now (see ``service.ASSISTANT_RECENT``).
    with_assistant: list[WithAssistant]
