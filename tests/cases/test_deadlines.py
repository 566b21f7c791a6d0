"""Due dates worked out by hand with a calendar (Ley 1755 de 2015 art. 14: business days from
the day after filing; weekends, Colombian holidays with the Ley Emiliani moves, closed days)."""

from __future__ import annotations

from datetime import date

import pytest
from typer.testing import CliRunner

from ventanilla.cases.deadlines import BusinessCalendar, due_date, latest_extension
from ventanilla.cli import app


@pytest.mark.parametrize(
    ("type_code", "filed", "expected", "why"),
    [
        # Mar 31, Apr 1, (Apr 2-3 Jueves and Viernes Santo), Apr 6 … Apr 22 is the 15th.
        ("queja", date(2026, 3, 30), date(2026, 4, 22), "Holy Week"),
        # Dec 25 and Jan 1 (Fridays) and Reyes moved to Mon Jan 11, 2027.
        ("reclamo", date(2026, 12, 18), date(2027, 1, 13), "year end"),
        # Independencia de Cartagena (Nov 11) observed on Mon Nov 16.
        ("acceso_informacion", date(2026, 11, 10), date(2026, 11, 25), "Emiliani"),
        # Corpus (Jun 8), Sagrado Corazón (Jun 15), San Pedro (Jun 29), Chiquinquirá (Jul 13).
        ("consulta", date(2026, 6, 1), date(2026, 7, 17), "30 days through June"),
        # Filed on a Saturday: the term starts on Monday; Dec 8 is a holiday.
        ("peticion_general", date(2026, 11, 28), date(2026, 12, 21), "weekend filing"),
        ("copia", date(2026, 11, 28), date(2026, 12, 14), "10 days"),
    ],
)
def test_due_dates(type_code: str, filed: date, expected: date, why: str) -> None:
    assert due_date(type_code, filed) == expected, why


def test_days_the_entity_declares_closed_do_not_count() -> None:
    calendar = BusinessCalendar([date(2026, 12, 1)])
    assert due_date("queja", date(2026, 11, 28), calendar) == date(2026, 12, 22)


def test_extension_is_at_most_double_the_term() -> None:
    assert latest_extension("queja", date(2026, 3, 30)) == date(2026, 5, 14)  # May 1 holiday


def test_business_calendar_basics() -> None:
    cal = BusinessCalendar()
    assert not cal.is_business_day(date(2026, 7, 20))  # Independence day
    assert not cal.is_business_day(date(2026, 11, 29))  # Sunday
    assert cal.is_business_day(date(2026, 11, 30))
    assert cal.business_days_between(date(2026, 3, 30), date(2026, 4, 22)) == 15
    with pytest.raises(ValueError):
        due_date("otro", date(2026, 1, 5))


def test_cli_prints_the_due_date() -> None:
    runner = CliRunner()
    ok = runner.invoke(
        app, ["cases", "due-date", "--law", "--type", "queja", "--filed", "2026-03-30"]
    )
    assert ok.exit_code == 0 and ok.output.startswith("2026-04-22")
    closed = runner.invoke(
        app,
        ["cases", "due-date", "--type", "queja", "--filed", "2026-11-28", "--closed", "2026-12-01"],
    )
    assert closed.output.startswith("2026-12-22")
    bad = runner.invoke(app, ["cases", "due-date", "--type", "queja", "--filed", "28/11/2026"])
    assert bad.exit_code == 2 and "AAAA-MM-DD" in bad.output
    unknown = runner.invoke(app, ["cases", "due-date", "--type", "pqr", "--filed", "2026-11-28"])
    assert unknown.exit_code == 2 and "Tipo desconocido" in unknown.output
