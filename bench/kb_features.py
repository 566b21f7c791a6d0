"""Candidate confidence features for the hybrid engine, measured without touching the engine
(issue 3, session 9): each candidate is appended to the engine's own features, the calibration
is refitted (``Bench.fit``, as ``kb calibrate`` does) and every set is scored left out in turn.

Candidates, all from the message's e5 similarity with every phrasing of the base:

* ``voteK``: share of the K phrasings closest to the message that belong to the best entry;
* ``nn_top``: 1 when the single closest phrasing belongs to the best entry;
* ``ph_mean3``: mean of the best entry's three closest phrasings;
* ``ph_best``: the best entry's closest phrasing alone.

``--drop phrasing_gap`` removes an engine feature first (session 9 measured ``phrasing_gap``
this way, before it joined the engine). Sets are named, never globbed (``kb_crossval.SETS`` plus
``--sets``). Run by hand:

    .venv/bin/python bench/kb_features.py --sets _blind4,_blind5,_blind6 [--drop phrasing_gap]
"""

from __future__ import annotations

import argparse
from dataclasses import replace

import numpy as np
from kb_crossval import KEYS, SETS, Bench

from ventanilla.assistant.embeddings import embed_query
from ventanilla.assistant.engine import FEATURES, semantic_text

CANDIDATES = (
    [],
    ["vote3"],
    ["vote5"],
    ["vote10"],
    ["vote20"],
    ["nn_top"],
    ["ph_mean3"],
    ["ph_best"],
    ["vote3", "nn_top"],
)


def phrasing_features(bench: Bench) -> list[dict[str, float]]:
    """The candidates' values for every case of the bench (empty when nothing is ranked)."""
    vectors, starts = bench.index._vectors, bench.index._starts
    assert vectors is not None and starts is not None
    owner = np.zeros(len(vectors), dtype=int)
    for entry, start in enumerate(starts):
        owner[start:] = entry
    out: list[dict[str, float]] = []
    for case, scored in zip(bench.cases, bench.scored["hybrid"], strict=True):
        if not scored.ranking:
            out.append({})
            continue
        top = scored.ranking[0]
        sims = vectors @ embed_query(semantic_text(case.question))
        order = np.argsort(-sims)
        mine = np.sort(sims[owner == top])
        values = {f"vote{k}": float(np.mean(owner[order[:k]] == top)) for k in (3, 5, 10, 20)}
        values["nn_top"] = float(owner[order[0]] == top)
        values["ph_mean3"] = float(mine[-3:].mean())
        values["ph_best"] = float(mine[-1])
        out.append(values)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", default="", help="further set suffixes, comma separated")
    parser.add_argument("--drop", default="", help="engine features to remove first")
    args = parser.parse_args()
    joined = [s for s in args.sets.split(",") if s]
    bench = Bench(extra=joined)
    names = [s or "eval" for s in (*SETS, *joined)]
    keep = [i for i, f in enumerate(FEATURES["hybrid"]) if f not in args.drop.split(",")]
    base = [replace(s, features=[s.features[i] for i in keep]) for s in bench.scored["hybrid"]]
    extra = phrasing_features(bench)
    n = len(bench.cases)
    for added in CANDIDATES:
        bench.scored["hybrid"] = [
            replace(base[i], features=base[i].features + [extra[i].get(a, 0.0) for a in added])
            for i in range(n)
        ]
        left_out = bench.left_out(names)
        mean = {k: float(np.mean([r[k] for r in left_out.values()])) for k in KEYS}
        per_set = " ".join(
            f"{name}:{r['top1_accuracy']:.3f}/{r['wrong_answer_rate']:.3f}/"
            f"{r['abstain_rate_out_of_scope']:.2f}"
            for name, r in left_out.items()
        )
        print(
            f"{'+'.join(added) or 'engine':16s} mean {mean['top1_accuracy']:.3f}/"
            f"{mean['wrong_answer_rate']:.3f}/{mean['abstain_rate_out_of_scope']:.3f} "
            f"rank1 {mean['rank1']:.3f} | {per_set}",
            flush=True,
        )


if __name__ == "__main__":
    main()
