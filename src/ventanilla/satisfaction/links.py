"""Survey links: signed, expiring, good for rating one conversation and nothing else."""

from __future__ import annotations

from ventanilla.notifications.links import sign_token, verify_token
from ventanilla.settings import Settings

PURPOSE = "survey"


def survey_token(settings: Settings, conversation_id: str) -> str:
    return sign_token(
        settings.secret_key, PURPOSE, conversation_id, settings.mail.link_ttl_hours * 3600
    )


def verify_survey(settings: Settings, token: str) -> tuple[str | None, str]:
    """``(conversation_id, "")`` or ``(None, "link_invalid" | "link_expired")``."""
    if len(token) > 200:
        return None, "link_invalid"
    return verify_token(settings.secret_key, PURPOSE, token)


def survey_url(settings: Settings, token: str, score: int | None = None) -> str:
    url = f"{settings.base_url.rstrip('/')}/encuesta/{token}"
    return url if score is None else f"{url}?puntaje={score}"
