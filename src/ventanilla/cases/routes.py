"""Cases over HTTP: filing from the console, the lists and a case's detail, each step of its
life, the entity's types and closed days (admins), and the citizen's status lookup."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query, Request

from ventanilla.agents.models import User
from ventanilla.cases import service, stats, types, views, workflow
from ventanilla.cases.models import Case
from ventanilla.cases.pages import pages_router
from ventanilla.cases.schemas import (
    AnswerIn,
    CaseDetail,
    CaseList,
    CaseOut,
    CaseStatus,
    CaseTypeIn,
    CaseTypeOut,
    CaseTypesOut,
    ClosedDayIn,
    ClosedDayOut,
    CompleteIn,
    ExtendIn,
    FileIn,
    ForwardIn,
    HoldIn,
    NoteIn,
)
from ventanilla.core.errors import AppError
from ventanilla.web.deps import (
    CtxDep,
    CurrentAdmin,
    CurrentAgent,
    CurrentSupervisor,
    LangDep,
    client_ip,
)
from ventanilla.web.origins import widget_origin

agent_router = APIRouter(prefix="/api/agent")
admin_router = APIRouter(prefix="/api/admin")
citizen_router = APIRouter(prefix="/api/widget", dependencies=[Depends(widget_origin)])


@agent_router.post("/conversations/{conversation_id}/file", status_code=201)
async def file_case(conversation_id: str, data: FileIn, ctx: CtxDep, user: CurrentAgent) -> CaseOut:
    async with ctx.db.unit() as uow:
        case = await service.file_case(
            uow,
            conversation_id,
            user,
            type_code=data.type,
            subject=data.subject,
            reasons=data.reasons,
            settings=ctx.settings,
        )
        result = CaseOut.model_validate(case)
    ctx.wake_mail()
    return result


@agent_router.get("/cases")
async def list_cases(
    ctx: CtxDep,
    user: CurrentAgent,
    view: Annotated[str, Query(max_length=20)] = "open",
    type: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str, Query(max_length=100)] = "",
) -> CaseList:
    async with ctx.db.unit() as uow:
        today = await workflow.entity_today(uow)
        return await views.case_list(
            uow, view=view, type_code=type or None, search=q.strip(), today=today
        )


@agent_router.get("/case-counters")
async def counters(ctx: CtxDep, user: CurrentAgent) -> dict[str, int]:
    """The console header's counters (due soon, overdue, on hold...)."""
    async with ctx.db.unit() as uow:
        return await views.counters(uow, await workflow.entity_today(uow))


@agent_router.get("/case-types")
async def list_types(ctx: CtxDep, user: CurrentAgent, lang: LangDep) -> CaseTypesOut:
    async with ctx.db.unit() as uow:
        return await views.types_view(uow, lang, await workflow.entity_today(uow))


@agent_router.get("/case-stats/on-time")
async def on_time(
    ctx: CtxDep,
    user: CurrentSupervisor,
    by: Annotated[str, Query(max_length=10)] = "type",
    since: date | None = None,
    until: date | None = None,
) -> list[dict[str, object]]:
    if by not in ("type", "area", "agent"):
        raise AppError("case_group_invalid", field="by")
    async with ctx.db.unit() as uow:
        today = await workflow.entity_today(uow)
        rates = await stats.on_time_rates(
            uow.session,
            by=cast(stats.GroupBy, by),
            today=today,
            since=since,
            until=until,
        )
        return [r.as_dict() for r in rates]


@agent_router.get("/cases/{number}")
async def get_case(number: str, ctx: CtxDep, user: CurrentAgent, lang: LangDep) -> CaseDetail:
    async with ctx.db.unit() as uow:
        return await views.case_detail(uow, number, lang)


