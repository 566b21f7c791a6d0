"""Calibrating on few cases (issue 3): weights fitted on the cases vs the engine's defaults.

For each fresh case set (never used to fit the stored calibration), ten stratified halves:
thresholds are read on one half and the other half is scored, (1) under weights fitted on the
half (what ``fit_params`` did for any number of cases) and (2) under weights fitted on the four
older sets (``engine.DEFAULT_WEIGHTS``; what ``fit_params`` now does below
``calibration.few_cases``). Prints hybrid top-1 / wrong / abstention per way. Run by hand:

    .venv/bin/python bench/kb_few_cases.py
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from kb_crossval import Bench

from ventanilla.assistant import calibration as cal
from ventanilla.assistant.engine import EngineParams, settle

FRESH = ["_blind4", "_blind5", "_blind6"]


def main() -> None:
    bench = Bench(extra=FRESH)
    n = len(bench.cases)
    ids = bench.index.ids
    older = bench.fit([i for i in range(n) if bench.origin[i] not in FRESH])
    priors = {k: p.weights for k, p in older.items()}  # what DEFAULT_WEIGHTS hold

    def score(params: EngineParams, rows: list[int]) -> tuple[float, float, float]:
        settled = [settle(bench.scored["hybrid"][i], params, bench.other[i]) for i in rows]
        r = cal.tally(ids, [bench.cases[i] for i in rows], settled)
        return r["top1_accuracy"], r["wrong_answer_rate"], r["abstain_rate_out_of_scope"]

    for name in FRESH:
        rows = [i for i in range(n) if bench.origin[i] == name]
        out: dict[str, list[tuple[float, float, float]]] = {"fitted": [], "default": []}
        for seed in range(10):
            rng = random.Random(seed)
            groups: dict[str, list[int]] = {}
            for i in rows:
                groups.setdefault(bench.cases[i].expected or "", []).append(i)
            half, other = [], []
            for group in groups.values():
                rng.shuffle(group)
                cut = round(len(group) / 2)
                half += group[:cut]
                other += group[cut:]
            out["fitted"].append(score(bench.fit(half)["hybrid"], other))
            out["default"].append(score(bench.fit(half, priors)["hybrid"], other))
        for way, figures in out.items():
            a = np.array(figures)
            print(
                f"{name} {way:8} top-1 mean {a[:, 0].mean():.3f} "
                f"({a[:, 0].min():.3f}-{a[:, 0].max():.3f}) wrong mean {a[:, 1].mean():.3f} "
                f"max {a[:, 1].max():.3f} abstention mean {a[:, 2].mean():.3f} "
                f"min {a[:, 2].min():.3f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
