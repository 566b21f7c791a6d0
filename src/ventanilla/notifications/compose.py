"""Writing emails to the citizen: content from templates, threading headers, the outbox row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from ventanilla.conversations.frames import request_type_label
from ventanilla.conversations.models import Conversation, Event
from ventanilla.core.db import UnitOfWork
from ventanilla.core.i18n import translate
from ventanilla.entity.schemas import EntitySettings
from ventanilla.notifications import repository
from ventanilla.notifications.links import reply_address, sign_link
from ventanilla.notifications.mailparse import REPLY_MARKER
from ventanilla.notifications.models import OutboxEmail
from ventanilla.settings import Settings

TEMPLATES = Path(__file__).parents[1] / "web" / "templates" / "emails"
_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Line:
    author: str
    role: str
    time: str
    body: str


def domain_of(address: str) -> str:
    return address.rpartition("@")[2] or "ventanilla.local"


def thread_root(conversation_id: str, settings: Settings) -> str:
    """The Message-ID every email of a conversation refers to, so mail programs thread them."""
    return f"conversation.{conversation_id}@{domain_of(settings.mail.from_address)}"


def lines(events: list[Event], tz: str) -> list[Line]:
    zone = ZoneInfo(tz)
    return [
        Line(e.author_name, e.author_role, _local(e.created_at, zone), e.body)
        for e in events
        if e.kind == "message"
    ]


def _local(dt: datetime, zone: ZoneInfo) -> str:
    return dt.astimezone(zone).strftime("%d/%m/%Y %H:%M")


def render(name: str, **context: Any) -> tuple[str, str]:
    """(text, html) of the email template pair ``name``."""
    lang = context.get("lang", "es")

    def t(key: str, **params: Any) -> str:
        return translate(lang, key, **params)

    context = {**context, "t": t, "reply_marker": REPLY_MARKER}
    text = _env.get_template(f"{name}.txt").render(**context)
    html = _env.get_template(f"{name}.html").render(**context)
    return text, html


async def enqueue(
    uow: UnitOfWork,
    *,
    kind: str,
    conv: Conversation,
    entity: EntitySettings,
    settings: Settings,
    subject: str,
    template: str,
    **context: Any,
) -> OutboxEmail:
    """Write an email to the outbox in the caller's transaction (sent only after commit)."""
    mail = settings.mail
    link = sign_link(settings.secret_key, conv.id, mail.link_ttl_hours * 3600)
    reply_to = (
        reply_address(settings.secret_key, mail.inbound_address, conv.id)
        if mail.inbound_address
        else mail.reply_to
    )
    text, html = render(
        template,
        lang=conv.lang,
        entity=entity,
        conv=conv,
        request_type=request_type_label(conv.request_type, conv.lang),
        link=f"{settings.base_url.rstrip('/')}/conversacion/{link}",
        link_days=round(mail.link_ttl_hours / 24),
        can_reply=bool(reply_to),
        **context,
    )
    row = OutboxEmail(
        kind=kind,
        conversation_id=conv.id,
        to_address=conv.citizen_email,
        subject=subject[:300],
        text_body=text,
        html_body=html,
        message_id=f"{uuid.uuid4().hex}@{domain_of(mail.from_address)}",
        in_reply_to=thread_root(conv.id, settings),
        reply_to=reply_to,
    )
    uow.session.add(row)
    await uow.session.flush()
    return row


async def previous_message_id(uow: UnitOfWork, conversation_id: str) -> str | None:
    last = await repository.last_for_conversation(uow.session, conversation_id)
    return last.message_id if last else None
