"""The operations of a conversation: start, post, take, transfer, close, mark seen.

Services validate, change rows, and queue frames on the unit of work (sent after commit).
They never commit.
"""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email

from ventanilla.agents.models import User
from ventanilla.conversations import repository
from ventanilla.conversations.events import Author, add_event
from ventanilla.conversations.frames import (
    AGENTS,
    agent_channel,
    citizen_channel,
    summary_json,
    user_channel,
)
from ventanilla.conversations.models import CitizenAccess, Conversation, Event
from ventanilla.conversations.schemas import CLIENT_ID, REQUEST_TYPES, StartIn
from ventanilla.core.db import UnitOfWork, utcnow
from ventanilla.core.errors import AppError, Conflict, Forbidden, NotFound
from ventanilla.core.i18n import resolve_lang
from ventanilla.core.security import new_token, token_digest
from ventanilla.core.text import clean_text
from ventanilla.entity import repository as entity_repository
from ventanilla.entity.schemas import EntitySettings
from ventanilla.notifications.service import enqueue_transcript
from ventanilla.reports import recorder as reports
from ventanilla.settings import LimitsSettings, Settings


async def start(
    uow: UnitOfWork,
    data: StartIn,
    entity: EntitySettings,
    limits: LimitsSettings,
    *,
    channel: str = "chat",
    status: str = "waiting",
) -> tuple[Conversation, str]:
    """Create a conversation from the pre-chat form; returns it and its token. It waits in the
    agents' queue, or (``status="assistant"``) is attended by the assistant first."""
    name = clean_text(data.name, field="name", max_chars=limits.name_max_chars, multiline=False)
    try:
        email = validate_email(data.email.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise AppError("email_invalid", field="email") from None
    if data.request_type not in REQUEST_TYPES:
        raise AppError("request_type_invalid", field="request_type")
    if not data.privacy_accepted:
        raise AppError("privacy_not_accepted", field="privacy_accepted")
    if data.privacy_version != entity.privacy_notice_version:
        raise AppError("privacy_version_outdated", field="privacy_accepted")
    if await entity_repository.notice(uow.session, data.privacy_version) is None:
        await entity_repository.add_notice(
            uow.session, entity.privacy_notice_version, entity.privacy_notice_text
        )
    page_url = data.page_url if data.page_url.startswith(("http://", "https://")) else ""
    token = new_token()
    now = utcnow()
    conv = Conversation(
        id="c_" + new_token(12),
        token_digest=token_digest(token),
        status=status,
        citizen_name=name,
        citizen_email=email,
        request_type=data.request_type,
        page_url=page_url[:1000],
        lang=resolve_lang(data.lang),
        consent_version=data.privacy_version,
        consent_at=now,
        created_at=now,
        queued_at=now if status == "waiting" else None,
        channel=channel,
        transcript_opt_out=data.transcript_opt_out,
    )
    uow.session.add(conv)
    await uow.session.flush()
    if status == "waiting":
        uow.publish(
            AGENTS, {"type": "queue", "action": "added", "conversation": summary_json(conv, None)}
        )
    return conv, token


async def by_token(uow: UnitOfWork, token: str | None) -> Conversation:
    conv = await repository.by_token(uow.session, token_digest(token)) if token else None
    if conv is None:
        raise AppError("token_invalid", 401)
    return conv


async def issue_access_token(uow: UnitOfWork, conversation_id: str) -> str:
    """A new citizen token for the same conversation (opening an emailed link)."""
    token = new_token()
    uow.session.add(
        CitizenAccess(token_digest=token_digest(token), conversation_id=conversation_id)
    )
    await uow.session.flush()
    return token


async def reopen_if_closed(uow: UnitOfWork, conversation_id: str) -> None:
    """A citizen who writes again (e.g. by email) after the close goes back to the queue."""
    conv = await repository.lock(uow.session, conversation_id)
    if conv is None:
        raise NotFound()
    if conv.status != "closed":
        return
    conv.status, conv.agent_id, conv.closed_at, conv.closed_by = "waiting", None, None, None
    conv.queued_at = conv.queued_at or utcnow()
    await add_event(uow, conv, kind="reopened", author=("citizen", None, conv.citizen_name))
    uow.publish(
        AGENTS, {"type": "queue", "action": "added", "conversation": summary_json(conv, None)}
    )


async def get(uow: UnitOfWork, conversation_id: str) -> Conversation:
    conv = await repository.get(uow.session, conversation_id)
    if conv is None:
        raise NotFound()
    return conv


# ---- used by the assistant (issue 3) --------------------------------------------------------


async def append_event(
    uow: UnitOfWork,
    conversation_id: str,
    *,
    kind: str,
    author: Author,
    body: str = "",
    client_id: str | None = None,
    data: dict[str, Any] | None = None,
) -> Event | None:
    """Add an event to an open conversation (None if it is closed); e.g. an automatic answer."""
    conv = await repository.lock(uow.session, conversation_id)
    if conv is None:
        raise NotFound()
    if conv.status == "closed":
        return None
    if client_id is not None:
        existing = await repository.event_by_client_id(uow.session, conv.id, client_id)
        if existing is not None:
            return existing
    return await add_event(
        uow, conv, kind=kind, author=author, body=body, client_id=client_id, data=data
    )


async def hand_over(
    uow: UnitOfWork, conversation_id: str, *, author: Author, body: str, reason: str
) -> Conversation | None:
    """Move a conversation from the assistant to the agents' queue (None if not with it)."""
    conv = await repository.lock(uow.session, conversation_id)
    if conv is None:
        raise NotFound()
    if conv.status != "assistant":
        return None
    conv.status = "waiting"
    conv.queued_at = conv.queued_at or utcnow()
    await add_event(uow, conv, kind="handover", author=author, body=body, data={"reason": reason})
    uow.publish(
        AGENTS, {"type": "queue", "action": "added", "conversation": summary_json(conv, None)}
    )
    return conv


def check_message(client_id: str, body: str, max_chars: int) -> str:
    """Validate a message before it is stored; returns the cleaned body."""
    if not CLIENT_ID.match(client_id or ""):
        raise AppError("client_id_invalid", field="client_id")
    return clean_text(body, field="message", max_chars=max_chars, empty_code="message_empty")


async def post_message(
    uow: UnitOfWork,
    conversation_id: str,
    *,
    author: Author,
    client_id: str,
    body: str,
    internal: bool,
    max_chars: int,
    data: dict[str, Any] | None = None,
) -> tuple[Event, bool]:
    """Store a message exactly once per ``client_id``; returns (event, newly_created).

    The sockets use the group-committing ``writer.MessageWriter`` instead, with the same rules.
    """
    text = check_message(client_id, body, max_chars)
    conv = await repository.lock(uow.session, conversation_id)
    if conv is None:
        raise NotFound()
    existing = await repository.event_by_client_id(uow.session, conv.id, client_id)
    if existing is not None:
        return existing, False
    role, user_id, _ = author
    if conv.status == "closed":
        raise AppError("conversation_closed", 409)
    if role == "agent" and conv.agent_id != user_id and not internal:
        raise AppError("not_assigned", 403)
    ev = await add_event(
        uow,
        conv,
        kind="note" if internal else "message",
        author=author,
        body=text,
        client_id=client_id,
        internal=internal,
        data=data,
    )
    if role == "citizen" and conv.status == "waiting":
        uow.publish(AGENTS, {"type": "conversation", "conversation": summary_json(conv, None)})
    return ev, True


async def take(uow: UnitOfWork, conversation_id: str, agent: User) -> Conversation:
    """Exclusive: of two agents who take the same conversation, exactly one succeeds."""
    user = await repository.lock_user(uow.session, agent.id)  # serialise this agent's takes
    assert user is not None
    if await repository.active_count(uow.session, agent.id) >= user.max_chats:
        raise Conflict("chat_limit_reached", max=user.max_chats)
    now = utcnow()
    if not await repository.claim(uow.session, conversation_id, agent.id, now):
        if await repository.get(uow.session, conversation_id) is None:
            raise NotFound()
        raise Conflict("already_taken")
    conv = await repository.lock(uow.session, conversation_id)
    assert conv is not None
    await add_event(
        uow,
        conv,
        kind="joined",
        author=("agent", agent.id, agent.display_name),
        data={"agent_name": agent.display_name},
    )
    summary = summary_json(conv, agent.display_name)
    uow.publish(AGENTS, {"type": "queue", "action": "removed", "conversation": summary})
    uow.publish(user_channel(agent.id), {"type": "assigned", "conversation": summary})
    await _publish_load(uow, agent.id, user.presence)
    return conv


async def transfer(uow: UnitOfWork, conversation_id: str, actor: User, to_id: int) -> Conversation:
    conv = await repository.lock(uow.session, conversation_id)
    if conv is None:
        raise NotFound()
    _check_can_manage(conv, actor)
    if conv.status != "active":
        raise AppError("conversation_not_active", 409)
    target = await repository.lock_user(uow.session, to_id)
    if target is None or not target.is_active or target.id == conv.agent_id:
        raise Conflict("target_unavailable")
    if target.presence != "available" or (
        await repository.active_count(uow.session, target.id) >= target.max_chats
    ):
        raise Conflict("target_unavailable")
    previous = conv.agent_id
    names = await repository.agent_names(uow.session, {i for i in (previous,) if i})
    from_name = names.get(previous or 0, "")
    conv.agent_id = target.id
    await add_event(
        uow,
        conv,
        kind="transferred",
        author=("agent", actor.id, actor.display_name),
        data={"from_name": from_name, "to_name": target.display_name},
    )
    summary = summary_json(conv, target.display_name)
    if previous is not None:
        uow.publish(user_channel(previous), {"type": "unassigned", "conversation_id": conv.id})
        await _publish_load(uow, previous, None)
    uow.publish(user_channel(target.id), {"type": "assigned", "conversation": summary})
    await _publish_load(uow, target.id, target.presence)
    return conv


async def close(
    uow: UnitOfWork,
    conversation_id: str,
    *,
    by: Author,
    request_type: str | None = None,
    topic: str | None = None,
    actor: User | None = None,
    settings: Settings | None = None,
) -> Conversation:
    conv = await repository.lock(uow.session, conversation_id)
    if conv is None:
        raise NotFound()
    if actor is not None:
        _check_can_manage(conv, actor)
    if conv.status == "closed":
        return conv  # closing twice changes nothing
    if request_type is not None:
        if request_type not in REQUEST_TYPES:
            raise AppError("request_type_invalid", field="request_type")
        conv.request_type = request_type
    if topic:
        conv.topic = clean_text(topic, field="topic", max_chars=120, multiline=False)
    was_waiting = conv.status == "waiting"
    conv.status = "closed"
    conv.closed_at = utcnow()
    conv.closed_by = by[0]
    await add_event(
        uow,
        conv,
        kind="closed",
        author=by,
        data={"by": by[0], "request_type": conv.request_type, "topic": conv.topic},
    )
    await reports.conversation_closed(uow.session, conv)  # facts and daily sums, once
    if settings is not None:
        await enqueue_transcript(uow, conv, settings)
    names = await repository.agent_names(uow.session, {conv.agent_id} if conv.agent_id else set())
    summary = summary_json(conv, names.get(conv.agent_id or 0))
    if was_waiting:
        uow.publish(AGENTS, {"type": "queue", "action": "removed", "conversation": summary})
    if conv.agent_id is not None:
        uow.publish(user_channel(conv.agent_id), {"type": "conversation", "conversation": summary})
        await _publish_load(uow, conv.agent_id, None)
    return conv


async def mark_seen(uow: UnitOfWork, conversation_id: str, role: str, seq: int) -> None:
    conv = await repository.get(uow.session, conversation_id)
    if conv is None:
        raise NotFound()
    seq = min(seq, conv.last_seq)
    attr = "citizen_seen_seq" if role == "citizen" else "agent_seen_seq"
    if seq <= getattr(conv, attr):
        return
    setattr(conv, attr, seq)
    await uow.session.flush()
    frame = {"type": "seen", "conversation_id": conv.id, "role": role, "seq": seq}
    uow.publish(agent_channel(conv.id) if role == "citizen" else citizen_channel(conv.id), frame)


def check_can_view(user: User, conv: Conversation) -> None:
    """Agents follow their own and waiting conversations; supervisors follow any."""
    if user.role == "agent" and conv.status != "waiting" and conv.agent_id != user.id:
        raise Forbidden("not_assigned")


def _check_can_manage(conv: Conversation, actor: User) -> None:
    if conv.agent_id != actor.id and actor.role == "agent":
        raise Forbidden("not_assigned")


async def _publish_load(uow: UnitOfWork, agent_id: int, presence: str | None) -> None:
    count = await repository.active_count(uow.session, agent_id)
    if presence is None:
        user = await uow.session.get(User, agent_id)
        presence = user.presence if user else "away"
    frame = {"type": "presence", "agent_id": agent_id, "presence": presence, "active_chats": count}
    uow.publish(AGENTS, frame)
