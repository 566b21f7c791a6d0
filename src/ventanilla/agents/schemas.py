"""Agent-facing shapes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Me(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    name: str
    display_name: str
    role: str
    presence: str
    max_chats: int


class MeWithCsrf(Me):
    csrf_token: str


class PresenceIn(BaseModel):
    presence: Literal["available", "away"]


class AgentListItem(BaseModel):
    id: int
    display_name: str
    role: str
    presence: str
    active_chats: int
    max_chats: int
