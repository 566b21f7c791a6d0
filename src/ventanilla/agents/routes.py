"""The agent's own account, presence and the list of colleagues (for transfers)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from ventanilla.agents import repository, service
from ventanilla.agents.schemas import AgentListItem, MeWithCsrf, PresenceIn
from ventanilla.conversations import repository as conversations
from ventanilla.conversations.frames import AGENTS
from ventanilla.core.presence import shown
from ventanilla.reports.recorder import presence_changed
from ventanilla.web.deps import CtxDep, CurrentAgent

router = APIRouter(prefix="/api/agent")


@router.get("/me")
async def me(user: CurrentAgent, request: Request, ctx: CtxDep) -> MeWithCsrf:
    out = MeWithCsrf.model_validate({**_fields(user), "csrf_token": request.state.csrf_token})
    out.presence = await ctx.presence.effective(user.id, user.presence)
    return out


@router.put("/me/presence")
async def put_presence(
    data: PresenceIn, user: CurrentAgent, request: Request, ctx: CtxDep
) -> MeWithCsrf:
    async with ctx.db.unit() as uow:
        updated = await service.set_presence(uow, user, data.presence)
        count = await conversations.active_count(uow.session, user.id)
        effective = await ctx.presence.effective(user.id, updated.presence)
        await presence_changed(uow.session, user.id, effective)  # reports: time available
        uow.publish(
            AGENTS,
            {
                "type": "presence",
                "agent_id": user.id,
                "presence": effective,
                "active_chats": count,
            },
        )
    return MeWithCsrf.model_validate({**_fields(updated), "csrf_token": request.state.csrf_token})


@router.get("/agents")
async def list_agents(user: CurrentAgent, ctx: CtxDep) -> list[AgentListItem]:
    async with ctx.db.unit() as uow:
        users = await repository.active_users(uow.session)
        counts = await conversations.active_counts(uow.session)
    connected = await ctx.presence.connected()
    return [
        AgentListItem(
            id=u.id,
            display_name=u.display_name,
            role=u.role,
            presence=shown(u.id, u.presence, connected),
            active_chats=counts.get(u.id, 0),
            max_chats=u.max_chats,
        )
        for u in users
    ]


def _fields(user: object) -> dict[str, object]:
    keys = ("id", "email", "name", "display_name", "role", "presence", "max_chats")
    return {k: getattr(user, k) for k in keys}
