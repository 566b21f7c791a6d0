"""Email continuity pages: the emailed link, the admins' mail page and the demo's mailbox."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from ventanilla.conversations import service as conversations
from ventanilla.core.db import utcnow
from ventanilla.core.errors import AppError, NotFound
from ventanilla.core.i18n import LANG_TAGS, translate
from ventanilla.notifications import inbound, repository
from ventanilla.notifications.links import verify_link
from ventanilla.notifications.models import OutboxEmail
from ventanilla.web.deps import CtxDep, CurrentAdmin, LangDep
from ventanilla.web.origins import widget_origin
from ventanilla.web.pages import console_page, templates

router = APIRouter()
link_router = APIRouter(prefix="/api/widget", dependencies=[Depends(widget_origin)])


class LinkIn(BaseModel):
    link: str = Field(max_length=300)


@router.get("/conversacion/{link}", response_class=HTMLResponse, include_in_schema=False)
async def standalone(link: str, request: Request, ctx: CtxDep, lang: LangDep) -> Response:
    """The conversation on its own page, for a citizen who comes back from an email."""
    conversation_id, reason = verify_link(ctx.settings.secret_key, link)
    async with ctx.db.unit() as uow:
        entity = await ctx.entity.get(uow)
    context: dict[str, Any] = {
        "request": request,
        "lang": LANG_TAGS[lang],
        "entity": entity,
        "link": link,
        "error": translate(lang, f"error.{reason}") if reason else None,
        "title": translate(lang, "email.open_conversation"),
    }
    status = 200 if conversation_id else (410 if reason == "link_expired" else 404)
    return templates.TemplateResponse(request, "standalone.html", context, status_code=status)


@link_router.post("/link")
async def exchange_link(data: LinkIn, ctx: CtxDep) -> dict[str, str]:
    """Trade a valid emailed link for a citizen token of that conversation."""
    conversation_id, reason = verify_link(ctx.settings.secret_key, data.link)
    if conversation_id is None:
        raise AppError(reason, 410 if reason == "link_expired" else 404)
    async with ctx.db.unit() as uow:
        conv = await conversations.get(uow, conversation_id)
        token = await conversations.issue_access_token(uow, conv.id)
    return {"conversation_id": conv.id, "token": token, "status": conv.status}


@router.get("/console/mail", include_in_schema=False)
async def mail_page(request: Request, lang: LangDep) -> Response:
    async def extra(ctx: Any) -> dict[str, Any]:
        async with ctx.db.unit() as uow:
            return {
                "problems": await repository.problem_emails(uow.session),
                "recent": await repository.recent_emails(uow.session, 30),
                "review": await repository.inbound_for_review(uow.session),
                "transport": "smtp" if ctx.settings.mail.smtp_host else "capture",
            }

    return await console_page(request, lang, "console/mail.html", "mail", "admin", extra)


@router.post("/api/admin/mail/{email_id}/retry")
async def retry(email_id: int, ctx: CtxDep, user: CurrentAdmin) -> dict[str, str]:
    async with ctx.db.unit() as uow:
        row = await repository.get(uow.session, email_id)
        if row is None:
            raise NotFound()
        row.status, row.next_attempt_at, row.locked_until = "pending", utcnow(), None
        row.attempts = 0
    ctx.wake_mail()
    return {"status": "pending"}


@router.get("/demo/mailbox", response_class=HTMLResponse, include_in_schema=False)
async def demo_mailbox(request: Request, ctx: CtxDep) -> Response:
    if not ctx.settings.demo:
        raise NotFound()
    async with ctx.db.unit() as uow:
        emails = await repository.recent_emails(uow.session, 50)
    return templates.TemplateResponse(
        request, "demo_mailbox.html", {"request": request, "emails": emails}
    )


@router.post("/demo/mailbox/{email_id}/reply", include_in_schema=False)
async def demo_reply(
    email_id: int, ctx: CtxDep, body: Annotated[str, Form(max_length=4000)] = ""
) -> Response:
    """Reply as the citizen would from their mail program, through the real inbound path."""
    if not ctx.settings.demo:
        raise NotFound()
    async with ctx.db.unit() as uow:
        row = await repository.get(uow.session, email_id)
    if row is None:
        raise NotFound()
    await inbound.receive(ctx.db, citizen_reply(row, body).as_bytes(), ctx.settings, "demo")
    return RedirectResponse("/demo/mailbox", status_code=303)


def citizen_reply(row: OutboxEmail, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = row.to_address
    msg["To"] = row.reply_to or "respuesta@ventanilla.local"
    msg["Subject"] = "Re: " + row.subject
    msg["Message-ID"] = make_msgid(domain=row.to_address.rpartition("@")[2] or "example.com")
    msg["In-Reply-To"] = f"<{row.message_id}>"
    msg["References"] = f"<{row.in_reply_to}> <{row.message_id}>"
    quoted = "\n".join("> " + line for line in row.text_body.splitlines())
    msg.set_content(f"{body}\n\nEl {row.created_at:%d/%m/%Y}, escribió:\n{quoted}\n")
    return msg
