"""``ventanilla kb``: import, export, calibrate and evaluate the knowledge base."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer

from ventanilla.kb.files import KbFileError

kb_app = typer.Typer(help="Base de conocimiento del asistente.", no_args_is_help=True)


def calibration_path(kb_file: Path) -> Path:
    """Where the calibration of a knowledge-base file is stored: next to it."""
    return _beside(kb_file, ".calibration.json")


def embeddings_path(kb_file: Path) -> Path:
    """Where ``seed-embeddings`` writes a knowledge-base file's vectors: next to it."""
    return _beside(kb_file, ".embeddings.npz")


def _beside(kb_file: Path, suffix: str) -> Path:
    return kb_file.with_name(kb_file.name.rsplit(".", 1)[0] + suffix)


def read_calibration(kb_file: Path) -> dict[str, Any] | None:
    path = calibration_path(kb_file)
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _fitted_on(calibration: dict[str, Any]) -> set[str]:
    """Hashes of the case files a stored calibration was fitted on (one or several)."""
    hashes = set((calibration.get("cases_files") or {}).values())
    if calibration.get("cases_sha256"):
        hashes.add(calibration["cases_sha256"])
    return hashes


def _fail(exc: KbFileError) -> typer.Exit:
    typer.echo(f"Error: {exc.describe()}", err=True)
    return typer.Exit(2)


def _index(kb: Path) -> tuple[Any, Any]:
    from ventanilla.assistant.engine import Index
    from ventanilla.assistant.runtime import embedding_cache
    from ventanilla.kb.files import read_file
    from ventanilla.settings import Settings

    items = [i for i in read_file(kb) if i.active]
    return Index(items, embedding_cache(Settings())), items


@kb_app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="Archivo .yaml o .csv")],
) -> None:
    """Importa entradas (todo o nada): crea las nuevas y actualiza las existentes."""
    from ventanilla.core.db import Database
    from ventanilla.kb import service
    from ventanilla.kb.files import read_file
    from ventanilla.migrate import upgrade
    from ventanilla.settings import Settings

    settings = Settings()
    try:
        items = read_file(file)
    except KbFileError as exc:
        raise _fail(exc) from None
    calibration = read_calibration(file)
    upgrade(settings.database_url)

    async def run() -> tuple[int, int]:
        db = Database(settings.database_url)
        try:
            async with db.unit() as uow:
                return await service.import_items(
                    uow, items, actor=(None, "CLI"), calibration=calibration
                )
        finally:
            await db.dispose()

    created, updated = asyncio.run(run())
    extra = " con calibración" if calibration else ""
    typer.echo(
        f"Importadas {len(items)} entradas ({created} nuevas, {updated} actualizadas){extra}."
    )


@kb_app.command("export")
def export(file: Annotated[Path, typer.Argument(help="Archivo .yaml o .csv a escribir")]) -> None:
    """Exporta todas las entradas (también las inactivas)."""
    from ventanilla.core.db import Database
    from ventanilla.kb import service
    from ventanilla.kb.files import write_file
    from ventanilla.settings import Settings

    settings = Settings()

    async def run() -> list[Any]:
        db = Database(settings.database_url)
        try:
            async with db.unit() as uow:
                return await service.all_items(uow)
        finally:
            await db.dispose()

    items = asyncio.run(run())
    try:
        write_file(file, items)
    except KbFileError as exc:
        raise _fail(exc) from None
    typer.echo(f"Exportadas {len(items)} entradas a {file}.")


@kb_app.command("seed-embeddings")
def seed_embeddings(
    kb: Annotated[Path, typer.Option(help="Base de conocimiento (.yaml o .csv)")],
) -> None:
    """Precalcula los vectores de la base en un archivo junto a ella (para distribuirlos)."""
    from ventanilla.assistant.embeddings import EmbeddingCache
    from ventanilla.assistant.engine import Index
    from ventanilla.kb.files import read_file

    try:
        items = [i for i in read_file(kb) if i.active]
    except KbFileError as exc:
        raise _fail(exc) from None
    from ventanilla.assistant.calibration import stored_examples

    examples = stored_examples(read_calibration(kb))
    out = embeddings_path(kb)
    out.unlink(missing_ok=True)  # only what this base needs, nothing older
    # the cache file ends up holding exactly the index's texts (and its calibration's examples)
    Index(items, EmbeddingCache(out), examples=examples)
    typer.echo(
        f"Vectores de {len(items)} entradas y {len(examples)} casos de calibración "
        f"guardados en {out}."
    )


