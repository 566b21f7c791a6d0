"""Durations as people read them ("3 h 44 min", not "13440 s"), for the PDF and the findings."""

from __future__ import annotations

from ventanilla.core.i18n import translate


def duration(v: float | None, lang: str) -> str:
    if v is None:
        return "-"
    s = round(v)
    if s >= 3600:
        return translate(lang, "reports.dur.hours", h=s // 3600, m=(s % 3600) // 60)
    if s >= 60:
        return translate(lang, "reports.dur.minutes", m=s // 60, s=s % 60)
    return translate(lang, "reports.dur.seconds", s=s)
