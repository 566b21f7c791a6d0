"""Office hours: is the entity open now, when does it open next, and a sentence that says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ventanilla.core.i18n import translate
from ventanilla.entity.schemas import OfficeHours


def is_open(hours: OfficeHours, now: datetime) -> bool:
    local = now.astimezone(ZoneInfo(hours.timezone))
    day = hours.days[local.weekday()]
    return day is not None and day.open <= local.strftime("%H:%M") < day.close


def next_open(hours: OfficeHours, now: datetime) -> datetime | None:
    """The next opening moment strictly after ``now`` (None if the entity never opens)."""
    tz = ZoneInfo(hours.timezone)
    local = now.astimezone(tz)
    for offset in range(8):
        date = (local + timedelta(days=offset)).date()
        day = hours.days[date.weekday()]
        if day is None:
            continue
        h, m = (int(x) for x in day.open.split(":"))
        start = datetime(date.year, date.month, date.day, h, m, tzinfo=tz)
        if start > local:
            return start.astimezone(UTC)
    return None


def summary(hours: OfficeHours, lang: str) -> str:
    """E.g. 'Lunes a viernes, 07:00 a 16:30' — consecutive days with equal hours are grouped."""
    names = [translate(lang, f"weekday.{i}") for i in range(7)]
    # Spanish writes weekdays in lower case inside a sentence; English capitalises them.
    inner = [n.lower() for n in names] if lang.startswith("es") else names
    groups: list[tuple[int, int, str]] = []
    for i, day in enumerate(hours.days):
        if day is None:
            continue
        span = translate(lang, "hours.span", open=day.open, close=day.close)
        if groups and groups[-1][1] == i - 1 and groups[-1][2] == span:
            groups[-1] = (groups[-1][0], i, span)
        else:
            groups.append((i, i, span))
    if not groups:
        return translate(lang, "hours.none")
    parts = []
    for first, last, span in groups:
        if first == last:
            days = names[first]
        elif last == first + 1:
            days = translate(lang, "hours.pair", a=names[first], b=inner[last])
        else:
            days = translate(lang, "hours.range", a=names[first], b=inner[last])
        parts.append(f"{days}, {span}")
    return "; ".join(parts)
