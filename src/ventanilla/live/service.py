"""The live snapshot: the queue, each active agent's load and conversations, presence.

Presence is read through ``Context.presence`` (the one place that knows which agents have a
console open), never recomputed here.
"""

from __future__ import annotations

from datetime import timedelta

from ventanilla.agents import repository as agents
from ventanilla.context import Context
from ventanilla.conversations import repository as conversations
from ventanilla.conversations.frames import request_type_label
from ventanilla.conversations.models import Conversation
from ventanilla.conversations.routes import summaries
from ventanilla.core.db import UnitOfWork, utcnow
from ventanilla.core.presence import shown
from ventanilla.live import repository
from ventanilla.live.schemas import AgentLoad, InProgress, LiveSnapshot, WithAssistant

# The live view counts an assistant conversation while its last message is this recent (and it
# started within ``ASSISTANT_STARTED``: the assistant's exchanges are short).
ASSISTANT_RECENT = timedelta(minutes=30)
ASSISTANT_STARTED = timedelta(hours=4)


def _brief(conv: Conversation, lang: str) -> InProgress:
    return InProgress(
        id=conv.id,
        citizen_name=conv.citizen_name,
        request_type_label=request_type_label(conv.request_type, lang),
        channel=conv.channel,
        taken_at=conv.taken_at,
    )


async def snapshot(ctx: Context, uow: UnitOfWork, lang: str) -> LiveSnapshot:
    waiting = await summaries(uow, await conversations.waiting(uow.session), lang)
    active = await repository.in_progress(uow.session)
    users = await agents.active_users(uow.session)
    by_agent: dict[int, list[InProgress]] = {}
    for conv in active:
        by_agent.setdefault(conv.agent_id or 0, []).append(_brief(conv, lang))
    connected = await ctx.presence.connected()
    loads = [
        AgentLoad(
            id=u.id,
            display_name=u.display_name,
            role=u.role,
            presence=shown(u.id, u.presence, connected),
            active_chats=len(by_agent.get(u.id, [])),
            max_chats=u.max_chats,
            conversations=by_agent.pop(u.id, []),
        )
        for u in users
    ]
    # Online first, then the busiest, then by name.
    loads.sort(key=lambda a: (a.presence == "disconnected", -a.active_chats, a.display_name))
    unassigned = [c for convs in by_agent.values() for c in convs]
    now = utcnow()
    bot = await repository.with_assistant(
        uow.session, now - ASSISTANT_STARTED, now - ASSISTANT_RECENT
    )
    return LiveSnapshot(
        server_time=now,
        waiting=waiting,
        agents=loads,
        unassigned=unassigned,
        with_assistant=[
            WithAssistant(
                id=c.id,
                citizen_name=c.citizen_name,
                request_type_label=request_type_label(c.request_type, lang),
                channel=c.channel,
                created_at=c.created_at,
            )
            for c in bot
        ],
    )
