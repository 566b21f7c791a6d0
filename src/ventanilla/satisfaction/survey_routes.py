"""The survey page opened from the transcript email.

Each score in the email is a link to ``GET /encuesta/<token>?puntaje=N``. A GET never records
anything (mail security scanners open every link of a message before the person does); it
shows the form with that score already chosen, and the citizen's ``POST`` records it. The
token is signed for this purpose only and names one conversation.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ventanilla.context import Context
from ventanilla.conversations import repository as conversations
from ventanilla.core.errors import AppError
from ventanilla.core.i18n import LANG_TAGS, resolve_lang, translate
from ventanilla.satisfaction import repository, service
from ventanilla.satisfaction.links import verify_survey
from ventanilla.satisfaction.models import COMMENT_MAX, MAX_SCORE, MIN_SCORE
from ventanilla.satisfaction.schemas import RatingIn
from ventanilla.web.deps import CtxDep, LangDep
from ventanilla.web.pages import templates

router = APIRouter()


async def _render(
    request: Request, ctx: Context, lang: str, status: int = 200, **values: Any
) -> Response:
    async with ctx.db.unit() as uow:
        entity = await ctx.entity.get(uow)

    def t(key: str, **params: Any) -> str:
        return translate(lang, key, **params)

    context: dict[str, Any] = {
        "request": request,
        "t": t,
        "lang": LANG_TAGS[lang],
        "entity": entity,
        "scores": list(range(MIN_SCORE, MAX_SCORE + 1)),
        "comment_max": COMMENT_MAX,
        "error": None,
        "field": None,
        "rating": None,
        "thanks": False,
        "form": None,
        **values,
    }
    return templates.TemplateResponse(request, "survey.html", context, status_code=status)


def _preselected(value: str | None) -> int | None:
    try:
        return service.parse_score(value)
    except AppError:
        return None


@router.get("/encuesta/{token}", response_class=HTMLResponse, include_in_schema=False)
async def survey_page(
    token: str,
    request: Request,
    ctx: CtxDep,
    lang: LangDep,
    puntaje: str | None = None,
    gracias: str | None = None,
) -> Response:
    conversation_id, reason = verify_survey(ctx.settings, token)
    if conversation_id is None:
        status = 410 if reason == "link_expired" else 404
        return await _render(request, ctx, lang, status, error=translate(lang, f"error.{reason}"))
    async with ctx.db.unit() as uow:
        conv = await conversations.get(uow.session, conversation_id)
        rating = await repository.for_conversation(uow.session, conversation_id)
    if conv is None:
        return await _render(request, ctx, lang, 404, error=translate(lang, "error.link_invalid"))
    lang = resolve_lang(conv.lang)
    if rating is not None:
        return await _render(request, ctx, lang, rating=rating, thanks=gracias == "1")
    if conv.status != "closed":
        return await _render(
            request, ctx, lang, 409, error=translate(lang, "error.rating_not_closed")
        )
    form = {"score": _preselected(puntaje), "resolved": None, "comment": ""}
    return await _render(request, ctx, lang, form=form)


@router.post("/encuesta/{token}", include_in_schema=False)
async def survey_submit(
    token: str,
    request: Request,
    ctx: CtxDep,
    lang: LangDep,
    puntaje: Annotated[str, Form(max_length=10)] = "",
    resuelto: Annotated[str, Form(max_length=10)] = "",
    comentario: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    conversation_id, reason = verify_survey(ctx.settings, token)
    if conversation_id is None:
        status = 410 if reason == "link_expired" else 404
        return await _render(request, ctx, lang, status, error=translate(lang, f"error.{reason}"))
    data = RatingIn(score=puntaje, resolved=resuelto or None, comment=comentario)
    try:
        async with ctx.db.unit() as uow:
            conv = await conversations.get(uow.session, conversation_id)
            if conv is not None:
                lang = resolve_lang(conv.lang)
            await service.submit(uow, conversation_id, data, "email")
    except AppError as exc:
        if exc.code in ("already_rated", "not_found", "rating_not_closed"):
            return RedirectResponse(f"/encuesta/{token}", status_code=303)
        form = {"score": _preselected(puntaje), "resolved": resuelto or None, "comment": comentario}
        return await _render(
            request, ctx, lang, exc.status, form=form, error=exc.message(lang), field=exc.field
        )
    return RedirectResponse(f"/encuesta/{token}?gracias=1", status_code=303)
