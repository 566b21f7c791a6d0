"""The command line: users create (with clear errors), demo data preparation."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ventanilla.cli import app

runner = CliRunner()


def test_users_create_and_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A fresh file: the command applies the migrations itself.
    monkeypatch.setenv("VENTANILLA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    args = [
        "users",
        "create",
        "--email",
        "laura@entidad.gov.co",
        "--name",
        "Laura Gómez",
        "--role",
        "supervisor",
    ]
    result = runner.invoke(app, args, input="una-clave-larga\nuna-clave-larga\n")
    assert result.exit_code == 0, result.output
    assert "laura@entidad.gov.co" in result.output
    again = runner.invoke(app, args, input="una-clave-larga\nuna-clave-larga\n")
    assert again.exit_code == 2
    assert "Ya existe un usuario con ese correo." in again.output
    short = runner.invoke(
        app, [*args[:3], "otra@entidad.gov.co", *args[4:]], input="corta\ncorta\n"
    )
    assert short.exit_code == 2 and "al menos 10 caracteres" in short.output
    listed = runner.invoke(app, ["users", "list"])
    assert "laura@entidad.gov.co\tLaura\tsupervisor" in listed.output


def test_demo_prepares_data_and_prints_logins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for _ in range(2):  # idempotent
        result = runner.invoke(app, ["demo", "--no-serve", "--port", "8123"])
        assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/demo" in result.output
    assert "agente@demo.ventanilla.co" in result.output
    assert (tmp_path / ".ventanilla-demo" / "ventanilla.db").exists()


def test_serve_refuses_a_sockets_port_it_cannot_have(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked before anything starts (no migration, no server): the same port as HTTP, or a
    port another server listens on (workers share it with SO_REUSEPORT, so a plain bind is
    the only way to notice)."""
    import socket

    db = tmp_path / "serve.db"
    monkeypatch.setenv("VENTANILLA_DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    same = runner.invoke(app, ["serve", "--port", "8765", "--sockets-port", "8765"])
    assert same.exit_code == 2 and "distinto de --port" in same.output
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        busy = other.getsockname()[1]
        taken = runner.invoke(app, ["serve", "--port", "8765", "--sockets-port", str(busy)])
    assert taken.exit_code == 2 and f"el puerto {busy} ya está en uso" in taken.output
    assert not db.exists()  # nothing was migrated or served
