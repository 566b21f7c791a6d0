"""``ventanilla report …``: the monthly PDF, exports, rebuilding the figures, the daily summary."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from ventanilla.core.db import Database
from ventanilla.core.errors import AppError
from ventanilla.settings import Settings

report_app = typer.Typer(help="Informes: PDF mensual, exportaciones y resumen diario.")
T = TypeVar("T")


def _run(settings: Settings, work: Callable[[Database], Awaitable[T]]) -> T:
    from ventanilla.migrate import upgrade

    upgrade(settings.database_url)

    async def main() -> T:
        db = Database(settings.database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except AppError as exc:
        typer.echo(f"Error: {exc.message(settings.default_lang)}", err=True)
        raise typer.Exit(2) from None


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{name}: use AAAA-MM-DD") from None


@report_app.command("monthly")
def monthly(
    month: Annotated[str, typer.Option(help="Mes AAAA-MM, p. ej. 2026-10")],
    out: Annotated[Path, typer.Option(help="Archivo PDF de salida")],
    lang: Annotated[str, typer.Option(help="Idioma: es o en")] = "es",
) -> None:
    """Informe mensual en PDF, con gráficas y cifras."""
    from ventanilla.notifications.service import entity_settings
    from ventanilla.reports import service
    from ventanilla.reports.pdf import monthly_pdf
    from ventanilla.reports.routes import month_period

    settings = Settings()

    async def work(db: Database) -> bytes:
        first, p = month_period(month)
        async with db.unit() as uow:
            board = await service.dashboard(uow.session, p, "day", lang, supervisor=True)
            entity = await entity_settings(uow)
        return monthly_pdf(board, entity.name, first, lang)

    content = _run(settings, work)
    out.write_bytes(content)
    typer.echo(f"Informe de {month} escrito en {out} ({len(content):,} bytes).")


@report_app.command("export")
def export(
    from_: Annotated[str, typer.Option("--from", help="Primer día AAAA-MM-DD (hora local)")],
    to: Annotated[str, typer.Option("--to", help="Último día AAAA-MM-DD, incluido")],
    out: Annotated[Path, typer.Option(help="Archivo de salida")],
    format: Annotated[str, typer.Option(help="csv o xlsx")] = "csv",
    table: Annotated[
        str, typer.Option(help="Con csv: conversations, daily o agents")
    ] = "conversations",
    lang: Annotated[str, typer.Option(help="Idioma: es o en")] = "es",
) -> None:
    """Exporta conversaciones y cifras de un periodo (CSV o XLSX)."""
    from ventanilla.reports import exports, recorder
    from ventanilla.reports.routes import period

    if format not in ("csv", "xlsx"):
        raise typer.BadParameter("--format: csv o xlsx")
    if table not in exports.TABLES:
        raise typer.BadParameter("--table: " + ", ".join(exports.TABLES))
    start, end = _date(from_, "--from"), _date(to, "--to")
    settings = Settings()

    async def work(db: Database) -> bytes:
        p = period(start, end)
        async with db.unit() as uow:
            tz = await recorder.timezone(uow.session)
            return await exports.export(uow.session, p, tz, lang, format, table, supervisor=True)

    content = _run(settings, work)
    out.write_bytes(content)
    typer.echo(f"Exportación {start} a {end} escrita en {out} ({len(content):,} bytes).")


@report_app.command("rebuild")
def rebuild(
    since: Annotated[
        str | None, typer.Option(help="Desde el día AAAA-MM-DD (por omisión, todo)")
    ] = None,
) -> None:
    """Recalcula los hechos y las sumas diarias (p. ej. después de cambiar las metas)."""
    from ventanilla.reports.recorder import rebuild as do_rebuild

    day = _date(since, "--since") if since else None
    n = _run(Settings(), lambda db: do_rebuild(db, day))
    typer.echo(f"{n} conversaciones recalculadas.")


@report_app.command("daily-summary")
def daily_summary(
    day: Annotated[
        str | None, typer.Option(help="Día AAAA-MM-DD (por omisión, ayer en hora local)")
    ] = None,
) -> None:
    """Escribe en la bandeja de salida el resumen diario para supervisores."""
    from ventanilla.reports.digest import send_daily_summary

    settings = Settings()
    the_day = _date(day, "--day") if day else None
    n = _run(settings, lambda db: send_daily_summary(db, settings, the_day))
    typer.echo(f"{n} resúmenes en la bandeja de salida.")
