""" "¿Cómo va mi solicitud CC-2026-000123?" in the chat.

A citizen message holding a filing number gets a question for the email the petition was filed
with; the next message holding an email address gets the status and due date, by the same rule
as ``GET /api/widget/case-status`` (``service.lookup``): the number AND the email must match, and
a wrong email gets the same answer as an unknown number. Lookups are limited per conversation
(counted from the conversation's own events, so the limit holds across processes).

It works whoever attends the conversation: the assistant's message task calls ``answer`` first
(the websocket starts that task for any message where ``candidate`` is true), and the replies are
ordinary automatic events, so the agent who attends sees the exchange.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

from sqlalchemy import select

from ventanilla.cases import service
from ventanilla.cases.models import Case
from ventanilla.cases.types import case_types
from ventanilla.conversations import service as conversations
from ventanilla.conversations.models import Event
from ventanilla.core.db import Database, UnitOfWork, utcnow
from ventanilla.core.errors import NotFound
from ventanilla.core.i18n import translate

NUMBER = re.compile(r"(?<![\w-])([a-z]{1,12})\s?-\s?(\d{4})\s?-\s?(\d{1,6})(?![\w-])", re.I)
EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.I)
LOOKUPS_PER_HOUR = 5
ASK_VALID_EVENTS = 6  # the email must come soon after the question


def _plain(text: str) -> str:
    """Without accents and in lower case: "Cómo" and "como" are the same to the matcher.
    ASCII text is returned as it is (the patterns ignore case): ``candidate`` runs on every
    citizen message, and the decomposition was most of its cost."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def find_number(text: str) -> str | None:
    match = NUMBER.search(_plain(text))
    if match is None:
        return None
    prefix, year, seq = match.groups()
    return f"{prefix.upper()}-{year}-{int(seq):06d}"


def find_email(text: str) -> str | None:
    match = EMAIL.search(text)
    return match.group(0).strip(".") if match else None


# A filing number has a hyphen (or what NFKD folds into one) and digits: without both, the
# message is not folded and searched at all (this runs on every citizen message).
_HYPHENS = ("-", "\uff0d", "\ufe63")
_DIGIT = re.compile(r"\d")


def candidate(text: str) -> bool:
    """Cheap and without the database: could this message be part of a status lookup?"""
    if "@" in text and EMAIL.search(text):
        return True
    if not any(h in text for h in _HYPHENS) or not _DIGIT.search(text):
        return False
    return NUMBER.search(_plain(text)) is not None


async def _recent_automatic(uow: UnitOfWork, conversation_id: str) -> list[Event]:
    """The conversation's latest events, newest first (lookups are counted from them)."""
    rows = await uow.session.scalars(
        select(Event)
        .where(Event.conversation_id == conversation_id, Event.kind == "message")
        .order_by(Event.seq.desc())
        .limit(60)
    )
    return list(rows)


def _lookup_of(ev: Event) -> str | None:
    data = ev.data or {}
    value = data.get("case_lookup")
    return value if isinstance(value, str) else None


async def _say(uow: UnitOfWork, conversation_id: str, lang: str, body: str, **data: str) -> None:
    await conversations.append_event(
        uow,
        conversation_id,
        kind="message",
        author=("assistant", None, translate(lang, "assistant.name")),
        body=body,
        data={"automatic": True, **data},
    )


async def _status_text(uow: UnitOfWork, case: Case, lang: str) -> str:
    types = await case_types(uow.session, lang)
    parts = [
        translate(
            lang,
            "case.lookup.found",
            number=case.number,
            type=types[case.type].label if case.type in types else case.type,
            status=translate(lang, f"case.status.{case.status}"),
            filed=case.filed_on.strftime("%d/%m/%Y"),
        )
    ]
    if case.status in ("filed", "extended") and case.due_date is not None:
        parts.append(translate(lang, "case.lookup.due", due=case.due_date.strftime("%d/%m/%Y")))
    if case.status == "answered":
        parts.append(translate(lang, "case.lookup.answered"))
    return " ".join(parts)


async def answer(db: Database, conversation_id: str, text: str) -> bool:
    """Reply to a status lookup in the chat; False when the message is not one."""
    if not candidate(text):
        return False
    number, email = find_number(text), find_email(text)
    async with db.unit() as uow:
        conv = await conversations.get(uow, conversation_id)
        if conv.status == "closed":
            return False
        lang = conv.lang
        recent = await _recent_automatic(uow, conversation_id)
        if number is None:
            asked = next((e for e in recent[:ASK_VALID_EVENTS] if _lookup_of(e)), None)
            if asked is None or _lookup_of(asked) != "ask_email" or email is None:
                return False  # an email address, but nobody asked for it: not a lookup
            number = str((asked.data or {}).get("number", ""))
        if email is None:
            await _say(
                uow,
                conversation_id,
                lang,
                translate(lang, "case.lookup.ask_email", number=number),
                case_lookup="ask_email",
                number=number,
            )
            return True
        hour_ago = utcnow() - timedelta(hours=1)
        done = [e for e in recent if _lookup_of(e) == "answer" and e.created_at >= hour_ago]
        if len(done) >= LOOKUPS_PER_HOUR:
            await _say(
                uow,
                conversation_id,
                lang,
                translate(lang, "case.lookup.limited"),
                case_lookup="limited",
            )
            return True
        try:
            case = await service.lookup(uow, number, email)
            body = await _status_text(uow, case, lang)
        except NotFound:
            body = translate(lang, "case.lookup.not_found")
        await _say(uow, conversation_id, lang, body, case_lookup="answer")
        return True
