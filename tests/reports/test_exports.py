"""Exports parse back (CSV, XLSX with openpyxl, PDF), from the API and the command line."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from tests.reports.dataset import october
from ventanilla.cli import app
from ventanilla.core.db import Database
from ventanilla.reports import exports, recorder, service
from ventanilla.reports.pdf import monthly_pdf
from ventanilla.reports.schemas import Period

OCT = Period(start=date(2026, 10, 1), end=date(2026, 10, 31))
runner = CliRunner()


def pdf_pages(content: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", content))


async def test_csv_xlsx_and_pdf_parse_back(db: Database) -> None:
    await october(db)
    async with db.unit() as uow:
        board = await service.dashboard(uow.session, OCT, "day", "es", supervisor=True)
        tz = await recorder.timezone(uow.session)
        conv_csv = await exports.export(uow.session, OCT, tz, "es", "csv", supervisor=True)
        daily_csv = await exports.export(
            uow.session, OCT, tz, "es", "csv", "daily", supervisor=True
        )
        xlsx = await exports.export(uow.session, OCT, tz, "es", "xlsx", supervisor=True)
    rows = list(csv.DictReader(io.StringIO(conv_csv.decode("utf-8-sig"))))
    assert [r["Conversación"] for r in rows] == ["k1", "k2", "k3", "k4", "k5", "k6"]
    k1 = rows[0]
    assert k1["Día (hora local)"] == "2026-10-05" and k1["Inicio (hora local)"].endswith("23:50:00")
    assert k1["Espera (s)"] == "40.0" and k1["Calificación"] == "5" and k1["Resuelta"] == "Sí"
    assert rows[5]["Canal"] == "Mensaje fuera de línea"
    assert "@" not in conv_csv.decode()  # no citizen emails in exports
    days = list(csv.DictReader(io.StringIO(daily_csv.decode("utf-8-sig"))))
    assert len(days) == 31 and sum(int(d["Conversaciones"]) for d in days) == 6

    book = openpyxl.load_workbook(io.BytesIO(xlsx), read_only=True)
    assert book.sheetnames == ["Resumen", "Por día", "Por asesor", "Conversaciones"]
    summary = {r[0]: r[1] for r in book["Resumen"].iter_rows(min_row=2, values_only=True)}
    assert summary["Conversaciones"] == 6 and summary["Perdidas"] == 2
    assert summary["Satisfacción promedio (1 a 5)"] == 3.5
    conv_rows = list(book["Conversaciones"].iter_rows(min_row=2, values_only=True))
    assert len(conv_rows) == 6

    pdf = monthly_pdf(board, "Alcaldía de Prueba", date(2026, 10, 1), "es")
    assert pdf.startswith(b"%PDF") and pdf_pages(pdf) >= 2


def test_cli_monthly_and_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("VENTANILLA_DATABASE_URL", url)
    assert runner.invoke(app, ["report", "rebuild"]).exit_code == 0  # migrates a fresh file

    async def fill() -> None:
        db = Database(url)
        try:
            await october(db)
        finally:
            await db.dispose()

    asyncio.run(fill())
    pdf = tmp_path / "oct.pdf"
    r = runner.invoke(app, ["report", "monthly", "--month", "2026-10", "--out", str(pdf)])
    assert r.exit_code == 0, r.output
    assert pdf.read_bytes().startswith(b"%PDF") and pdf_pages(pdf.read_bytes()) >= 2
    out = tmp_path / "oct.xlsx"
    args = ["report", "export", "--from", "2026-10-01", "--to", "2026-10-31"]
    r = runner.invoke(app, [*args, "--format", "xlsx", "--out", str(out)])
    assert r.exit_code == 0, r.output
    book = openpyxl.load_workbook(out, read_only=True)
    assert book["Conversaciones"].max_row == 7
    out_csv = tmp_path / "oct.csv"
    r = runner.invoke(app, [*args, "--format", "csv", "--out", str(out_csv)])
    assert r.exit_code == 0 and len(out_csv.read_text(encoding="utf-8-sig").splitlines()) == 7
    bad = runner.invoke(app, [*args[:3], "2026-10-31", "--to", "2026-10-01", "--out", str(out_csv)])
    assert bad.exit_code == 2 and "fecha final" in bad.output
    bad = runner.invoke(app, ["report", "monthly", "--month", "octubre", "--out", str(pdf)])
    assert bad.exit_code == 2 and "AAAA-MM" in bad.output
    bad = runner.invoke(app, [*args, "--format", "pdf", "--out", str(out_csv)])
    assert bad.exit_code == 2
    r = runner.invoke(app, ["report", "daily-summary", "--day", "2026-10-06"])
    assert r.exit_code == 0 and r.output.startswith("2 ")  # supervisor and admin
    again = runner.invoke(app, ["report", "daily-summary", "--day", "2026-10-06"])
    assert again.output.startswith("0 ")  # once per day and person


def test_xlsx_writer_cells() -> None:
    from ventanilla.reports.xlsx import column_name, workbook

    assert [column_name(i) for i in (0, 25, 26, 51, 52, 701, 702)] == [
        "A",
        "Z",
        "AA",
        "AZ",
        "BA",
        "ZZ",
        "AAA",
    ]
    rows = [["a & <b>", None, 3, "", 2.5, True, "x\x01y", "=1+1"], [None, "solo"]]
    book = openpyxl.load_workbook(io.BytesIO(workbook([("Hoja «1»", (["h1", "h2"], rows))])))
    ws = book["Hoja «1»"]
    assert [c.value for c in ws[2]] == ["a & <b>", None, 3, None, 2.5, True, "xy", "=1+1"]
    assert ws["B3"].value == "solo" and ws["A3"].value is None
    assert ws["A1"].font.b and not ws["A2"].font.b
    assert ws["H2"].data_type == "s"  # text that looks like a formula stays text


def test_xlsx_equal_values_of_different_types_keep_their_type() -> None:
    """True == 1 == 1.0 in Python: a cell built for one must not be reused for the others."""
    from ventanilla.reports.xlsx import workbook

    rows = [[True, 1, 1.0, False, 0], [1, True, 0, False, "1"]]
    ws = openpyxl.load_workbook(io.BytesIO(workbook([("S", (["a", "b"], rows))])))["S"]
    assert [(type(c.value), c.value) for c in ws[2]] == [
        (bool, True),
        (int, 1),
        (float, 1.0),
        (bool, False),
        (int, 0),
    ]
    assert [(type(c.value), c.value) for c in ws[3]] == [
        (int, 1),
        (bool, True),
        (int, 0),
        (bool, False),
        (str, "1"),
    ]
