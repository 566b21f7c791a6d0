"""Telling the citizen about their case: an email through the outbox (sent after commit, with
the server's answer kept as proof) and, when the conversation is still open, the same text in
the chat. Chat notices are authored by the role ``system``, so the "unseen reply" email does not
send them a second time."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from ventanilla.cases.models import Case
from ventanilla.conversations import repository as conversations_repository
from ventanilla.conversations import service as conversations
from ventanilla.core.db import UnitOfWork
from ventanilla.core.i18n import translate
from ventanilla.notifications.compose import domain_of, enqueue, render
from ventanilla.notifications.models import OutboxEmail
from ventanilla.notifications.service import entity_settings
from ventanilla.settings import Settings

# The notices workflow.py sends; each has its texts in the es and en catalogs (tests check it).
NOTICE_KINDS = ("extended", "on_hold", "completed", "forwarded", "withdrawn", "answered")


async def notify(
    uow: UnitOfWork,
    case: Case,
    settings: Settings,
    *,
    kind: str,
    body: str | None = None,
    author_name: str | None = None,
    **params: Any,
) -> OutboxEmail:
    """Email ``body`` (default: the catalog's text for ``kind`` with ``params``, in the
    citizen's language) under a heading for ``kind``; echo it in the chat.
    Returns the outbox row, whose status, time and Message-ID are the delivery proof."""
    conv = (
        await conversations_repository.get(uow.session, case.conversation_id)
        if case.conversation_id
        else None
    )
    lang = conv.lang if conv is not None else "es"
    heading = translate(lang, f"case.notice.{kind}.heading", number=case.number)
    subject = translate(lang, f"case.notice.{kind}.subject", number=case.number)
    if body is None:
        body = translate(lang, f"case.notice.{kind}.body", **params)
    entity = await entity_settings(uow)
    email_kind = "case_answer" if kind == "answered" else "case_notice"
    context = {"number": case.number, "heading": heading, "body": body}
    if conv is None:
        row = await _direct(uow, case, settings, email_kind, subject, entity=entity, **context)
    else:
        row = await enqueue(
            uow,
            kind=email_kind,
            conv=conv,
            entity=entity,
            settings=settings,
            subject=subject,
            template="case_notice",
            **context,
        )
        await conversations.append_event(
            uow,
            conv.id,
            kind="message",
            author=("system", None, author_name or translate(lang, "case.chat_author")),
            body=f"{heading}\n\n{body}",
            data={"case": case.number, "case_notice": kind},
        )
    return row


async def _direct(
    uow: UnitOfWork,
    case: Case,
    settings: Settings,
    kind: str,
    subject: str,
    **context: Any,
) -> OutboxEmail:
    """A case whose conversation was deleted (privacy request): email without a chat link."""
    conv = SimpleNamespace(citizen_name=case.petitioner_name, citizen_email=case.petitioner_email)
    text, html = render(
        "case_notice", lang="es", conv=conv, link="", link_days=0, can_reply=False, **context
    )
    row = OutboxEmail(
        kind=kind,
        conversation_id=None,
        to_address=case.petitioner_email,
        subject=subject[:300],
        text_body=text,
        html_body=html,
        message_id=f"{uuid.uuid4().hex}@{domain_of(settings.mail.from_address)}",
    )
    uow.session.add(row)
    await uow.session.flush()
    return row
