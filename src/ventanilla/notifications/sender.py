"""Delivering the outbox: SMTP (aiosmtplib) or capture, with retries and a record of each answer.

At-least-once: a row is marked sent only after the SMTP server accepted it; a sender that dies
between the two leaves a lease that expires, and the email is sent again (rare, and better than
losing it). Temporary failures (connection refused, 4xx) are retried with exponential backoff;
permanent ones (5xx, refused recipient) mark the row ``failed`` for admins to see.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

import aiosmtplib

from ventanilla.core.db import Database, utcnow
from ventanilla.notifications import repository
from ventanilla.notifications.models import OutboxEmail
from ventanilla.settings import MailSettings

log = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """The SMTP server refused for good (5xx, bad recipient): do not retry."""


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> str: ...


class CaptureTransport:
    """No SMTP configured (the demo, development): keep the email, shown in the console."""

    async def send(self, message: EmailMessage) -> str:
        return "captured (no SMTP server configured)"


class SmtpTransport:
    def __init__(self, mail: MailSettings) -> None:
        self.mail = mail

    async def send(self, message: EmailMessage) -> str:
        m = self.mail
        try:
            _errors, response = await aiosmtplib.send(
                message,
                hostname=m.smtp_host,
                port=m.smtp_port,
                username=m.smtp_user or None,
                password=m.smtp_password or None,
                use_tls=m.smtp_security == "tls",
                start_tls=m.smtp_security == "starttls",
                timeout=m.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise PermanentFailure(str(exc)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code >= 500:
                raise PermanentFailure(f"{exc.code} {exc.message}") from exc
            raise
        return response


def create_transport(mail: MailSettings) -> Transport:
    return SmtpTransport(mail) if mail.smtp_host else CaptureTransport()


def build_message(row: OutboxEmail, mail: MailSettings, from_name: str) -> EmailMessage:
    msg = EmailMessage()
    local, _, domain = mail.from_address.partition("@")
    msg["From"] = Address(display_name=mail.from_name or from_name, username=local, domain=domain)
    msg["To"] = row.to_address
    msg["Subject"] = row.subject
    msg["Date"] = format_datetime(row.created_at)
    msg["Message-ID"] = f"<{row.message_id}>"
    if row.in_reply_to:
        msg["In-Reply-To"] = f"<{row.in_reply_to}>"
        msg["References"] = f"<{row.in_reply_to}>"
    if row.reply_to:
        msg["Reply-To"] = row.reply_to
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(row.text_body)
    msg.add_alternative(row.html_body, subtype="html")
    return msg


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int, base: float) -> timedelta:
    return timedelta(seconds=min(base * 2 ** max(0, attempts - 1), 3600))


async def deliver_due(
    db: Database, transport: Transport, mail: MailSettings, from_name: str, limit: int = 20
) -> DeliveryReport:
    """Claim due emails, send them one by one, record the outcome of each in its own unit."""
    report = DeliveryReport()
    async with db.unit() as uow:
        lease = timedelta(seconds=mail.lease_seconds)
        claimed = await repository.claim_due(uow.session, utcnow(), lease, limit)
        messages = [(row.id, row.attempts, build_message(row, mail, from_name)) for row in claimed]
    for email_id, attempts, message in messages:
        error, permanent, response = "", False, ""
        try:
            response = await transport.send(message)
        except PermanentFailure as exc:
            error, permanent = str(exc), True
        except Exception as exc:  # connection refused, timeouts, 4xx: try again later
            error = f"{type(exc).__name__}: {exc}"
        async with db.unit() as uow:
            row = await repository.get(uow.session, email_id)
            if row is None:
                continue
            row.locked_until = None
            if not error:
                row.status, row.sent_at, row.server_response = "sent", utcnow(), response[:500]
                report.sent += 1
            elif permanent or attempts >= mail.max_attempts:
                row.status, row.last_error = "failed", error[:500]
                report.failed += 1
                log.warning("email %s failed permanently: %s", email_id, error)
            else:
                row.last_error = error[:500]
                row.next_attempt_at = utcnow() + backoff(attempts, mail.retry_base_seconds)
                report.retried += 1
    return report
