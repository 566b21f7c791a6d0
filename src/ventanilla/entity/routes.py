"""The widget's configuration (public) and the admins' settings page API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from ventanilla.conversations.frames import request_type_label
from ventanilla.conversations.schemas import REQUEST_TYPES
from ventanilla.core.db import utcnow
from ventanilla.core.i18n import LANG_TAGS, subset
from ventanilla.entity.hours import is_open, next_open, summary
from ventanilla.entity.schemas import EntitySettings
from ventanilla.web.deps import CtxDep, CurrentAdmin, LangDep
from ventanilla.web.origins import widget_origin

widget_router = APIRouter(prefix="/api/widget", dependencies=[Depends(widget_origin)])
admin_router = APIRouter(prefix="/api/admin")


def widget_config(
    entity: EntitySettings, lang: str, ctx_limits: Any, agents_available: bool
) -> dict[str, Any]:
    now = utcnow()
    hours = entity.office_hours
    nxt = next_open(hours, now)
    return {
        "entity": {"name": entity.name, "privacy_policy_url": entity.privacy_policy_url},
        "theme": {
            "primary_color": entity.primary_color,
            "text_on_primary": entity.text_on_primary,
            "position": entity.position,
        },
        "texts": {"title": entity.title, "welcome": entity.welcome, "launcher": entity.launcher},
        "office_hours": {
            "timezone": hours.timezone,
            "open_now": is_open(hours, now),
            "summary": summary(hours, lang),
            "next_open": nxt.isoformat().replace("+00:00", "Z") if nxt else None,
        },
        "availability": {"agents_available": agents_available},
        "privacy_notice": {
            "version": entity.privacy_notice_version,
            "text": entity.privacy_notice_text,
        },
        "request_types": [{"code": c, "label": request_type_label(c, lang)} for c in REQUEST_TYPES],
        "limits": {
            "message_max_chars": ctx_limits.message_max_chars,
            "name_max_chars": ctx_limits.name_max_chars,
        },
        "lang": LANG_TAGS[lang],
        "messages": subset(lang, "widget."),
    }


@widget_router.get("/config")
async def get_widget_config(ctx: CtxDep, lang: LangDep, response: Response) -> dict[str, Any]:
    async with ctx.db.unit() as uow:
        entity = await ctx.entity.get(uow)
        available = await ctx.someone_attends(uow)
    response.headers["Cache-Control"] = "no-cache"
    config = widget_config(entity, lang, ctx.settings.limits, available)
    # where the widget opens /ws/widget: null for this server's own origin (settings.py)
    config["socket_url"] = ctx.settings.public_socket_url or None
    return config


@admin_router.get("/settings")
async def get_settings(ctx: CtxDep, user: CurrentAdmin) -> dict[str, Any]:
    async with ctx.db.unit() as uow:
        ctx.entity.invalidate()
        entity = await ctx.entity.get(uow)
    return entity.model_dump(mode="json")


@admin_router.put("/settings")
async def put_settings(ctx: CtxDep, user: CurrentAdmin, request: Request) -> dict[str, Any]:
    data = await request.json()
    async with ctx.db.unit() as uow:
        entity = await ctx.entity.update(uow, data if isinstance(data, dict) else {}, user.id)
    return entity.model_dump(mode="json")
