"""Agents' REST endpoints for conversations: queue, take, transfer, close, history."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter

from ventanilla.conversations import repository, service
from ventanilla.conversations.frames import event_frame, summary
from ventanilla.conversations.models import Conversation
from ventanilla.conversations.schemas import (
    REQUEST_TYPES,
    Ack,
    CloseIn,
    Detail,
    HistoryPage,
    MessageIn,
    Summary,
    TransferIn,
)
from ventanilla.core.db import UnitOfWork
from ventanilla.core.errors import AppError
from ventanilla.satisfaction import service as satisfaction
from ventanilla.web.deps import CtxDep, CurrentAgent, LangDep

router = APIRouter(prefix="/api/agent/conversations")
history_router = APIRouter(prefix="/api/agent")
PAGE_SIZE = 25


async def summaries(uow: UnitOfWork, convs: list[Conversation], lang: str) -> list[Summary]:
    names = await repository.agent_names(uow.session, {c.agent_id for c in convs if c.agent_id})
    return [summary(c, names.get(c.agent_id or 0), lang) for c in convs]


async def one_summary(uow: UnitOfWork, conv: Conversation, lang: str) -> Summary:
    return (await summaries(uow, [conv], lang))[0]


@history_router.get("/queue")
async def queue(ctx: CtxDep, user: CurrentAgent, lang: LangDep) -> list[Summary]:
    async with ctx.db.unit() as uow:
        return await summaries(uow, await repository.waiting(uow.session), lang)


@router.get("/mine")
async def mine(ctx: CtxDep, user: CurrentAgent, lang: LangDep) -> list[Summary]:
    async with ctx.db.unit() as uow:
        return await summaries(uow, await repository.assigned_to(uow.session, user.id), lang)


@router.get("/{conversation_id}")
async def detail(conversation_id: str, ctx: CtxDep, user: CurrentAgent, lang: LangDep) -> Detail:
    async with ctx.db.unit() as uow:
        conv = await service.get(uow, conversation_id)
        events = await repository.events_after(
            uow.session, conv.id, 0, include_internal=True, limit=100_000
        )
        return Detail(
            conversation=await one_summary(uow, conv, lang),
            events=[event_frame(e) for e in events],
        )


@router.post("/{conversation_id}/take")
async def take(conversation_id: str, ctx: CtxDep, user: CurrentAgent, lang: LangDep) -> Summary:
    async with ctx.db.unit() as uow:
        conv = await service.take(uow, conversation_id, user)
        return await one_summary(uow, conv, lang)


@router.post("/{conversation_id}/transfer")
async def transfer(
    conversation_id: str, data: TransferIn, ctx: CtxDep, user: CurrentAgent, lang: LangDep
) -> Summary:
    async with ctx.db.unit() as uow:
        conv = await service.transfer(uow, conversation_id, user, data.agent_id)
        return await one_summary(uow, conv, lang)


@router.post("/{conversation_id}/close")
async def close(
    conversation_id: str, data: CloseIn, ctx: CtxDep, user: CurrentAgent, lang: LangDep
) -> Summary:
    async with ctx.db.unit() as uow:
        conv = await service.close(
            uow,
            conversation_id,
            by=("agent", user.id, user.display_name),
            request_type=data.request_type,
            topic=data.topic,
            actor=user,
            settings=ctx.settings,
        )
        return await one_summary(uow, conv, lang)


@router.post("/{conversation_id}/messages")
async def post_message(
    conversation_id: str, data: MessageIn, ctx: CtxDep, user: CurrentAgent
) -> Ack:
    async with ctx.db.unit() as uow:
        ev, _ = await service.post_message(
            uow,
            conversation_id,
            author=("agent", user.id, user.display_name),
            client_id=data.client_id,
            body=data.body,
            internal=data.internal,
            max_chars=ctx.settings.limits.message_max_chars,
        )
    return Ack(client_id=data.client_id, seq=ev.seq, created_at=ev.created_at)


def _day_start(d: date | None, tz: ZoneInfo, *, plus_days: int = 0) -> datetime | None:
    if d is None:
        return None
    return datetime.combine(d + timedelta(days=plus_days), time(0), tzinfo=tz)


@history_router.get("/history")
async def history(
    ctx: CtxDep,
    user: CurrentAgent,
    lang: LangDep,
    q: str | None = None,
    email: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    agent_id: int | None = None,
    request_type: str | None = None,
    status: str | None = None,
    rating: str | None = None,
    resolved: str | None = None,
    page: int = 1,
) -> HistoryPage:
    if request_type and request_type not in REQUEST_TYPES:
        raise AppError("request_type_invalid", field="request_type")
    rating_filter, resolved_filter = satisfaction.history_filters(rating, resolved)
    if q is not None and len(q) > 200:
        raise AppError("field_too_long", field="q", name="q")
    page = max(1, page)
    async with ctx.db.unit() as uow:
        entity = await ctx.entity.get(uow)
        tz = ZoneInfo(entity.office_hours.timezone)  # dates are the entity's calendar days
        found, total = await repository.search(
            uow.session,
            repository.HistoryFilter(
                q=(q or "").strip() or None,
                email=(email or "").strip() or None,
                date_from=_day_start(date_from, tz),
                date_to=_day_start(date_to, tz, plus_days=1),
                agent_id=agent_id,
                request_type=request_type or None,
                status=status or None,
                rating=rating_filter,
                resolved=resolved_filter,
                rated_agent=satisfaction.ratings_scope(user),
            ),
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        items = await summaries(uow, found, lang)
        ratings = await satisfaction.briefs(uow, [c.id for c in found], user)
    return HistoryPage(items=items, total=total, page=page, page_size=PAGE_SIZE, ratings=ratings)
