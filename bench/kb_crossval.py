"""How well the calibrated engines generalise (issue 3): grouped k-fold cross-validation over the
union of the demo case sets, and leave-one-set-out (calibrate on three sets, score the fourth:
the honest "text it has never seen" figure, since each set was written separately).

Only the four sets named in ``SETS`` and those named by ``--sets`` / ``--fresh`` are read, by
name: any other case file next to them (a later blind set) is never opened. Features are
computed once per case and engine; calibration and decisions then run on them
(``calibration.fit_params``, ``engine.settle``), so this prints quality only, no timings;
``rank1`` is the share of in-scope cases whose right entry is ranked first (what a perfect
confidence model could answer). Run by hand:

    .venv/bin/python bench/kb_crossval.py [--folds 5] [--repeats 4] [--out FILE]

``--sets _blind4,_blind5,_blind6`` joins further sets to the four, both for leaving one out and
for the folds (session 9: the stored calibration is fitted on seven sets; ``--fresh _blind7``
then scores the one set left fresh).
"""

from __future__ import annotations

import argparse
import json
import os
import random
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from ventanilla.assistant import calibration as cal
from ventanilla.assistant.detect import other_entity
from ventanilla.assistant.embeddings import embed_query
from ventanilla.assistant.engine import (
    ENGINES,
    FEATURES,
    EngineKind,
    Index,
    Scored,
    semantic_text,
    settle,
)
from ventanilla.assistant.normalize import words
from ventanilla.assistant.runtime import embedding_cache
from ventanilla.demo import DEMO_KB
from ventanilla.kb.files import read_file
from ventanilla.settings import Settings

SETS = ("", "_blind", "_blind2", "_blind3")  # canal_capital_cases{suffix}.csv, never a glob
KEYS = ("top1_accuracy", "wrong_answer_rate", "abstain_rate_out_of_scope", "rank1")
NEAR = 0.95  # cases whose e5 vectors are this close stay in the same fold


def set_path(suffix: str) -> Path:
    return DEMO_KB.with_name(f"canal_capital_cases{suffix}.csv")


