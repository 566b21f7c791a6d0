"""Latency of the assistant with a 1,000-entry knowledge base (issue 3: p99 < 50 ms).

Builds a knowledge base of 1,000 entries from variants of the demo base (each demo entry is
repeated with other topics, places and programmes, so the vocabulary and the vectors grow
realistically), builds the index once (embeddings cached on disk under ./cache), then times
every question of the demo evaluation set, per engine. A benchmark run by hand:

    .venv/bin/python bench/kb_latency.py [--entries 1000] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from ventanilla.assistant.calibration import params_from, read_cases
from ventanilla.assistant.embeddings import EmbeddingCache
from ventanilla.assistant.engine import Index, decide
from ventanilla.demo import DEMO_CASES, DEMO_KB
from ventanilla.kb.cli import read_calibration
from ventanilla.kb.files import read_file
from ventanilla.kb.schemas import KbItem

TOPICS = [
    "la franja infantil",
    "el noticiero de la noche",
    "la transmisión del concierto",
    "el especial de fin de año",
    "la serie documental",
    "el magazín de la mañana",
    "el programa de música colombiana",
    "el debate electoral",
    "la cobertura de la ciclovía",
    "el festival de teatro",
    "la feria del libro",
    "el programa de cocina",
    "la franja deportiva",
    "el especial de navidad",
    "el programa de ciencia",
    "el concurso de talentos",
    "la serie juvenil",
    "el informativo local",
    "el programa de medio ambiente",
    "la transmisión del desfile",
    "el foro ciudadano",
    "el programa de emprendimiento",
    "la franja cultural",
    "el especial de aniversario",
    "la temporada de ópera",
    "el programa de salud",
]
PLACES = ["Suba", "Kennedy", "Usme", "Bosa", "Engativá", "Chapinero", "Fontibón", "Soacha"]


def synthetic_kb(base: list[KbItem], size: int) -> list[KbItem]:
    out = list(base)
    k = 0
    while len(out) < size:
        item = base[k % len(base)]
        topic = TOPICS[(k // len(base)) % len(TOPICS)]
        place = PLACES[k % len(PLACES)]
        q = item.question.rstrip("?")
        out.append(
            KbItem(
                id=f"{item.id}-v{k}",
                question=f"{q} sobre {topic}?",
                answer=f"{item.answer} (Aplica a {topic}, {place}.)",
                category=item.category,
                alternatives=tuple(f"{a} {topic} en {place}" for a in item.alternatives[:2]),
            )
        )
        k += 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    base = read_file(DEMO_KB)
    items = synthetic_kb(base, args.entries)
    t0 = time.perf_counter()
    index = Index(items, EmbeddingCache(Path("cache") / "bench-embeddings.npz"))
    build_s = time.perf_counter() - t0
    questions = [c.question for c in read_cases(DEMO_CASES, {i.id for i in base})]
    calibration = read_calibration(DEMO_KB)
    report: dict[str, object] = {
        "entries": len(items),
        "phrasings": sum(1 + len(i.alternatives) for i in items),
        "build_seconds": round(build_s, 1),
        "questions": len(questions) * args.rounds,
    }
    for kind in ("hybrid", "lexical", "semantic"):
        params = params_from(calibration, kind)
        decide(index, "hola", kind, params)  # warm-up
        times = []
        for _ in range(args.rounds):
            for q in questions:
                t = time.perf_counter()
                decide(index, q, kind, params)
                times.append((time.perf_counter() - t) * 1000)
        ms = np.array(times)
        report[kind] = {
            "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p99_ms": round(float(np.percentile(ms, 99)), 2),
            "mean_ms": round(statistics.fmean(times), 2),
        }
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
