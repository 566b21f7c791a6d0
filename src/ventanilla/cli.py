"""The ``ventanilla`` command: serve, demo, migrate and user management."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Annotated

import typer

from ventanilla.cases.cli import cases_app
from ventanilla.kb.cli import kb_app
from ventanilla.reports.cli import report_app
from ventanilla.settings import Settings

app = typer.Typer(help="Ventanilla: chat de atención a la ciudadanía.", no_args_is_help=True)
users_app = typer.Typer(help="Usuarios del equipo (asesores, supervisores, administradores).")
app.add_typer(users_app, name="users")
mail_app = typer.Typer(help="Correo: envío de la bandeja de salida y recepción de respuestas.")
app.add_typer(mail_app, name="mail")
app.add_typer(cases_app, name="cases")
app.add_typer(kb_app, name="kb")
app.add_typer(report_app, name="report")


def _settings() -> Settings:
    return Settings()


def _run_granian(host: str, port: int, workers: int) -> None:
    from granian import Granian
    from granian.constants import Interfaces, Loops

    Granian(
        "ventanilla.app:app_from_env",
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        factory=True,
        log_access=False,
        websockets=True,
        # Not "auto": it prefers rloop whenever that package is installed, and asyncpg cannot
        # open its connection on rloop ("TCPTransport protocol cannot be changed", measured with
        # rloop 0.5). uvloop is a dependency.
        loop=Loops.uvloop,
    ).serve()


def _check_free(host: str, port: int) -> None:
    """Every worker binds the sockets' port with SO_REUSEPORT, which would also share it with
    another server left running there: refuse to start instead (a plain bind fails then)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no owner
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise typer.BadParameter(
                f"el puerto {port} ya está en uso ({exc.strerror})", param_hint="--sockets-port"
            ) from None


@app.command()
def migrate() -> None:
    """Aplica las migraciones de la base de datos."""
    from ventanilla.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)
    typer.echo("Base de datos al día.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Dirección")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Puerto")] = 8000,
    workers: Annotated[int, typer.Option(help="Procesos de Granian")] = 1,
    sockets_port: Annotated[
        int,
        typer.Option(
            help="Puerto propio para los websockets del chat (0: el mismo de HTTP). "
            "Cada socket abierto ocupa ~28 KiB en vez de ~170 KiB; ver docs/operations.md",
            min=0,
            max=65535,
        ),
    ] = 0,
) -> None:
    """Sirve Ventanilla con Granian (aplica las migraciones antes)."""
    from ventanilla.migrate import upgrade

    sockets_port = sockets_port or _settings().realtime.sockets_port  # or from the environment
    if sockets_port:
        if sockets_port == port:
            raise typer.BadParameter("--sockets-port debe ser distinto de --port")
        os.environ["VENTANILLA_REALTIME__SOCKETS_PORT"] = str(sockets_port)
        os.environ.setdefault("VENTANILLA_REALTIME__SOCKETS_HOST", host)  # as HTTP's, by default
        _check_free(os.environ["VENTANILLA_REALTIME__SOCKETS_HOST"], sockets_port)
    settings = _settings()
    if workers > 1 and settings.broker_url.startswith("memory"):
        raise typer.BadParameter("con varios procesos use VENTANILLA_BROKER_URL=redis://…")
    upgrade(settings.database_url)
    _run_granian(host, port, workers)


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Puerto")] = 8000,
    host: Annotated[str, typer.Option(help="Dirección")] = "127.0.0.1",
    data_dir: Annotated[Path, typer.Option(help="Carpeta de la base de datos demo")] = Path(
        ".ventanilla-demo"
    ),
    no_serve: Annotated[bool, typer.Option(help="Solo preparar los datos")] = False,
) -> None:
    """Demostración embebida: SQLite, broker en proceso, datos de ejemplo y un sitio con el chat."""
    from ventanilla.core.db import Database
    from ventanilla.demo import DEMO_ADMIN, DEMO_AGENT, seed
    from ventanilla.migrate import upgrade

    data_dir.mkdir(parents=True, exist_ok=True)
    base_url = f"http://{host}:{port}"
    db_url = f"sqlite+aiosqlite:///{(data_dir / 'ventanilla.db').resolve()}"
    os.environ.update(
        {
            "VENTANILLA_DATABASE_URL": db_url,
            "VENTANILLA_BROKER_URL": "memory://",
            "VENTANILLA_BASE_URL": base_url,
            "VENTANILLA_ENVIRONMENT": "demo",
            "VENTANILLA_DEMO": "true",
            "VENTANILLA_DEMO_LOGIN": json.dumps(DEMO_AGENT),
        }
    )
    # In the demo an unseen reply is emailed (to the demo mailbox) after 30 s, not 2 min.
    os.environ.setdefault("VENTANILLA_MAIL__UNSEEN_DELAY_SECONDS", "30")
    os.environ.setdefault("VENTANILLA_MAIL__INBOUND_ADDRESS", "respuesta@demo.ventanilla.co")
    os.environ.setdefault("VENTANILLA_SECRET_KEY", _demo_secret(data_dir))
    upgrade(db_url)

    async def _seed() -> None:
        db = Database(db_url)
        try:
            await seed(db, base_url, examples=True)
        finally:
            await db.dispose()

    asyncio.run(_seed())
    typer.echo(
        "\nVentanilla — demostración (datos de ejemplo)\n"
        f"  Sitio web de ejemplo con el chat:  {base_url}/demo\n"
        f"  Consola de asesores:               {base_url}/login\n"
        f"    asesor:         {DEMO_AGENT['email']}  /  {DEMO_AGENT['password']}\n"
        f"    administrador:  {DEMO_ADMIN['email']}  /  {DEMO_ADMIN['password']}\n"
        f"  Buzón de correo de la demo:        {base_url}/demo/mailbox\n"
        f"  Protocolo y API:                   {base_url}/api/docs\n"
        f"  Base de datos:                     {data_dir / 'ventanilla.db'}\n"
        "  Detener: Ctrl+C\n"
    )
    if not no_serve:
        _run_granian(host, port, 1)


