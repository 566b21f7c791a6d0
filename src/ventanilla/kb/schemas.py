"""Knowledge-base entries as files, the console and the engine see them."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
QUESTION_MAX = 300
ANSWER_MAX = 4000
CATEGORY_MAX = 60
ALTERNATIVES_MAX = 100


class KbItem(BaseModel):
    """One validated entry (what the engine indexes and files hold)."""

    model_config = ConfigDict(frozen=True)

    id: str
    question: str
    answer: str
    category: str = ""
    alternatives: tuple[str, ...] = ()
    active: bool = True


class EntryIn(BaseModel):
    """Create or edit an entry from the console (``id`` only on create)."""

    id: str | None = Field(None, max_length=200)
    question: str = Field(max_length=2000)
    answer: str = Field(max_length=20000)
    category: str = Field("", max_length=500)
    alternatives: list[str] = Field(default_factory=list, max_length=200)
    active: bool = True


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    question: str
    answer: str
    category: str
    alternatives: list[str]
    active: bool
    version: int
    updated_at: datetime
    updated_by_name: str


class ChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    entry_id: str
    action: str
    actor: str
    at: datetime
    snapshot: dict[str, Any]
