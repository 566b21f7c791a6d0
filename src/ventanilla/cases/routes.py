"""Filing from the console, reading and extending cases, and the citizen's status lookup."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from ventanilla.cases import repository, service
from ventanilla.cases.schemas import CaseOut, CaseStatus, ExtendIn, FileIn
from ventanilla.core.db import utcnow
from ventanilla.core.errors import NotFound
from ventanilla.web.deps import CtxDep, CurrentAgent, client_ip
from ventanilla.web.origins import widget_origin

router = APIRouter(prefix="/api/agent")
citizen_router = APIRouter(prefix="/api/widget", dependencies=[Depends(widget_origin)])


@router.post("/conversations/{conversation_id}/file", status_code=201)
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
        return CaseOut.model_validate(case)


@router.get("/cases/{number}")
async def get_case(number: str, ctx: CtxDep, user: CurrentAgent) -> CaseOut:
    async with ctx.db.unit() as uow:
        case = await repository.by_number(uow.session, number)
        if case is None:
            raise NotFound("case_not_found")
        return CaseOut.model_validate(case)


@router.post("/cases/{number}/extend")
async def extend(number: str, data: ExtendIn, ctx: CtxDep, user: CurrentAgent) -> CaseOut:
    async with ctx.db.unit() as uow:
        case = await service.extend(
            uow, number, new_due=data.new_due, reason=data.reason, today=utcnow().date()
        )
        return CaseOut.model_validate(case)


@citizen_router.get("/case-status")
async def case_status(
    request: Request,
    ctx: CtxDep,
    number: Annotated[str, Query(max_length=40)],
    email: Annotated[str, Query(max_length=254)],
) -> CaseStatus:
    ctx.conversation_starts.check("case-status|" + client_ip(request))  # no guessing in bulk
    async with ctx.db.unit() as uow:
        case = await service.lookup(uow, number, email)
        return CaseStatus.model_validate(case, from_attributes=True)
