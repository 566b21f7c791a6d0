"""The assistant's changes to a conversation: automatic answers, choices, feedback, handover,
and unanswered questions. Like every service: validate, change, queue frames; never commit."""

from __future__ import annotations

from typing import Any

from ventanilla.assistant import repository
from ventanilla.assistant.models import UnansweredQuestion
from ventanilla.conversations import service as conversations
from ventanilla.conversations.models import Event
from ventanilla.core.db import UnitOfWork
from ventanilla.core.errors import AppError
from ventanilla.core.i18n import translate
from ventanilla.kb import repository as kb_repository
from ventanilla.kb.schemas import KbItem

ASSISTANT_ROLE = "assistant"


def author(lang: str) -> tuple[str, None, str]:
    return (ASSISTANT_ROLE, None, translate(lang, "assistant.name"))


async def say(
    uow: UnitOfWork, conversation_id: str, lang: str, body: str, **data: Any
) -> Event | None:
    """A short automatic message that is not an entry (small talk, acknowledgements)."""
    return await conversations.append_event(
        uow,
        conversation_id,
        kind="message",
        author=author(lang),
        body=body,
        data={"automatic": True, **data},
    )


async def answer(
    uow: UnitOfWork, conversation_id: str, lang: str, item: KbItem, confidence: float
) -> Event | None:
    """The approved answer of an entry, marked automatic, asking whether it helped."""
    return await say(
        uow,
        conversation_id,
        lang,
        item.answer,
        entry_id=item.id,
        question=item.question,
        confidence=round(confidence, 4),
        ask_feedback=True,
    )


async def offer(
    uow: UnitOfWork, conversation_id: str, lang: str, items: list[KbItem], confidence: float
) -> Event | None:
    return await conversations.append_event(
        uow,
        conversation_id,
        kind="choices",
        author=author(lang),
        body=translate(lang, "assistant.choices_intro"),
        data={
            "automatic": True,
            "confidence": round(confidence, 4),
            "options": [{"entry_id": i.id, "question": i.question} for i in items],
        },
    )


async def hand_over(uow: UnitOfWork, conversation_id: str, lang: str, reason: str) -> bool:
    conv = await conversations.hand_over(
        uow,
        conversation_id,
        author=author(lang),
        body=translate(lang, f"assistant.handover.{reason}"),
        reason=reason,
    )
    return conv is not None


async def remember(
    uow: UnitOfWork,
    conversation_id: str,
    text: str,
    reason: str,
    best_entry_id: str | None,
    confidence: float,
) -> None:
    uow.session.add(
        UnansweredQuestion(
            conversation_id=conversation_id,
            text=text[:2000],
            reason=reason,
            best_entry_id=best_entry_id,
            confidence=round(confidence, 4),
        )
    )
    await uow.session.flush()


async def feedback(
    uow: UnitOfWork, conversation_id: str, lang: str, seq: int, helpful: bool, citizen: Any
) -> tuple[Event | None, str | None]:
    """Record the citizen's "did it help?" for the automatic answer ``seq``; returns the new
    event (None if already answered) and the question the answer was for."""
    target = await repository.event_at(uow.session, conversation_id, seq)
    if target is None or not (target.data or {}).get("ask_feedback"):
        raise AppError("feedback_invalid", field="seq")
    done = await repository.recent_events(uow.session, conversation_id, ("feedback",))
    if any((e.data or {}).get("seq") == seq for e in done):
        return None, None
    asked = await repository.recent_events(uow.session, conversation_id, ("message",), 20)
    question = next((e.body for e in asked if e.author_role == "citizen" and e.seq < seq), None)
    ev = await conversations.append_event(
        uow,
        conversation_id,
        kind="feedback",
        author=citizen,
        data={"seq": seq, "helpful": helpful, "entry_id": (target.data or {}).get("entry_id")},
    )
    return ev, question


async def choose(
    uow: UnitOfWork, conversation_id: str, lang: str, entry_id: str, citizen: Any
) -> KbItem:
    """The citizen picked one of the offered questions: record it as their message."""
    offers = await repository.recent_events(uow.session, conversation_id, ("choices",), 1)
    options = (offers[0].data or {}).get("options", []) if offers else []
    if entry_id not in {o.get("entry_id") for o in options}:
        raise AppError("choice_invalid", field="entry_id")
    entry = await kb_repository.get(uow.session, entry_id)
    if entry is None or not entry.active:
        raise AppError("choice_invalid", field="entry_id")
    await conversations.append_event(
        uow,
        conversation_id,
        kind="message",
        author=citizen,
        body=entry.question,
        data={"chosen": entry_id},
    )
    return KbItem(
        id=entry.id,
        question=entry.question,
        answer=entry.answer,
        category=entry.category,
        alternatives=tuple(entry.alternatives),
    )
