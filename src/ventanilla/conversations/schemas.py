"""Input and output shapes of the conversations domain."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from ventanilla.satisfaction.schemas import RatingBrief

REQUEST_TYPES = (
    "consulta",
    "peticion",
    "queja",
    "reclamo",
    "sugerencia",
    "felicitacion",
    "denuncia",
)
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class StartIn(BaseModel):
    name: str = Field(max_length=2000)
    email: str = Field(max_length=2000)
    request_type: str = Field(max_length=100)
    privacy_accepted: bool
    privacy_version: str = Field(max_length=100)
    page_url: str = Field("", max_length=4000)
    lang: str | None = Field(None, max_length=20)
    transcript_opt_out: bool = False


class StartOut(BaseModel):
    conversation_id: str
    token: str
    status: str


class MessageIn(BaseModel):
    client_id: str = Field(max_length=64)
    body: str = Field(max_length=20000)
    internal: bool = False


class TransferIn(BaseModel):
    agent_id: int


class CloseIn(BaseModel):
    request_type: str = Field(max_length=100)
    topic: str = Field("", max_length=500)


class Ack(BaseModel):
    type: Literal["ack"] = "ack"
    client_id: str
    seq: int
    created_at: datetime


class Summary(BaseModel):
    id: str
    status: str
    channel: str
    citizen_name: str
    citizen_email: str
    request_type: str
    request_type_label: str
    page_url: str
    agent_id: int | None
    agent_name: str | None
    created_at: datetime
    taken_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    topic: str | None
    last_seq: int
    citizen_seen_seq: int
    agent_seen_seq: int
    last_message: str


class HistoryPage(BaseModel):
    items: list[Summary]
    total: int
    page: int
    page_size: int
    ratings: dict[str, RatingBrief] = {}  # conversation id -> its rating, if rated


class Detail(BaseModel):
    conversation: Summary
    events: list[dict[str, Any]]
