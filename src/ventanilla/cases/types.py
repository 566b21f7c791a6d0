"""The entity's PQRSD types and closed days: what filing, deadlines, the console and
``ventanilla cases due-date`` all read.

The typology is fixed (Bogotá te escucha); for each type the entity may set its own name, a
shorter term than the law's (never a longer one: Ley 1755 art. 14 sets maxima) and the area that
answers it. Days the entity declares closed are not business days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ventanilla.agents.models import User
from ventanilla.cases.deadlines import PETITION_TYPES, BusinessCalendar
from ventanilla.cases.models import CaseTypeSetting, ClosedDay
from ventanilla.core.db import UnitOfWork, utcnow
from ventanilla.core.errors import AppError, NotFound
from ventanilla.core.i18n import translate
from ventanilla.core.text import clean_text

MIN_TERM_DAYS = 1
CLOSED_DAYS_MAX = 400  # a few years of closures; a limit on what one entity can store


@dataclass(frozen=True)
class CaseType:
    code: str
    label: str
    term_days: int
    legal_term_days: int
    area: str
    custom_label: bool


def _label(code: str, row: CaseTypeSetting | None, lang: str) -> str:
    return row.label if row is not None and row.label else translate(lang, f"case_type.{code}")


async def case_types(session: AsyncSession, lang: str = "es") -> dict[str, CaseType]:
    """Every type of the typology with the entity's name, term and area (law defaults)."""
    rows = {r.code: r for r in await session.scalars(select(CaseTypeSetting))}
    types: dict[str, CaseType] = {}
    for code, legal in PETITION_TYPES.items():
        row = rows.get(code)
        types[code] = CaseType(
            code=code,
            label=_label(code, row, lang),
            term_days=row.term_days if row is not None else legal.term_days,
            legal_term_days=legal.term_days,
            area=row.area if row is not None else "",
            custom_label=bool(row is not None and row.label),
        )
    return types


async def case_type(session: AsyncSession, code: str, lang: str = "es") -> CaseType:
    types = await case_types(session, lang)
    if code not in types:
        raise AppError("case_type_invalid", field="type")
    return types[code]


async def calendar(session: AsyncSession) -> BusinessCalendar:
    return BusinessCalendar(await session.scalars(select(ClosedDay.day)))


async def update_type(
    uow: UnitOfWork, code: str, *, label: str, term_days: int, area: str, user: User
) -> CaseType:
    """Rename a type, shorten (or restore) its term, set its area. An empty label means the
    catalog's name. Cases already filed keep the term they were filed with."""
    if code not in PETITION_TYPES:
        raise NotFound("case_type_invalid")
    legal = PETITION_TYPES[code].term_days
    if not MIN_TERM_DAYS <= term_days <= legal:
        raise AppError("case_term_invalid", field="term_days", min=MIN_TERM_DAYS, max=legal)
    label = clean_text(label, field="label", max_chars=120, required=False, multiline=False)
    area = clean_text(area, field="area", max_chars=80, required=False, multiline=False)
    row = await uow.session.get(CaseTypeSetting, code)
    if row is None:
        row = CaseTypeSetting(code=code, term_days=term_days)
        uow.session.add(row)
    row.label, row.term_days, row.area = label, term_days, area
    row.updated_at, row.updated_by = utcnow(), user.id
    await uow.session.flush()
    return (await case_types(uow.session))[code]


async def closed_days(session: AsyncSession, since: date | None = None) -> list[ClosedDay]:
    query = select(ClosedDay).order_by(ClosedDay.day)
    if since is not None:
        query = query.where(ClosedDay.day >= since)
    return list(await session.scalars(query))


async def add_closed_day(
    uow: UnitOfWork, day: date, reason: str, user: User, today: date
) -> ClosedDay:
    """Declare a day closed. Only from today on: a past day may already have counted in terms
    that ran, and rewriting history would move deadlines already told to citizens."""
    if day < today or day > today + timedelta(days=3 * 366):
        raise AppError("closed_day_invalid", field="day")
    if day.weekday() >= 5:
        raise AppError("closed_day_weekend", field="day")
    reason = clean_text(reason, field="reason", max_chars=200, required=False, multiline=False)
    if await uow.session.get(ClosedDay, day) is not None:
        raise AppError("closed_day_exists", 409, field="day")
    if len(await closed_days(uow.session)) >= CLOSED_DAYS_MAX:
        raise AppError("closed_days_too_many", field="day", max=CLOSED_DAYS_MAX)
    row = ClosedDay(day=day, reason=reason, created_by=user.id)
    uow.session.add(row)
    await uow.session.flush()
    return row


async def remove_closed_day(uow: UnitOfWork, day: date, today: date) -> None:
    if day < today:
        raise AppError("closed_day_invalid", field="day")
    result = await uow.session.execute(delete(ClosedDay).where(ClosedDay.day == day))
    if not getattr(result, "rowcount", 0):
        raise NotFound("closed_day_not_found")
