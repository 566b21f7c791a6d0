from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CannedIn(BaseModel):
    shortcut: str = Field(max_length=200)
    title: str = Field(max_length=1000)
    body: str = Field(max_length=20000)
    category: str = Field("", max_length=200)


class CannedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shortcut: str
    title: str
    body: str
    category: str