class Bench:
    """Every case of every set with its features per engine, computed once.

    The cases are also the hybrid engine's examples (``assistant/examples.py``), as ``kb
    calibrate`` makes them: no case meets the examples of its own set, and ``without`` hides
    further sets (the one left out, so that the fitted cases do not learn from it either). The
    k-fold figures hide only a case's own set."""

    def __init__(self, kb: Path = DEMO_KB, extra: Sequence[str] = ()) -> None:
        items = [i for i in read_file(kb) if i.active]
        self.index = Index(items, embedding_cache(Settings()))
        known = {i.id for i in items}
        self.cases: list[cal.Case] = []
        self.origin: list[str] = []
        for suffix in (*SETS, *extra):
            loaded = cal.read_cases(set_path(suffix), known)
            self.cases += loaded
            self.origin += [suffix or "eval"] * len(loaded)
        self.other = [other_entity(c.question) for c in self.cases]
        self.sets = np.array(self.origin)
        self.index = self.index.with_examples([(c.question, c.expected) for c in self.cases])
        self.scored: dict[EngineKind, list[Scored]] = {k: [] for k in ENGINES}
        self._query: list[np.ndarray] = []  # e5 vector and per-entry closest phrasing, per case
        self._phrasing: list[np.ndarray] = []
        for i, c in enumerate(self.cases):
            hidden = self.sets == self.sets[i]
            for k in ENGINES:
                self.scored[k].append(self.index.features(c.question, k, hidden))
            self._query.append(embed_query(semantic_text(c.question)))  # cached by ``features``
            self._phrasing.append(self.index.cosines(c.question)[1])

    def without(self, names: Sequence[str]) -> list[Scored]:
        """The hybrid features as a calibration fitted without the named sets sees them: no case
        meets the examples of its own set, nor of those sets."""
        examples = self.index._examples
        gone = np.isin(self.sets, list(names))
        neg, case = FEATURES["hybrid"].index("neg_gap"), FEATURES["hybrid"].index("case_gap")
        out = []
        for i, s in enumerate(self.scored["hybrid"]):
            if examples is None or not s.ranking or not words(self.cases[i].question):
                out.append(s)
                continue
            hidden = gone | (self.sets == self.sets[i])
            features = list(s.features)
            features[neg], features[case] = examples.gaps(
                self._query[i], s.ranking[0], self._phrasing[i], hidden
            )
            out.append(replace(s, features=features))
        return out

    def fit(
        self, rows: Sequence[int], priors: dict[EngineKind, list[float]] | None = None
    ) -> dict[EngineKind, cal.EngineParams]:
        """Calibrate on ``rows``; with ``priors``, too few rows keep those weights (as
        ``kb calibrate`` keeps ``engine.DEFAULT_WEIGHTS``)."""
        considered = [i for i in rows if not self.other[i]]
        cases = [self.cases[i] for i in rows]
        return {
            k: cal.fit_params(
                self.index.ids,
                [self.scored[k][i] for i in considered],
                [self.cases[i] for i in considered],
                0.03,
                cases,
                priors[k] if priors else None,
            )
            for k in ENGINES
        }

    def score(self, params: dict[EngineKind, cal.EngineParams], rows: Sequence[int]) -> dict:
        cases = [self.cases[i] for i in rows]
        out = {}
        for k in ENGINES:
            settled = [settle(self.scored[k][i], params[k], self.other[i]) for i in rows]
            r = cal.tally(self.index.ids, cases, settled)
            out[k] = {key: r[key] for key in (*KEYS[:3], "choices_rate")}
            out[k]["rank1"] = self.rank1(k, rows)
        return out

    def left_out(self, names: Sequence[str], kind: EngineKind = "hybrid") -> dict[str, dict]:
        """Each named set scored by a calibration fitted on every other case of the bench."""
        n = len(self.cases)
        out = {}
        every = self.scored["hybrid"]
        for name in names:
            held = [i for i in range(n) if self.origin[i] == name]
            fitted = [i for i in range(n) if self.origin[i] != name]
            self.scored["hybrid"] = self.without([name])
            out[name] = self.score(self.fit(fitted), held)[kind]
        self.scored["hybrid"] = every
        return out

    def rank1(self, kind: EngineKind, rows: Sequence[int]) -> float | None:
        """Share of the in-scope cases whose right entry the engine ranks first, whatever the
        decision: the ceiling of top-1 for a perfect confidence model."""
        inside = [i for i in rows if self.cases[i].expected]
        ids = self.index.ids
        first = sum(
            1
            for i in inside
            if self.scored[kind][i].ranking
            and ids[self.scored[kind][i].ranking[0]] == self.cases[i].expected
        )
        return round(first / len(inside), 4) if inside else None

    def groups(self) -> list[list[int]]:
        """Cases in connected groups of near-identical wording (e5 cosine >= ``NEAR``)."""
        vectors = np.array([embed_query(c.question) for c in self.cases])
        close = (vectors @ vectors.T) >= NEAR
        parent = list(range(len(self.cases)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i, j in zip(*np.nonzero(np.triu(close, 1)), strict=True):
            parent[root(int(i))] = root(int(j))
        found: dict[int, list[int]] = {}
        for i in range(len(self.cases)):
            found.setdefault(root(i), []).append(i)
        return list(found.values())


def mean(rows: Sequence[dict], kind: str) -> dict[str, float]:
    return {k: round(float(np.mean([r[kind][k] for r in rows])), 3) for k in KEYS}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--kb", type=Path, default=DEMO_KB, help="knowledge base file to rank")
    parser.add_argument(
        "--fresh",
        default="",
        help="comma list of further set suffixes (e.g. _blind4,_blind5): each scored once by a "
        "calibration fitted on the four sets, never used for fitting",
    )
    parser.add_argument(
        "--sets",
        default="",
        help="comma list of further set suffixes joined to the four (left out in turn, folded)",
    )
    args = parser.parse_args()
    fresh = [s for s in args.fresh.split(",") if s]
    joined = [s for s in args.sets.split(",") if s]
    bench = Bench(args.kb, [*joined, *fresh])
    n = len(bench.cases)
    if fresh:
        fitted = [i for i in range(n) if bench.origin[i] not in fresh]
        bench.scored["hybrid"] = bench.without(fresh)
        params = bench.fit(fitted)  # the four sets and any joined ones
        for name in fresh:
            held = [i for i in range(n) if bench.origin[i] == name]
            print(json.dumps({"fresh_set": name, **bench.score(params, held)}), flush=True)
    fitted_sets = [s or "eval" for s in (*SETS, *joined)]
    loso = {}
    for name in fitted_sets:
        held = [i for i in range(n) if bench.origin[i] == name]
        fitted = [i for i in range(n) if bench.origin[i] != name and bench.origin[i] in fitted_sets]
        bench.scored["hybrid"] = bench.without([name, *fresh])
        loso[name] = bench.score(bench.fit(fitted), held)
        print(json.dumps({"held_out_set": name, **loso[name]}), flush=True)
    bench.scored["hybrid"] = bench.without(fresh)
    core = [i for i in range(n) if bench.origin[i] in fitted_sets]  # never the fresh sets
    groups = bench.groups()
    folds_out = []
    for repeat in range(args.repeats):
        shuffled = list(groups)
        random.Random(repeat).shuffle(shuffled)
        shuffled.sort(key=lambda g: all(bench.cases[i].expected for i in g))  # spread OOS
        fold_of = {i: pos % args.folds for pos, g in enumerate(shuffled) for i in g}
        for fold in range(args.folds):
            held = [i for i in core if fold_of[i] == fold]
            fitted = [i for i in core if fold_of[i] != fold]
            folds_out.append(bench.score(bench.fit(fitted), held))
    report = {
        "kb": str(args.kb),
        "cases": len(core),
        "out_of_scope": sum(1 for i in core if not bench.cases[i].expected),
        "groups": len(groups),
        "leave_one_set_out": loso,
        "leave_one_set_out_mean": {k: mean(list(loso.values()), k) for k in ENGINES},
        "crossval": f"{args.folds}-fold grouped x {args.repeats}",
        "crossval_mean": {k: mean(folds_out, k) for k in ENGINES},
        "load_average": os.getloadavg(),
    }
    print(json.dumps({k: v for k, v in report.items() if k != "leave_one_set_out"}, indent=1))
    if args.out:
        args.out.write_text(json.dumps({**report, "folds": folds_out}, indent=2) + "\n")


if __name__ == "__main__":
    main()
