from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class FileIn(BaseModel):
    type: str = Field(max_length=40)
    subject: str = Field(max_length=20000)
    reasons: str = Field("", max_length=20000)


class ExtendIn(BaseModel):
    new_due: date
    reason: str = Field(max_length=5000)


class HoldIn(BaseModel):
    request: str = Field(max_length=8000)


class CompleteIn(BaseModel):
    completed_on: date | None = None
    note: str = Field("", max_length=4000)


class NoteIn(BaseModel):
    note: str = Field("", max_length=4000)


class ForwardIn(BaseModel):
    competent_entity: str = Field(max_length=400)
    note: str = Field("", max_length=4000)


class AnswerIn(BaseModel):
    answer: str = Field(max_length=40000)


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
    filed_at: datetime
    filed_on: date
    due_date: date | None
    term_days: int
    area: str
    extended: bool
    extension_reason: str
    hold_requested_on: date | None
    competent_entity: str
    forward_due: date | None
    answer: str
    answered_at: datetime | None
    answered_by_name: str
    answered_on_time: bool | None
    closed_reason: str
    constancia: str


class CaseRow(BaseModel):
    """A line of the console's lists."""

    model_config = ConfigDict(from_attributes=True)

    number: str
    type: str
    status: str
    petitioner_name: str
    filed_on: date
    due_date: date | None
    area: str
    answered_on_time: bool | None
    hold_requested_on: date | None


class DeliveryProof(BaseModel):
    """What the outbox knows about an email: the SMTP server's answer is the proof."""

    id: int
    kind: str
    to_address: str
    status: str
    message_id: str
    created_at: datetime
    sent_at: datetime | None
    server_response: str
    last_error: str
    attempts: int


class CaseEventOut(BaseModel):
    kind: str
    status: str
    at: datetime
    actor_name: str
    note: str
    data: dict[str, Any]
    email: DeliveryProof | None = None


class CaseDetail(BaseModel):
    case: CaseOut
    type_label: str
    events: list[CaseEventOut]
    answer_email: DeliveryProof | None
    # Deadlines the console shows: forwarding if not competent (art. 21), asking for what is
    # missing (art. 17), desistimiento from (art. 17), the latest extension (art. 14).
    forward_by: date | None
    hold_request_by: date | None
    withdraw_from: date | None
    extension_limit: date | None
    # On hold: when the citizen first wrote after the request (chat or email), if they did.
    citizen_replied_at: datetime | None = None
    allowed: list[str]


class CaseList(BaseModel):
    items: list[CaseRow]
    counters: dict[str, int]
    today: date
    due_soon_until: date


class CaseStatus(BaseModel):
    """What a citizen may learn about their own case."""

    number: str
    type: str
    status: str
    filed_on: date
    due_date: date | None


class CaseTypeOut(BaseModel):
    code: str
    label: str
    term_days: int
    legal_term_days: int
    area: str
    custom_label: bool


class CaseTypeIn(BaseModel):
    label: str = Field("", max_length=400)
    term_days: int
    area: str = Field("", max_length=400)


class ClosedDayIn(BaseModel):
    day: date
    reason: str = Field("", max_length=800)


class ClosedDayOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    day: date
    reason: str


class CaseTypesOut(BaseModel):
    types: list[CaseTypeOut]
    closed_days: list[ClosedDayOut]
