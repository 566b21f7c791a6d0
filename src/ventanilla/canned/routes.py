from __future__ import annotations

from fastapi import APIRouter, Response

from ventanilla.canned import repository, service
from ventanilla.canned.schemas import CannedIn, CannedOut
from ventanilla.web.deps import CtxDep, CurrentAgent, CurrentSupervisor

router = APIRouter(prefix="/api/agent/canned")


@router.get("")
async def list_canned(ctx: CtxDep, user: CurrentAgent) -> list[CannedOut]:
    async with ctx.db.unit() as uow:
        return [CannedOut.model_validate(r) for r in await repository.all_(uow.session)]


@router.post("", status_code=201)
async def create(data: CannedIn, ctx: CtxDep, user: CurrentSupervisor) -> CannedOut:
    async with ctx.db.unit() as uow:
        return CannedOut.model_validate(await service.create(uow, data, user.id))


@router.put("/{canned_id}")
async def update(canned_id: int, data: CannedIn, ctx: CtxDep, user: CurrentSupervisor) -> CannedOut:
    async with ctx.db.unit() as uow:
        return CannedOut.model_validate(await service.update(uow, canned_id, data, user.id))


@router.delete("/{canned_id}", status_code=204)
async def delete(canned_id: int, ctx: CtxDep, user: CurrentSupervisor) -> Response:
    async with ctx.db.unit() as uow:
        await service.delete(uow, canned_id)
    return Response(status_code=204)
