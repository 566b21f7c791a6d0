"""Reports over HTTP: the dashboard's figures, exports, the monthly PDF and the targets."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import ValidationError

from ventanilla.core.errors import AppError
from ventanilla.reports import exports, recorder, service
from ventanilla.reports.pdf import monthly_pdf
from ventanilla.reports.schemas import Period, Targets
from ventanilla.web.deps import CtxDep, CurrentAdmin, CurrentAgent, CurrentSupervisor, LangDep

router = APIRouter(prefix="/api/reports")

DateQ = Annotated[date, Query()]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def period(
    start: date,
    end: date,
    agent_id: int | None = None,
    request_type: str | None = None,
    category: str | None = None,
    channel: str | None = None,
) -> Period:
    try:
        return Period(
            start=start,
            end=end,
            agent_id=agent_id,
            request_type=request_type or None,
            category=category,
            channel=channel or None,
        )
    except ValidationError as exc:
        code = str(exc.errors()[0].get("msg", "")).removeprefix("Value error, ")
        raise AppError(
            code if code == "period_too_long" else "report_period_invalid", field="end"
        ) from None


def month_period(month: str) -> tuple[date, Period]:
    try:
        first = date.fromisoformat(month + "-01")
    except ValueError:
        raise AppError("month_invalid", field="month") from None
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, Period(start=first, end=date.fromordinal(nxt.toordinal() - 1))


def _file(content: bytes, fmt: str, name: str) -> Response:
    return Response(
        content,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/dashboard")
async def dashboard(
    user: CurrentAgent,
    ctx: CtxDep,
    lang: LangDep,
    start: DateQ,
    end: DateQ,
    grain: str = "day",
    agent_id: int | None = None,
    request_type: Annotated[str | None, Query(max_length=30)] = None,
    category: Annotated[str | None, Query(max_length=60)] = None,
    channel: Annotated[str | None, Query(max_length=8)] = None,
) -> dict[str, Any]:
    p = service.scoped(user, period(start, end, agent_id, request_type, category, channel))
    async with ctx.db.unit() as uow:
        return await service.dashboard(uow.session, p, grain, lang, supervisor=user.role != "agent")


@router.get("/export")
async def export(
    user: CurrentAgent,
    ctx: CtxDep,
    lang: LangDep,
    start: DateQ,
    end: DateQ,
    format: str = "csv",
    table: str = "conversations",
    agent_id: int | None = None,
    request_type: Annotated[str | None, Query(max_length=30)] = None,
    category: Annotated[str | None, Query(max_length=60)] = None,
    channel: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    if format not in ("csv", "xlsx"):
        raise AppError("format_invalid", field="format")
    if table not in exports.TABLES:
        raise AppError("table_invalid", field="table")
    p = service.scoped(user, period(start, end, agent_id, request_type, category, channel))
    async with ctx.db.unit() as uow:
        tz = await recorder.timezone(uow.session)
        content = await exports.export(
            uow.session, p, tz, lang, format, table, supervisor=user.role != "agent"
        )
    suffix = "" if format == "xlsx" else f"-{table}"
    return _file(content, format, f"ventanilla-{start}-{end}{suffix}.{format}")


@router.get("/monthly.pdf")
async def monthly(user: CurrentSupervisor, ctx: CtxDep, lang: LangDep, month: str) -> Response:
    first, p = month_period(month)
    async with ctx.db.unit() as uow:
        board = await service.dashboard(uow.session, p, "day", lang, supervisor=True)
        entity = await ctx.entity.get(uow)
    return _file(monthly_pdf(board, entity.name, first, lang), "pdf", f"ventanilla-{month}.pdf")


@router.get("/targets")
async def get_targets(user: CurrentSupervisor, ctx: CtxDep) -> Targets:
    async with ctx.db.unit() as uow:
        return await service.get_targets(uow.session)


@router.put("/targets")
async def put_targets(data: dict[str, Any], user: CurrentAdmin, ctx: CtxDep) -> Targets:
    async with ctx.db.unit() as uow:
        return await service.save_targets(uow.session, data, user)
