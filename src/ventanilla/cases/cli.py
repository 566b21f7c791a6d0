"""``ventanilla cases``: due dates as the console computes them, and the daily summary."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from ventanilla.cases.deadlines import PETITION_TYPES, BusinessCalendar
from ventanilla.settings import Settings

cases_app = typer.Typer(help="PQRSD: términos legales en días hábiles y resumen diario.")


def _database_exists(url: str) -> bool:
    """A SQLite file that is not there is not created just to read the terms."""
    if not url.startswith("sqlite"):
        return True
    path = url.split("///", 1)[-1]
    return path == ":memory:" or Path(path).exists()


async def _entity_terms(url: str) -> tuple[dict[str, int], list[date]] | None:
    """The entity's terms and closed days from its database, or None without one."""
    from ventanilla.cases.types import calendar, case_types
    from ventanilla.core.db import Database

    if not _database_exists(url):
        return None
    db = Database(url)
    try:
        async with db.unit() as uow:
            types = await case_types(uow.session)
            closed = sorted((await calendar(uow.session)).closed)
        return {code: t.term_days for code, t in types.items()}, closed
    except SQLAlchemyError:
        return None
    finally:
        await db.dispose()


@cases_app.command("due-date")
def due_date_command(
    type_: Annotated[str, typer.Option("--type", help="Tipo de PQRSD, p. ej. queja, consulta")],
    filed: Annotated[str, typer.Option(help="Fecha de radicación AAAA-MM-DD")],
    closed: Annotated[
        list[str] | None, typer.Option(help="Otro día en que la entidad no atiende (repetible)")
    ] = None,
    law: Annotated[
        bool, typer.Option("--law", help="Solo los términos de la ley, sin la base de datos")
    ] = False,
) -> None:
    """Fecha de vencimiento: N días hábiles contados desde el día siguiente a la radicación,
    con los términos y días no hábiles que la entidad tiene en su base de datos (los de la
    consola), o los de la ley si no hay base de datos."""
    if type_ not in PETITION_TYPES:
        typer.echo(f"Tipo desconocido: {type_}. Use uno de: {', '.join(PETITION_TYPES)}", err=True)
        raise typer.Exit(2)
    try:
        filed_on = date.fromisoformat(filed)
        closed_days = [date.fromisoformat(d) for d in closed or []]
    except ValueError:
        typer.echo("Use fechas con el formato AAAA-MM-DD.", err=True)
        raise typer.Exit(2) from None
    entity = None if law else asyncio.run(_entity_terms(Settings().database_url))
    term = PETITION_TYPES[type_].term_days
    source = "términos de la ley"
    if entity is not None:
        terms, entity_closed = entity
        term, closed_days = terms[type_], closed_days + entity_closed
        source = "términos de la entidad"
    due = BusinessCalendar(closed_days).add_business_days(filed_on, term)
    typer.echo(f"{due.isoformat()}  ({term} días hábiles desde {filed_on.isoformat()}, {source})")


@cases_app.command("summary")
def summary_command(
    send: Annotated[
        bool, typer.Option("--send", help="Enviarlo a supervisores y administradores")
    ] = False,
) -> None:
    """Resumen de PQRSD vencidas y por vencer (lo que reciben los supervisores cada día)."""
    from ventanilla.cases.summary import build_summary, render_summary, send_summary
    from ventanilla.cases.workflow import entity_today
    from ventanilla.core.db import Database
    from ventanilla.notifications.service import entity_settings

    settings = Settings()

    async def run() -> str:
        db = Database(settings.database_url)
        try:
            async with db.unit() as uow:
                today = await entity_today(uow)
                summary = await build_summary(uow, today)
                name = (await entity_settings(uow)).name
            _, text, _ = render_summary(
                summary, name, settings.base_url.rstrip("/") + "/console/cases"
            )
            if send:
                sent = await send_summary(db, settings, today)
                text += f"\nCorreos en la bandeja de salida: {sent}\n"
            return text
        finally:
            await db.dispose()

    typer.echo(asyncio.run(run()))
