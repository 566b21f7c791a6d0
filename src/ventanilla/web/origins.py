"""Which web pages may embed the widget: the entity's allowed origins and the server's own."""

from __future__ import annotations

from fastapi import Request, Response

from ventanilla.context import Context
from ventanilla.core.errors import Forbidden

CORS_HEADERS = {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Authorization, Accept-Language",
    "Access-Control-Max-Age": "600",
    "Vary": "Origin",
}


async def origin_allowed(ctx: Context, origin: str | None) -> bool:
    """No Origin header (not a browser, or same-origin GET) is let through: CORS is for browsers."""
    if origin is None:
        return True
    origin = origin.lower().rstrip("/")
    if origin == ctx.own_origin:
        return True
    async with ctx.db.unit() as uow:
        entity = await ctx.entity.get(uow)
    return origin in entity.allowed_origins


async def widget_origin(request: Request, response: Response) -> None:
    """Dependency of the widget API: refuse other origins, and answer CORS for allowed ones."""
    ctx: Context = request.app.state.ctx
    origin = request.headers.get("origin")
    if not await origin_allowed(ctx, origin):
        raise Forbidden("origin_not_allowed")
    if origin:
        request.state.cors_origin = origin  # error responses carry CORS headers too
        response.headers.update(cors_headers(origin))


def cors_headers(origin: str) -> dict[str, str]:
    return {"Access-Control-Allow-Origin": origin, **CORS_HEADERS}
