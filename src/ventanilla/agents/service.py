"""Accounts, logins and presence of staff."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email

from ventanilla.agents import repository
from ventanilla.agents.models import PRESENCES, ROLES, AgentSession, User
from ventanilla.core.db import Database, UnitOfWork, utcnow
from ventanilla.core.errors import AppError, Conflict, Forbidden, Unauthorized
from ventanilla.core.security import hash_password, new_token, token_digest, verify_password
from ventanilla.core.text import clean_text

MIN_PASSWORD = 10
ROLE_RANK = {role: i for i, role in enumerate(ROLES)}


@dataclass(frozen=True)
class LoginResult:
    token: str
    csrf_token: str
    user: User


def normalise_email(value: str) -> str:
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise AppError("email_invalid", field="email") from None


async def create_user(
    uow: UnitOfWork,
    *,
    email: str,
    name: str,
    password: str,
    role: str = "agent",
    display_name: str | None = None,
    max_chats: int = 4,
) -> User:
    email = normalise_email(email)
    name = clean_text(name, field="name", max_chars=120, multiline=False)
    display = clean_text(
        display_name or name.split()[0], field="display_name", max_chars=60, multiline=False
    )
    if role not in ROLES:
        raise AppError("role_invalid", field="role")
    if len(password) < MIN_PASSWORD:
        raise AppError("password_too_short", field="password", min=MIN_PASSWORD)
    if not 1 <= max_chats <= 50:
        raise AppError("max_chats_invalid", field="max_chats")
    if await repository.by_email(uow.session, email):
        raise Conflict("email_taken")
    user = User(
        email=email,
        name=name,
        display_name=display,
        password_hash=await asyncio.to_thread(hash_password, password),
        role=role,
        max_chats=max_chats,
    )
    uow.session.add(user)
    await uow.session.flush()
    return user


async def login(db: Database, email: str, password: str, session_hours: float) -> LoginResult:
    """Check the password (argon2, ~0.3 s of CPU: in a thread, outside any transaction), then
    open a session."""
    async with db.unit() as uow:
        user = await repository.by_email(uow.session, email.strip())
    ok = await asyncio.to_thread(verify_password, user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        raise Unauthorized("login_failed")
    token, csrf = new_token(), new_token(24)
    now = utcnow()
    async with db.unit() as uow:
        await repository.delete_expired_sessions(uow.session, now)
        await repository.add_session(
            uow.session,
            AgentSession(
                token_digest=token_digest(token),
                user_id=user.id,
                csrf_token=csrf,
                expires_at=now + timedelta(hours=session_hours),
            ),
        )
    return LoginResult(token, csrf, user)


async def authenticate(uow: UnitOfWork, token: str | None) -> tuple[User, str]:
    """The user and CSRF token of a session cookie, or ``Unauthorized``."""
    if not token:
        raise Unauthorized()
    found = await repository.session_user(uow.session, token_digest(token), utcnow())
    if found is None:
        raise Unauthorized()
    row, user = found
    return user, row.csrf_token


async def logout(uow: UnitOfWork, token: str | None) -> None:
    if token:
        await repository.delete_session(uow.session, token_digest(token))


def require_role(user: User, role: str) -> None:
    if ROLE_RANK[user.role] < ROLE_RANK[role]:
        raise Forbidden()


async def set_presence(uow: UnitOfWork, user: User, presence: str) -> User:
    if presence not in PRESENCES:
        raise AppError("presence_invalid", field="presence")
    db_user = await repository.by_id(uow.session, user.id)
    assert db_user is not None
    db_user.presence = presence
    await uow.session.flush()
    return db_user
