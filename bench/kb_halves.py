"""Quality of the engines over many random halves of the demo evaluation set (issue 3).

``ventanilla kb eval --calibrate-split 0.5`` scores one split (seed 13); one split of 209 cases
is a small sample (one case is 0.013 of top-1). This calibrates on one half and scores the other
for each seed, and prints every split and the means. Quality only: message vectors are kept
between splits (the same questions recur), so the timings it would report mean nothing and are
left out. Run by hand:

    .venv/bin/python bench/kb_halves.py [--seeds 12] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np

from ventanilla.assistant import calibration as cal
from ventanilla.assistant.engine import ENGINES, Index
from ventanilla.assistant.runtime import embedding_cache
from ventanilla.demo import DEMO_CASES, DEMO_KB
from ventanilla.kb.files import read_file
from ventanilla.settings import Settings

KEYS = ("top1_accuracy", "wrong_answer_rate", "abstain_rate_out_of_scope")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=12)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    cal.forget_queries = lambda: None  # quality only: keep the vectors of recurring questions
    items = [i for i in read_file(DEMO_KB) if i.active]
    index = Index(items, embedding_cache(Settings()))
    cases = cal.read_cases(DEMO_CASES, {i.id for i in items})
    splits = []
    for seed in range(args.seeds):
        fitted, scored = cal.split(cases, 0.5, seed)
        calibration = cal.calibrate(index, fitted, 0.03)
        row = {"seed": seed}
        for kind in ENGINES:
            r = cal.evaluate(index, scored, cal.params_from(calibration, kind), kind)
            row[kind] = {k: r[k] for k in KEYS}
        splits.append(row)
        print(json.dumps(row), flush=True)
    means = {
        kind: {k: round(float(np.mean([s[kind][k] for s in splits])), 3) for k in KEYS}
        for kind in ENGINES
    }
    report = {"seeds": args.seeds, "load_average": os.getloadavg(), "mean": means}
    print(json.dumps(report, indent=2))
    if args.out:
        args.out.write_text(json.dumps({**report, "splits": splits}, indent=2) + "\n")


if __name__ == "__main__":
    main()
