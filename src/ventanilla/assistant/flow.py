"""How the assistant takes part in a conversation (docs/protocol.md, "The assistant").

A conversation starts with the assistant when the entity has it on and the knowledge base has
active entries. Each citizen message is answered in the background, after the message and its
pending job are committed and acknowledged (``assistant/jobs.py`` makes the reply durable): a
request for a person hands over at once, small talk gets a short reply, anything else goes to
the engine, which answers, offers choices, or hands over. While a conversation waits for a
person and nobody is available, the assistant keeps answering.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ventanilla.assistant import repository, service
from ventanilla.assistant.calibration import params_from, stale, stored_examples
from ventanilla.assistant.detect import small_talk, wants_person
from ventanilla.assistant.runtime import Built
from ventanilla.cases import chat_lookup as case_lookup
from ventanilla.context import Context
from ventanilla.conversations import service as conversations
from ventanilla.conversations.socket_loop import FrameError, Handler
from ventanilla.core.db import UnitOfWork, utcnow
from ventanilla.core.i18n import translate
from ventanilla.entity.hours import is_open
from ventanilla.entity.schemas import EntitySettings
from ventanilla.kb import repository as kb_repository
from ventanilla.kb.service import to_item

log = logging.getLogger(__name__)


async def accepting(ctx: Context, uow: UnitOfWork, entity: EntitySettings) -> bool:
    """Is the assistant on, with something to say?"""
    if not (ctx.settings.assistant.enabled and entity.assistant_enabled):
        return False
    state = await kb_repository.state(uow.session)
    return bool(state and state.active_entries > 0)


async def person_available(ctx: Context, uow: UnitOfWork, entity: EntitySettings) -> bool:
    """Within office hours with an available agent connected (to this process)."""
    return is_open(entity.office_hours, utcnow()) and await ctx.someone_attends(uow)


async def _engine(ctx: Context, revision: int) -> Built:
    async def load() -> tuple[list[Any], Any, list[Any]]:
        async with ctx.db.unit() as uow:
            entries = await kb_repository.all_(uow.session, active_only=True)
            state = await kb_repository.state(uow.session)
        calibration = state.calibration if state else None
        if stale(calibration):
            log.warning(
                "the stored calibration was made for another version of the engine's features: "
                "using default thresholds until `ventanilla kb calibrate` runs again"
            )
        items = [to_item(e) for e in entries]
        return items, params_from(calibration, "hybrid"), stored_examples(calibration)

    return await ctx.assistant.engine(revision, load)


def warm(ctx: Context, then: Callable[[], None] | None = None) -> None:
    """Build the engine ahead of the first question (a new conversation is starting); then
    call ``then`` (the server freezes its heap: ``core/heap.py``)."""

    async def run() -> None:
        async with ctx.db.unit() as uow:
            state = await kb_repository.state(uow.session)
        if state is not None and state.active_entries:
            await _engine(ctx, state.revision)
        if then is not None:
            then()

    ctx.assistant.spawn(run())


class JobLost(Exception):
    """Another run holds or finished this message's job: this run's writes are rolled back."""


@dataclass(frozen=True)
class Claim:
    """A citizen message this run has claimed (``assistant/jobs.py``)."""

    job_id: int
    token: str
    conversation_id: str
    text: str
    attempts: int


async def _finish(uow: UnitOfWork, claim: Claim) -> None:
    """Mark the reply done in the reply's own transaction, or give up if the claim was lost."""
    if not await repository.finish_job(uow.session, claim.job_id, claim.token):
        raise JobLost


async def reply(ctx: Context, claim: Claim, max_attempts: int) -> None:
    """Reply to a claimed message; any failure hands the conversation over to a person."""
    conversation_id = claim.conversation_id
    try:
        if claim.attempts > max_attempts:  # it kept failing (or killing its process)
            raise RuntimeError(f"assistant job {claim.job_id}: {claim.attempts} attempts")
        await _reply(ctx, claim)
    except JobLost:
        log.info("assistant job %s was taken by another run", claim.job_id)
    except Exception:
        log.exception("assistant failed; handing the conversation over")
        # Another run took the job meanwhile: the hand-over is theirs to do.
        with contextlib.suppress(JobLost):
            async with ctx.db.unit() as uow:
                await _finish(uow, claim)
                conv = await conversations.get(uow, conversation_id)
                await service.hand_over(uow, conversation_id, conv.lang, "error")


