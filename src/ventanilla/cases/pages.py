"""The console's cases page (agents and supervisors) and the types page (admins)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ventanilla.web.deps import LangDep
from ventanilla.web.pages import console_page

pages_router = APIRouter(include_in_schema=False)


@pages_router.get("/console/cases")
async def cases_page(request: Request, lang: LangDep) -> Response:
    return await console_page(request, lang, "console/cases.html", "cases")


@pages_router.get("/console/case-types")
async def case_types_page(request: Request, lang: LangDep) -> Response:
    return await console_page(request, lang, "console/case_types.html", "case-types", role="admin")
