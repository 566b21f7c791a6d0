"""The survey inside the transcript email: one link per score, each opening the survey page."""

from __future__ import annotations

from dataclasses import dataclass

from ventanilla.conversations.models import Conversation
from ventanilla.core.db import UnitOfWork
from ventanilla.satisfaction import repository
from ventanilla.satisfaction.links import survey_token, survey_url
from ventanilla.satisfaction.models import MAX_SCORE, MIN_SCORE
from ventanilla.settings import Settings


@dataclass(frozen=True)
class ScoreLink:
    score: int
    url: str


@dataclass(frozen=True)
class Survey:
    url: str
    scores: list[ScoreLink]


async def survey_for(uow: UnitOfWork, conv: Conversation, settings: Settings) -> Survey | None:
    """The links to put in the email, or None if the conversation is already rated."""
    if await repository.for_conversation(uow.session, conv.id) is not None:
        return None
    token = survey_token(settings, conv.id)
    return Survey(
        url=survey_url(settings, token),
        scores=[
            ScoreLink(s, survey_url(settings, token, s)) for s in range(MIN_SCORE, MAX_SCORE + 1)
        ],
    )