async def _step(
    ctx: CtxDep,
    lang: str,
    step: Callable[..., Awaitable[Case]],
    number: str,
    user: User,
    **fields: Any,
) -> CaseDetail:
    """One step of a case's life (``workflow.extend``, ``hold``...): run it in its own unit of
    work on the entity's today, then return the case as the console shows it."""
    async with ctx.db.unit() as uow:
        today = await workflow.entity_today(uow)
        await step(uow, number, actor=user, today=today, settings=ctx.settings, **fields)
    ctx.wake_mail()  # send the notice now rather than at the worker's next round
    async with ctx.db.unit() as uow:
        return await views.case_detail(uow, number, lang)


@agent_router.post("/cases/{number}/extend")
async def extend(
    number: str, data: ExtendIn, ctx: CtxDep, user: CurrentAgent, lang: LangDep
) -> CaseDetail:
    return await _step(
        ctx, lang, workflow.extend, number, user, new_due=data.new_due, reason=data.reason
    )


@agent_router.post("/cases/{number}/hold")
async def hold(
    number: str, data: HoldIn, ctx: CtxDep, user: CurrentAgent, lang: LangDep
) -> CaseDetail:
    return await _step(ctx, lang, workflow.hold, number, user, request=data.request)


@agent_router.post("/cases/{number}/complete")
async def complete(
    number: str, data: CompleteIn, ctx: CtxDep, user: CurrentAgent, lang: LangDep
) -> CaseDetail:
    return await _step(
        ctx, lang, workflow.complete, number, user, completed_on=data.completed_on, note=data.note
    )


@agent_router.post("/cases/{number}/withdraw")
async def withdraw(
    number: str, data: NoteIn, ctx: CtxDep, user: CurrentAgent, lang: LangDep
) -> CaseDetail:
    return await _step(ctx, lang, workflow.withdraw, number, user, note=data.note)


@agent_router.post("/cases/{number}/forward")
async def forward(
    number: str, data: ForwardIn, ctx: CtxDep, user: CurrentAgent, lang: LangDep
) -> CaseDetail:
    return await _step(
        ctx,
        lang,
        workflow.forward,
        number,
        user,
        competent_entity=data.competent_entity,
        note=data.note,
    )


@agent_router.post("/cases/{number}/answer")
async def answer(
    number: str, data: AnswerIn, ctx: CtxDep, user: CurrentAgent, lang: LangDep
) -> CaseDetail:
    return await _step(ctx, lang, workflow.answer, number, user, text=data.answer)


@admin_router.put("/case-types/{code}")
async def update_type(
    code: str, data: CaseTypeIn, ctx: CtxDep, user: CurrentAdmin, lang: LangDep
) -> CaseTypeOut:
    async with ctx.db.unit() as uow:
        await types.update_type(
            uow, code, label=data.label, term_days=data.term_days, area=data.area, user=user
        )
        updated = (await types.case_types(uow.session, lang))[code]
        return CaseTypeOut(**updated.__dict__)


@admin_router.post("/closed-days", status_code=201)
async def add_closed_day(data: ClosedDayIn, ctx: CtxDep, user: CurrentAdmin) -> ClosedDayOut:
    async with ctx.db.unit() as uow:
        today = await workflow.entity_today(uow)
        row = await types.add_closed_day(uow, data.day, data.reason, user, today)
        return ClosedDayOut.model_validate(row)


@admin_router.delete("/closed-days/{day}", status_code=204)
async def remove_closed_day(day: date, ctx: CtxDep, user: CurrentAdmin) -> None:
    async with ctx.db.unit() as uow:
        await types.remove_closed_day(uow, day, await workflow.entity_today(uow))


@citizen_router.get("/case-status")
async def case_status(
    request: Request,
    ctx: CtxDep,
    number: Annotated[str, Query(max_length=40)],
    email: Annotated[str, Query(max_length=254)],
) -> CaseStatus:
    await ctx.conversation_starts.check("case-status|" + client_ip(request))  # no guessing in bulk
    async with ctx.db.unit() as uow:
        case = await service.lookup(uow, number, email)
        return CaseStatus.model_validate(case, from_attributes=True)


# app.py includes ``router`` (and ``citizen_router``): the console's and the admins' endpoints.
router = APIRouter()
router.include_router(agent_router)
router.include_router(admin_router)
router.include_router(pages_router)
