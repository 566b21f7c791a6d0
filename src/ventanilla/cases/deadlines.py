"""Legal deadlines of petitions in business days (Ley 1755 de 2015, art. 14).

A term of N business days starts the day after the petition is received: the due date is the
N-th business day after the filing date. Business days exclude Saturdays, Sundays, Colombian
holidays (the ``holidays`` package, with the Ley Emiliani moves) and any day the entity declares
closed. The console and ``ventanilla cases due-date`` both call ``due_date``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import holidays


@dataclass(frozen=True)
class PetitionType:
    code: str
    term_days: int


# Bogotá te escucha typology, with the terms of Ley 1755 de 2015 art. 14. These are also the
# legal maxima: an entity may answer sooner (shorter terms, cases/types.py), never later.
PETITION_TYPES: dict[str, PetitionType] = {
    t.code: t
    for t in (
        PetitionType("peticion_general", 15),
        PetitionType("peticion_particular", 15),
        PetitionType("queja", 15),
        PetitionType("reclamo", 15),
        PetitionType("sugerencia", 15),
        PetitionType("felicitacion", 15),
        PetitionType("denuncia", 15),
        PetitionType("consulta", 30),
        PetitionType("acceso_informacion", 10),
        PetitionType("copia", 10),
    )
}


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("CO", years=year).keys())


class BusinessCalendar:
    """Colombian business days, minus the days the entity declares closed."""

    def __init__(self, closed_days: Iterable[date] = ()) -> None:
        self.closed = frozenset(closed_days)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _holidays(day.year) and day not in self.closed

    def add_business_days(self, start: date, days: int) -> date:
        """The ``days``-th business day after ``start`` (``start`` itself never counts)."""
        if days < 1:
            raise ValueError("days must be at least 1")
        current, counted = start, 0
        while counted < days:
            current += timedelta(days=1)
            if self.is_business_day(current):
                counted += 1
        return current

    def business_days_between(self, start: date, end: date) -> int:
        """Business days in (start, end]: how many of a term have run by ``end``."""
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            if self.is_business_day(current):
                count += 1
        return count


# Art. 21: a petition for another entity is forwarded within 5 (business) days of receipt.
FORWARD_DAYS = 5
# Art. 17: the entity asks for what is missing within 10 days of filing.
HOLD_REQUEST_DAYS = 10


def legal_term(type_code: str) -> int:
    try:
        return PETITION_TYPES[type_code].term_days
    except KeyError:
        raise ValueError(f"unknown petition type {type_code!r}") from None


def due_date(
    type_code: str,
    filed: date,
    calendar: BusinessCalendar | None = None,
    term_days: int | None = None,
) -> date:
    """The due date of a petition filed on ``filed`` (the legal term unless one is given)."""
    term = legal_term(type_code) if term_days is None else term_days
    return (calendar or BusinessCalendar()).add_business_days(filed, term)


def latest_extension(
    type_code: str,
    filed: date,
    calendar: BusinessCalendar | None = None,
    term_days: int | None = None,
) -> date:
    """An extension may not exceed double the original term (art. 14, parágrafo)."""
    term = legal_term(type_code) if term_days is None else term_days
    return (calendar or BusinessCalendar()).add_business_days(filed, 2 * term)