@kb_app.command()
def calibrate(
    kb: Annotated[Path, typer.Option(help="Base de conocimiento (.yaml o .csv)")],
    cases: Annotated[
        list[Path], typer.Option(help="CSV question,expected (puede repetirse: se unen)")
    ],
    target: Annotated[float, typer.Option(help="Máximo de respuestas automáticas erradas")] = 0.03,
) -> None:
    """Elige los umbrales (y pesos) que respetan el objetivo de error y los guarda con la base."""
    from ventanilla.assistant import calibration as cal
    from ventanilla.assistant.thresholds import few_cases

    try:
        index, items = _index(kb)
        known = {i.id for i in items}
        data = [case for path in cases for case in cal.read_cases(path, known)]
    except KbFileError as exc:
        raise _fail(exc) from None
    result = cal.calibrate(index, data, target)
    result["kb_sha256"] = _sha(kb)
    result["cases_files"] = {p.name: _sha(p) for p in cases}
    calibration_path(kb).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    hybrid = result["engines"]["hybrid"]
    typer.echo(
        f"Calibrada con {len(data)} casos de {len(cases)} archivo(s) (objetivo {target:.0%}): "
        f"responder desde {hybrid['answer']:.3f}, ofrecer opciones desde "
        f"{hybrid['choices']:.3f}. Guardada en {calibration_path(kb)}."
    )
    need = few_cases(len(data), target)
    if need is not None:
        typer.echo(_few_cases_text(len(data), need), err=True)


def _few_cases_text(n: int, need: int) -> str:
    return (
        f"Aviso: con {n} casos la calibración no puede garantizar más de un error, así que un "
        "solo caso errado con mucha confianza puede dejar al asistente respondiendo muy poco. "
        f"Use al menos {need} casos."
    )


@kb_app.command("eval")
def eval_(
    kb: Annotated[Path, typer.Option(help="Base de conocimiento (.yaml o .csv)")],
    cases: Annotated[Path, typer.Option(help="CSV question,expected")],
    as_json: Annotated[bool, typer.Option("--json", help="Salida JSON")] = False,
    calibrate_split: Annotated[
        float, typer.Option(help="Calibrar con esta fracción de los casos y medir con el resto")
    ] = 0.0,
    engine: Annotated[str, typer.Option(help="hybrid, lexical o semantic")] = "hybrid",
    target: Annotated[float, typer.Option(help="Objetivo de error al calibrar")] = 0.03,
) -> None:
    """Mide el asistente: exactitud, respuestas erradas, abstención fuera de alcance, latencia."""
    from ventanilla.assistant import calibration as cal
    from ventanilla.assistant.engine import ENGINES
    from ventanilla.assistant.thresholds import few_cases

    if engine not in ENGINES:
        raise typer.BadParameter("hybrid, lexical o semantic", param_hint="--engine")
    try:
        index, items = _index(kb)
        data = cal.read_cases(cases, {i.id for i in items})
    except KbFileError as exc:
        raise _fail(exc) from None
    info: dict[str, Any] = {}
    if calibrate_split > 0:
        fitted, scored = cal.split(data, calibrate_split)
        calibration: dict[str, Any] | None = cal.calibrate(index, fitted, target)
        info = {"calibrated_on": "split", "calibration_cases": len(fitted)}
        need = few_cases(len(fitted), target)
        if need is not None:
            info["warning"] = _few_cases_text(len(fitted), need)
    else:
        scored, calibration = data, read_calibration(kb)
        source = "stored" if calibration else "defaults"
        info = {"calibrated_on": source}
        if calibration and _sha(cases) in _fitted_on(calibration):
            info["warning"] = "the stored calibration was fitted on these same cases"
        if cal.stale(calibration):
            info = {
                "calibrated_on": "defaults",
                "warning": "the stored calibration was made for other engine features: "
                "run `ventanilla kb calibrate` again",
            }
    index = index.with_examples(cal.stored_examples(calibration))
    results = {k: cal.evaluate(index, scored, cal.params_from(calibration, k), k) for k in ENGINES}
    out = {**results[engine], **info, "entries": len(items), "engines": results}
    if as_json:
        typer.echo(json.dumps(out, ensure_ascii=False))
        return
    for k, r in results.items():
        typer.echo(
            f"{k:9} top1={r['top1_accuracy']} wrong={r['wrong_answer_rate']} "
            f"oos_abstain={r['abstain_rate_out_of_scope']} p50={r['p50_ms']}ms p99={r['p99_ms']}ms"
        )
