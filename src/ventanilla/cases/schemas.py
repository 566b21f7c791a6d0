from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class FileIn(BaseModel):
    type: str = Field(max_length=40)
    subject: str = Field(max_length=20000)
    reasons: str = Field("", max_length=20000)


class ExtendIn(BaseModel):
    new_due: date
    reason: str = Field(max_length=5000)


class CaseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: str
    type: str
    status: str
    conversation_id: str | None
    petitioner_name: str
    petitioner_email: str
    subject: str
    reasons: str
    received_by_name: str
    filed_on: date
    due_date: date
    extension_reason: str
    constancia: str


class CaseStatus(BaseModel):
    """What a citizen may learn about their own case."""

    number: str
    type: str
    status: str
    filed_on: date
    due_date: date
