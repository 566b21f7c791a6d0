"""Mail from citizens: a reply to our email becomes their message in the conversation.

A mail is matched by its reply address (``respuesta+<conversation>.<sig>@…``) or by the
Message-IDs it answers; it is added only when its sender is the conversation's citizen. Anything
else (unknown conversation, other sender, auto-replies, unreadable mail) is kept for review.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from ventanilla.assistant import queue as assistant_queue
from ventanilla.conversations import service as conversations
from ventanilla.conversations.models import Conversation
from ventanilla.core.db import Database, utcnow
from ventanilla.core.errors import AppError
from ventanilla.notifications import repository
from ventanilla.notifications.links import verify_reply_token
from ventanilla.notifications.mailparse import MailParseError, ParsedMail, parse_mail, reply_token
from ventanilla.notifications.models import InboundMail
from ventanilla.settings import Settings

log = logging.getLogger(__name__)


async def _match(db: Database, mail: ParsedMail, settings: Settings) -> str | None:
    for address in mail.to_addrs:
        token = reply_token(address)
        if token:
            key = verify_reply_token(settings.secret_key, token)
            if key:
                async with db.unit() as uow:
                    return await repository.conversation_by_key(uow.session, key)
    async with db.unit() as uow:
        sent = await repository.by_message_ids(uow.session, [*mail.in_reply_to, *mail.references])
        return sent.conversation_id if sent else None


async def receive(db: Database, raw: bytes, settings: Settings, via: str) -> InboundMail:
    """Process one raw RFC 5322 mail; always records it, and never raises for bad mail."""
    try:
        mail = await asyncio.to_thread(parse_mail, raw)  # CPU work off the event loop
    except MailParseError as exc:
        return await _record(db, via, status=exc.code, body=raw[:2000].decode("utf-8", "replace"))
    base: dict[str, Any] = {
        "via": via,
        "from_address": mail.from_addr,
        "subject": mail.subject[:300],
        "message_id": mail.message_id[:250],
        "body": mail.text,
        "attachments": [a.__dict__ for a in mail.attachments],
    }
    if mail.auto_submitted:
        return await _record(db, **base, status="auto_reply")
    conversation_id = await _match(db, mail, settings)
    if conversation_id is None:
        return await _record(db, **base, status="unmatched")
    async with db.unit() as uow:
        conv = await uow.session.get(Conversation, conversation_id)
        citizen = conv.citizen_email.lower() if conv else None
    if conv is None or citizen != mail.from_addr:
        return await _record(db, **base, status="sender_mismatch", conversation_id=conversation_id)
    body = mail.text or "(" + ", ".join(a.filename for a in mail.attachments) + ")"
    key = mail.message_id or hashlib.sha256(raw).hexdigest()
    client_id = "mail-" + hashlib.sha256(key.encode()).hexdigest()[:40]
    try:
        async with db.unit() as uow:
            await conversations.reopen_if_closed(uow, conversation_id)
            ev, created = await conversations.post_message(
                uow,
                conversation_id,
                author=("citizen", None, conv.citizen_name),
                client_id=client_id,
                body=body,
                internal=False,
                max_chars=settings.limits.message_max_chars,
                data={"via": "email", "attachments": base["attachments"]},
            )
            if created:  # a conversation still with the assistant: it replies (assistant/jobs.py)
                status = (await conversations.get(uow, conversation_id)).status
                owed = [(conversation_id, ev.seq, body, status)]
                await assistant_queue.enqueue(uow.session, owed, utcnow())
    except AppError as exc:
        log.info("inbound mail for %s not added: %s", conversation_id, exc.code)
        return await _record(db, **base, status=exc.code, conversation_id=conversation_id)
    return await _record(db, **base, status="added", conversation_id=conversation_id)


async def _record(db: Database, via: str, status: str, **fields: Any) -> InboundMail:
    async with db.unit() as uow:
        row = InboundMail(via=via, status=status, **fields)
        uow.session.add(row)
        await uow.session.flush()
    return row