def _demo_secret(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if not path.exists():
        import secrets

        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Correo (usuario de inicio de sesión)")],
    name: Annotated[str, typer.Option(help="Nombre completo")],
    role: Annotated[str, typer.Option(help="agent, supervisor o admin")] = "agent",
    display_name: Annotated[str | None, typer.Option(help="Nombre que ve el ciudadano")] = None,
    max_chats: Annotated[int, typer.Option(help="Conversaciones simultáneas")] = 4,
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="Contraseña (mínimo 10 caracteres)",
        ),
    ] = "",
) -> None:
    """Crea un usuario del equipo."""
    from ventanilla.agents import service
    from ventanilla.core.db import Database
    from ventanilla.core.errors import AppError
    from ventanilla.migrate import upgrade

    settings = _settings()
    upgrade(settings.database_url)

    async def _create() -> int:
        db = Database(settings.database_url)
        try:
            async with db.unit() as uow:
                user = await service.create_user(
                    uow,
                    email=email,
                    name=name,
                    password=password,
                    role=role,
                    display_name=display_name,
                    max_chats=max_chats,
                )
                return user.id
        finally:
            await db.dispose()

    try:
        user_id = asyncio.run(_create())
    except AppError as exc:
        typer.echo(f"Error: {exc.message(settings.default_lang)}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Usuario {email} creado (id {user_id}, rol {role}).")


@users_app.command("list")
def users_list() -> None:
    """Lista los usuarios del equipo."""
    from ventanilla.agents import repository
    from ventanilla.core.db import Database

    settings = _settings()

    async def _list() -> list[tuple[int, str, str, str]]:
        db = Database(settings.database_url)
        try:
            async with db.unit() as uow:
                return [
                    (u.id, u.email, u.display_name, u.role)
                    for u in await repository.active_users(uow.session)
                ]
        finally:
            await db.dispose()

    for row in asyncio.run(_list()):
        typer.echo("\t".join(str(x) for x in row))


@mail_app.command("worker")
def mail_worker() -> None:
    """Solo el trabajo de correo (envío, avisos, recepción), sin servir HTTP."""
    from ventanilla.core.db import Database
    from ventanilla.notifications.worker import MailWorker

    settings = _settings()

    async def _run() -> None:
        db = Database(settings.database_url)
        worker = MailWorker(db, settings)
        worker.start()
        try:
            await asyncio.Event().wait()
        finally:
            await worker.stop()
            await db.dispose()

    asyncio.run(_run())


def main() -> None:
    app()


if __name__ == "__main__":
    main()