async def _reply(ctx: Context, claim: Claim) -> None:
    conversation_id, text = claim.conversation_id, claim.text
    # "¿cómo va mi solicitud…?" (cases/chat_lookup.py, in its own transaction: a crash between
    # its reply and the next line repeats that reply; every other reply is exactly-once)
    if await case_lookup.answer(ctx.db, conversation_id, text):
        async with ctx.db.unit() as uow:
            await _finish(uow, claim)
        return
    async with ctx.db.unit() as uow:
        conv = await conversations.get(uow, conversation_id)
        entity = await ctx.entity.get(uow)
        status, lang = conv.status, conv.lang
        idle = status not in ("assistant", "waiting") or not await accepting(ctx, uow, entity)
        if idle or (status == "waiting" and await person_available(ctx, uow, entity)):
            await _finish(uow, claim)  # nothing to say: a person attends, or the assistant is off
            return
        state = await kb_repository.state(uow.session)
        revision = state.revision if state else 0
    if wants_person(text):
        async with ctx.db.unit() as uow:
            await _finish(uow, claim)
            if not await service.hand_over(uow, conversation_id, lang, "requested"):
                await service.say(uow, conversation_id, lang, translate(lang, "assistant.queued"))
        return
    chat = small_talk(text)
    if chat is not None:
        async with ctx.db.unit() as uow:
            await _finish(uow, claim)
            body = translate(lang, f"assistant.small_talk.{chat}")
            await service.say(uow, conversation_id, lang, body, small_talk=chat)
        return
    built = await _engine(ctx, revision)
    # The message as written, greeting and accents included: what ``kb calibrate`` and ``kb
    # eval`` read. Until session 11 the engine got it folded, greeting stripped, which the
    # calibration never saw (blind19's out-of-scope abstention: 0.927 measured, 0.891 live).
    scored = await ctx.assistant.ask(built, text)
    items = built.index.items
    async with ctx.db.unit() as uow:
        await _finish(uow, claim)
        if scored.decision == "answer":
            top = items[scored.ranking[0]]
            await service.answer(uow, conversation_id, lang, top, scored.confidence)
        elif scored.decision == "choices":
            offered = [items[i] for i in scored.ranking]
            await service.offer(uow, conversation_id, lang, offered, scored.confidence)
        else:
            best = items[scored.ranking[0]].id if scored.ranking else None
            await service.remember(
                uow, conversation_id, text, "not_confident", best, scored.confidence
            )
            if status == "assistant":
                await service.hand_over(uow, conversation_id, lang, "not_confident")


def widget_handlers(
    ctx: Context, conversation_id: str, citizen: tuple[str, None, str]
) -> dict[str, Handler]:
    """The citizen's frames for the assistant: ``feedback``, ``choose`` and ``human``."""

    async def on_feedback(frame: dict[str, Any]) -> None:
        seq, helpful = frame.get("seq"), frame.get("helpful")
        if not isinstance(seq, int) or isinstance(seq, bool) or not isinstance(helpful, bool):
            raise FrameError("frame_invalid")
        async with ctx.db.unit() as uow:
            conv = await conversations.get(uow, conversation_id)
            lang = conv.lang
            ev, question = await service.feedback(uow, conversation_id, lang, seq, helpful, citizen)
            if ev is None:
                return
            if helpful:
                await service.say(uow, conversation_id, lang, translate(lang, "assistant.glad"))
                return
            entry_id = (ev.data or {}).get("entry_id")
            await service.remember(uow, conversation_id, question or "", "not_helpful", entry_id, 0)
            if conv.status == "assistant":
                await service.hand_over(uow, conversation_id, lang, "not_helpful")
            elif conv.status == "waiting":
                await service.say(uow, conversation_id, lang, translate(lang, "assistant.queued"))

    async def on_choose(frame: dict[str, Any]) -> None:
        entry_id = frame.get("entry_id")
        if not isinstance(entry_id, str):
            raise FrameError("frame_invalid")
        async with ctx.db.unit() as uow:
            conv = await conversations.get(uow, conversation_id)
            item = await service.choose(uow, conversation_id, conv.lang, entry_id, citizen)
            await service.answer(uow, conversation_id, conv.lang, item, 1.0)

    async def on_human(frame: dict[str, Any]) -> None:
        async with ctx.db.unit() as uow:
            conv = await conversations.get(uow, conversation_id)
            if conv.status == "assistant":
                await service.hand_over(uow, conversation_id, conv.lang, "requested")

    return {"feedback": on_feedback, "choose": on_choose, "human": on_human}
