"""Recording a rating, and the figures agents and supervisors read.

A rating belongs to a closed conversation, is given once, and only by that conversation's
citizen (the caller proves it with the conversation token or a signed survey link).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ventanilla.agents.models import User
from ventanilla.conversations import repository as conversations
from ventanilla.conversations.frames import request_type_label
from ventanilla.core.db import UnitOfWork, utcnow
from ventanilla.core.errors import AppError, Conflict, Forbidden, NotFound
from ventanilla.core.text import clean_text
from ventanilla.satisfaction import repository
from ventanilla.satisfaction.models import CHANNELS, COMMENT_MAX, MAX_SCORE, MIN_SCORE, Rating
from ventanilla.satisfaction.schemas import (
    AgentRatings,
    RatingBrief,
    RatingIn,
    RatingOut,
    RatingsSummary,
    RatingState,
    RatingsView,
    RecentRating,
)

PERIODS = (7, 30, 90, 365, 0)  # days; 0 = since the beginning
RECENT = 20


def parse_score(value: object) -> int:
    """An integer from 1 to 5 (a numeric string from a form is accepted; booleans are not)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool):
        raise AppError("score_invalid", field="score")
    if not MIN_SCORE <= value <= MAX_SCORE:
        raise AppError("score_invalid", field="score")
    return value


def parse_resolved(value: object) -> bool:
    """True/False, or the form values "si"/"no"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("si", "no"):
        return value == "si"
    raise AppError("resolved_required", field="resolved")


def parse_comment(value: str | None) -> str | None:
    if value is None:
        return None
    text = clean_text(value, field="comment", max_chars=COMMENT_MAX, required=False)
    return text or None


def rating_out(rating: Rating) -> RatingOut:
    return RatingOut(
        conversation_id=rating.conversation_id,
        score=rating.score,
        resolved=rating.resolved,
        comment=rating.comment,
        channel=rating.channel,
        created_at=rating.created_at,
    )


async def submit(uow: UnitOfWork, conversation_id: str, data: RatingIn, channel: str) -> Rating:
    """Store the citizen's rating of their closed conversation, once.

    Everything is validated before anything is written; the conversation row is locked so two
    simultaneous submissions are serialised and the second one gets ``already_rated``.
    """
    assert channel in CHANNELS
    score = parse_score(data.score)
    resolved = parse_resolved(data.resolved)
    comment = parse_comment(data.comment)
    conv = await conversations.lock(uow.session, conversation_id)
    if conv is None:
        raise NotFound()
    if await repository.for_conversation(uow.session, conv.id) is not None:
        raise Conflict("already_rated")
    if conv.status != "closed":
        raise Conflict("rating_not_closed")
    rating = Rating(
        conversation_id=conv.id,
        score=score,
        resolved=resolved,
        comment=comment,
        channel=channel,
        agent_id=conv.agent_id,
        created_at=utcnow(),
    )
    await repository.add(uow.session, rating)
    return rating


async def state(uow: UnitOfWork, conversation_id: str, status: str) -> RatingState:
    rating = await repository.for_conversation(uow.session, conversation_id)
    return RatingState(
        rated=rating is not None,
        can_rate=rating is None and status == "closed",
        rating=rating_out(rating) if rating else None,
    )


def since(days: int) -> datetime | None:
    if days not in PERIODS:
        raise AppError("period_invalid", field="days")
    return utcnow() - timedelta(days=days) if days else None


def visible_agent(user: User, agent_id: int | None) -> int | None:
    """Agents see only their own ratings; supervisors and admins anyone's (None: everyone)."""
    if ratings_scope(user) is not None:
        if agent_id is not None and agent_id != user.id:
            raise Forbidden("ratings_not_yours")
        return user.id
    return agent_id


async def summary(uow: UnitOfWork, agent_id: int | None, days: int) -> RatingsSummary:
    rows = await repository.counts(uow.session, agent_id, since(days))
    distribution = {s: 0 for s in range(MIN_SCORE, MAX_SCORE + 1)}
    resolved = 0
    for score, was_resolved, n in rows:
        distribution[score] += n
        resolved += n if was_resolved else 0
    count = sum(distribution.values())
    total = sum(s * n for s, n in distribution.items())
    return RatingsSummary(
        count=count,
        average=round(total / count, 2) if count else None,
        distribution=distribution,
        resolved=resolved,
        resolved_share=round(resolved / count, 3) if count else None,
    )


async def view(uow: UnitOfWork, agent_id: int | None, days: int, lang: str) -> RatingsView:
    rows = await repository.recent(
        uow.session, agent_id, since(days), with_comment=True, limit=RECENT
    )
    recent = [
        RecentRating(
            conversation_id=r.conversation_id,
            score=r.score,
            resolved=r.resolved,
            comment=r.comment,
            channel=r.channel,
            created_at=r.created_at,
            agent_id=r.agent_id,
            agent_name=name,
            request_type=request_type,
            request_type_label=request_type_label(request_type, lang),
        )
        for r, request_type, name in rows
    ]
    return RatingsView(
        agent_id=agent_id, days=days, summary=await summary(uow, agent_id, days), recent=recent
    )


async def per_agent(uow: UnitOfWork, days: int) -> list[AgentRatings]:
    return [
        AgentRatings(
            agent_id=agent_id,
            agent_name=name,
            count=n,
            average=round(avg, 2) if avg is not None else None,
            resolved_share=round(resolved / n, 3) if n else None,
        )
        for agent_id, name, n, avg, resolved in await repository.per_agent(uow.session, since(days))
    ]


def history_filters(rating: str | None, resolved: str | None) -> tuple[int | None, bool | None]:
    """The history's ``rating`` (1..5, or ``none``: not rated) and ``resolved`` (``yes``/``no``)
    query values, checked."""
    rating_filter: int | None = None
    if rating:
        if rating == "none":
            rating_filter = 0
        else:
            try:
                rating_filter = parse_score(rating)
            except AppError:
                raise AppError("rating_filter_invalid", field="rating") from None
    resolved_filter: bool | None = None
    if resolved:
        if resolved not in ("yes", "no"):
            raise AppError("resolved_filter_invalid", field="resolved")
        resolved_filter = resolved == "yes"
    return rating_filter, resolved_filter


def ratings_scope(user: User) -> int | None:
    """Whose ratings ``user`` may see: an agent only their own (their id), others everyone's."""
    return user.id if user.role == "agent" else None


async def briefs(
    uow: UnitOfWork, conversation_ids: list[str], user: User
) -> dict[str, RatingBrief]:
    """The ratings of these conversations that ``user`` may see (for the history list)."""
    found = await repository.brief_for(uow.session, conversation_ids)
    scope = ratings_scope(user)
    return {
        cid: RatingBrief(score=r.score, resolved=r.resolved, comment=r.comment)
        for cid, r in found.items()
        if scope is None or r.agent_id == scope
    }
