"""Emails to citizens: unseen replies after they left, and the transcript on close."""

from __future__ import annotations

from datetime import timedelta

from ventanilla.cases import repository as cases_repository
from ventanilla.conversations.models import Conversation
from ventanilla.core.db import Database, UnitOfWork, utcnow
from ventanilla.core.i18n import translate
from ventanilla.entity import repository as entity_repository
from ventanilla.entity.schemas import EntitySettings
from ventanilla.notifications import repository
from ventanilla.notifications.compose import enqueue, lines
from ventanilla.satisfaction.email import survey_for
from ventanilla.settings import Settings


async def entity_settings(uow: UnitOfWork) -> EntitySettings:
    row = await entity_repository.load(uow.session)
    return EntitySettings.model_validate(row.data) if row else EntitySettings()


async def notify_unseen(db: Database, settings: Settings) -> int:
    """One email per burst of agent messages the citizen has not seen; returns how many."""
    quiet_before = utcnow() - timedelta(seconds=settings.mail.unseen_delay_seconds)
    async with db.unit() as uow:
        candidates = [c.id for c in await repository.unseen_candidates(uow.session, quiet_before)]
    written = 0
    for conversation_id in candidates:
        async with db.unit() as uow:
            conv = await uow.session.get(Conversation, conversation_id)
            if conv is None:
                continue
            after = max(conv.citizen_seen_seq, conv.notified_seq)
            up_to = conv.last_agent_seq
            if not await repository.mark_notified(uow.session, conv.id, up_to):
                continue  # another process took this burst
            events = await repository.agent_messages_after(uow.session, conv.id, after, up_to)
            if not events:
                continue
            entity = await entity_settings(uow)
            await enqueue(
                uow,
                kind="unseen",
                conv=conv,
                entity=entity,
                settings=settings,
                subject=translate(conv.lang, "email.unseen.subject", entity=entity.name),
                template="unseen",
                messages=lines(events, entity.office_hours.timezone),
            )
            written += 1
    return written


async def enqueue_transcript(
    uow: UnitOfWork, conv: Conversation, settings: Settings, filing_number: str | None = None
) -> None:
    """Called in the closing unit of work: the transcript goes out only if the close commits."""
    if conv.transcript_opt_out:
        return
    if filing_number is None:
        case = await cases_repository.for_conversation(uow.session, conv.id)
        filing_number = case.number if case else None
    entity = await entity_settings(uow)
    events = await repository.public_events(uow.session, conv.id)
    await enqueue(
        uow,
        kind="transcript",
        conv=conv,
        entity=entity,
        settings=settings,
        subject=translate(conv.lang, "email.transcript.subject", entity=entity.name),
        template="transcript",
        messages=lines(events, entity.office_hours.timezone),
        filing_number=filing_number,
        survey=await survey_for(uow, conv, settings),
    )
