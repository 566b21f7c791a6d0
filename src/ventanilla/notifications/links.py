"""Signed, expiring links and reply addresses that open one conversation only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time


def _sig(secret: str, payload: str, size: int) -> str:
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")[:size]


def sign_token(
    secret: str, purpose: str, value: str, ttl_seconds: float, now: float | None = None
) -> str:
    """``<value>.<expires>.<signature>``, valid for ``purpose`` only (a link to open a
    conversation cannot be used as a survey link, and the other way round)."""
    expires = int((time.time() if now is None else now) + ttl_seconds)
    payload = f"{value}.{expires}"
    return f"{payload}.{_sig(secret, f'{purpose}:{payload}', 32)}"


def verify_token(
    secret: str, purpose: str, token: str, now: float | None = None
) -> tuple[str | None, str]:
    """``(value, "")`` if valid for ``purpose``, else ``(None, reason)`` with reason
    ``link_invalid`` or ``link_expired``."""
    try:
        value, expires_s, sig = token.rsplit(".", 2)
        expires = int(expires_s)
    except ValueError:
        return None, "link_invalid"
    payload = f"{value}.{expires_s}"
    if not hmac.compare_digest(sig, _sig(secret, f"{purpose}:{payload}", 32)):
        return None, "link_invalid"
    if expires < (time.time() if now is None else now):
        return None, "link_expired"
    return value, ""


def sign_link(
    secret: str, conversation_id: str, ttl_seconds: float, now: float | None = None
) -> str:
    return sign_token(secret, "link", conversation_id, ttl_seconds, now)


def verify_link(secret: str, link: str, now: float | None = None) -> tuple[str | None, str]:
    """``(conversation_id, "")`` if valid, else ``(None, reason)`` with reason
    ``link_invalid`` or ``link_expired``."""
    return verify_token(secret, "link", link, now)


def _reply_sig(secret: str, conversation_key: str) -> str:
    return hmac.new(
        secret.encode(), f"reply:{conversation_key}".encode(), hashlib.sha256
    ).hexdigest()[:16]


def reply_address(secret: str, inbound: str, conversation_id: str) -> str:
    """``respuesta@dominio`` → ``respuesta+<conversation>.<sig>@dominio``.

    Lower case throughout: mail systems may fold the case of addresses, so the token must
    survive that (conversation ids are then looked up case-insensitively).
    """
    local, _, domain = inbound.partition("@")
    key = conversation_id.lower()
    return f"{local}+{key}.{_reply_sig(secret, key)}@{domain}"


def verify_reply_token(secret: str, token: str) -> str | None:
    """The lower-cased conversation id a reply token names, if its signature is right."""
    key, _, sig = token.lower().rpartition(".")
    if key and hmac.compare_digest(sig, _reply_sig(secret, key)):
        return key
    return None
