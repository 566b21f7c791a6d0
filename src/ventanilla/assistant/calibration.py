"""Calibration and evaluation of the engines on a CSV of cases (``question,expected``).

Calibration fits, per engine, the weights of the confidence model (logistic regression: is the
best entry the right one?) and picks the thresholds: answer automatically at or above
``answer``, offer the closest questions at or above ``choices``, else hand over to a person.
Both are read on held-out confidences (each case scored by weights fitted without it) and kept
so that a Clopper-Pearson upper bound of the rate stays within its target: wrong automatic
answers (a share of all cases, 3% by default) and out-of-scope messages not handed over (10%).
``margin`` (answer only when the best entry leads the second by that much) is kept at 0, see
``MARGINS``. Evaluation never calibrates on the cases it scores unless told to split them.
"""

from __future__ import annotations

import csv
import io
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ventanilla.assistant.detect import other_entity
from ventanilla.assistant.embeddings import forget_queries
from ventanilla.assistant.engine import (
    DEFAULT_WEIGHTS,
    ENGINES,
    FEATURES,
    EngineKind,
    EngineParams,
    Index,
    Scored,
    confidence,
    decide,
)
from ventanilla.assistant.examples import Example
from ventanilla.assistant.thresholds import (
    ABSTAIN_TARGET,
    WRITER_MARGIN,
    FileCaps,
    allowed,
    few_cases,
    pick_thresholds,
)
from ventanilla.kb.files import KbFileError

CROSS_FIT = 5  # folds for the held-out confidences the thresholds are read on
# Candidate ``margin`` values. Only 0 since the calibration on the four case sets: picking the
# margin that answered the most calibration cases right (0..0.05) bought 0.02 of top-1 on unseen
# folds for 0.008 more wrong answers (grouped 5-fold cross-validation, bench/kb_crossval.py).
MARGINS: tuple[float, ...] = (0.0,)


@dataclass(frozen=True)
class Case:
    question: str
    expected: str | None
    source: str = ""  # the case file it came from: each file is held to the target on its own


def file_caps(considered: Sequence[Case], cases: Sequence[Case], target: float) -> FileCaps:
    """Each calibration file's allowance (``FileCaps``): ``target`` of its cases answered
    wrong, and the abstention target's complement of its out-of-scope cases not handed over."""
    names = sorted({c.source for c in cases})
    where = {name: i for i, name in enumerate(names)}
    size = np.zeros(len(names))
    out = np.zeros(len(names))
    for c in cases:
        size[where[c.source]] += 1
        out[where[c.source]] += c.expected is None
    return FileCaps(
        np.array([where[c.source] for c in considered], dtype=np.intp),
        np.floor(size * target + 1e-9).astype(np.intp),
        np.floor(out * (1.0 - ABSTAIN_TARGET) + 1e-9).astype(np.intp),
    )


def read_cases(path: str | Path, known_ids: set[str]) -> list[Case]:
    name = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except OSError:
        raise KbFileError("kb_file_unreadable", file=name) from None
    except UnicodeDecodeError:
        raise KbFileError("kb_file_encoding", file=name) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames is None or not {"question", "expected"} <= set(reader.fieldnames):
        raise KbFileError("kb_cases_header", file=name, field="question,expected")
    cases = []
    for pos, row in enumerate(reader, start=2):
        question = (row.get("question") or "").strip()
        expected = (row.get("expected") or "").strip() or None
        if not question:
            raise KbFileError("kb_field_empty", file=name, entry=f"#{pos}", field="question")
        if expected is not None and expected not in known_ids:
            raise KbFileError("kb_cases_unknown_id", file=name, entry=f"#{pos}", field="expected")
        cases.append(Case(question, expected, Path(path).name))
    if not cases:
        raise KbFileError("kb_file_empty", file=name)
    return cases


def split(cases: Sequence[Case], fraction: float, seed: int = 13) -> tuple[list[Case], list[Case]]:
    """(calibration part, held-out part), stratified by in/out of scope, deterministic."""
    rng = random.Random(seed)  # noqa: S311 (a reproducible split, not a secret)
    cal: list[Case] = []
    held: list[Case] = []
    for group in ([c for c in cases if c.expected], [c for c in cases if not c.expected]):
        shuffled = list(group)
        rng.shuffle(shuffled)
        cut = round(len(shuffled) * fraction)
        cal += shuffled[:cut]
        held += shuffled[cut:]
    return cal, held


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -60, 60)))
    return out


def fit_weights(features: np.ndarray, labels: np.ndarray, l2: float = 0.01) -> list[float]:
    """Logistic regression by gradient descent on standardised features; raw-scale weights."""
    mu = features.mean(axis=0)
    sd = features.std(axis=0)
    sd[sd < 1e-6] = 1.0
    x = np.hstack([np.ones((len(features), 1)), (features - mu) / sd])
    w = np.zeros(x.shape[1])
    for _ in range(4000):
        grad = x.T @ (_sigmoid(x @ w) - labels) / len(x)
        grad[1:] += l2 * w[1:]
        w -= 0.5 * grad
    raw = w[1:] / sd
    return [float(w[0] - np.sum(raw * mu)), *(float(v) for v in raw)]


def _conf(feats: np.ndarray, weights: Sequence[float]) -> np.ndarray:
    return np.array([confidence(list(f), weights) for f in feats])


def held_out_confidences(feats: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each case's confidence under weights fitted without it (``CROSS_FIT`` interleaved
    folds): thresholds read on these are not flattered by weights fitted on the same cases."""
    out = np.zeros(len(feats))
    fold = np.arange(len(feats)) % CROSS_FIT
    for k in range(CROSS_FIT):
        inside = fold != k
        out[~inside] = _conf(feats[~inside], fit_weights(feats[inside], labels[inside]))
    return out


def examples_of(cases: Sequence[Case]) -> list[Example]:
    """The labelled messages a calibration keeps (``Index.examples``): its cases, once each."""
    return list(dict.fromkeys((c.question, c.expected) for c in cases))


def stored_examples(calibration: dict[str, Any] | None) -> list[Example]:
    """The calibration's examples, and those supervisors taught in the console since
    (``kb/teaching.py``)."""
    data = calibration or {}
    pairs = [*(data.get("examples") or ()), *(data.get("taught") or ())]
    return list(dict.fromkeys((str(q), str(e) if e else None) for q, e in pairs))


def _folds(cases: Sequence[Case]) -> list[str]:
    """What a calibration case must not see of the examples: the cases of its own file (each
    file written apart, as new traffic is), or of its own fold when all come from one file."""
    if len({c.source for c in cases}) > 1:
        return [c.source for c in cases]
    return [str(pos % CROSS_FIT) for pos in range(len(cases))]


def calibrate_engine(
    index: Index, cases: Sequence[Case], kind: EngineKind, target: float
) -> EngineParams:
    """``index`` holds the cases themselves as its examples, in order (``calibrate``)."""
    folds = np.array(_folds(cases), dtype=str)
    rows = [i for i, c in enumerate(cases) if not other_entity(c.question)]
    scored = [index.features(cases[i].question, kind, folds == folds[i]) for i in rows]
    considered = [cases[i] for i in rows]
    return fit_params(index.ids, scored, considered, target, cases, DEFAULT_WEIGHTS[kind])


def fit_params(
    ids: Sequence[str],
    scored: Sequence[Scored],
    considered: Sequence[Case],
    target: float,
    cases: Sequence[Case],
    prior: Sequence[float] | None = None,
) -> EngineParams:
    """Weights and thresholds from the features of the ``considered`` cases (those no other
    rule hands over) out of all calibration ``cases``; the target is a share of all cases.

    With too few cases (``few_cases``) and a ``prior``, the weights are the prior's and only
    the thresholds are read on the cases: weights fitted on ~100 cases swung so much that the
    thresholds read under them answered 1-76 % of the other half of a fresh set right (blind4,
    ten halves), against 40-74 % under the prior (docs/assistant.md, session 8)."""
    max_wrong = allowed(len(cases), target * WRITER_MARGIN)
    max_leak = allowed(
        sum(1 for c in cases if c.expected is None), (1.0 - ABSTAIN_TARGET) * WRITER_MARGIN
    )
    caps = file_caps(considered, cases, target)
    correct = np.array(
        [
            bool(s.ranking) and ids[s.ranking[0]] == c.expected
            for s, c in zip(scored, considered, strict=True)
        ],
        dtype=bool,
    )
    feats = np.array([s.features for s in scored], dtype=np.float64)
    labels = correct.astype(np.float64)
    if prior is not None and few_cases(len(cases), target) is not None:
        weights = [float(w) for w in prior]
        conf = _conf(feats, weights)  # not fitted on these cases: nothing to hold out
    else:
        weights = fit_weights(feats, labels)
        conf = held_out_confidences(feats, labels) if CROSS_FIT > 1 else _conf(feats, weights)
    oos = np.array([c.expected is None for c in considered], dtype=bool)
    margins = np.array([s.margin for s in scored])
    best: tuple[int, float, float, float] | None = None  # (right answers, margin, answer, choices)
    for margin in MARGINS:
        answerable = margins >= margin
        answer, choices = pick_thresholds(conf, correct, oos, max_wrong, max_leak, answerable, caps)
        right = int(np.sum(correct & answerable & (conf >= answer)))
        if best is None or right > best[0]:
            best = (right, margin, answer, choices)
    assert best is not None
    _, margin, answer, choices = best
    return EngineParams(weights, round(answer, 6), round(choices, 6), margin)


def calibrate(
    index: Index, cases: Sequence[Case], target: float, engines: Sequence[EngineKind] = ENGINES
) -> dict[str, Any]:
    """Weights and thresholds per engine, and the cases kept as the engine's examples."""
    every = index.with_examples([(c.question, c.expected) for c in cases])
    return {
        "target": target,
        "cases": len(cases),
        "engines": {k: calibrate_engine(every, cases, k, target).to_json() for k in engines},
        "examples": examples_of(cases),
    }


def stale(calibration: dict[str, Any] | None, kind: EngineKind = "hybrid") -> bool:
    """A stored calibration made for other features (an engine from before an upgrade that
    added one): its weights cannot be used, and ``ventanilla kb calibrate`` must run again."""
    data = ((calibration or {}).get("engines") or {}).get(kind)
    if not data:
        return False
    return len(data.get("weights", ())) != len(FEATURES[kind]) + 1


def params_from(calibration: dict[str, Any] | None, kind: EngineKind) -> EngineParams:
    data = ((calibration or {}).get("engines") or {}).get(kind)
    if not data or stale(calibration, kind):
        return EngineParams.default(kind)  # none, or made for other features: recalibrate
    return EngineParams(
        [float(w) for w in data["weights"]],
        float(data["answer"]),
        float(data["choices"]),
        float(data.get("margin", 0.0)),
    )


def evaluate(
    index: Index, cases: Sequence[Case], params: EngineParams, kind: EngineKind
) -> dict[str, Any]:
    times: list[float] = []
    settled: list[Scored] = []
    for case in cases:
        forget_queries()  # time the model, not the cache of recent messages
        t0 = time.perf_counter()
        settled.append(decide(index, case.question, kind, params))
        times.append((time.perf_counter() - t0) * 1000)
    ms = np.array(times)
    return {
        "engine": kind,
        **tally(index.ids, cases, settled),
        "thresholds": {"answer": params.answer, "choices": params.choices, "margin": params.margin},
        "p50_ms": round(float(np.percentile(ms, 50)), 2) if len(ms) else None,
        "p99_ms": round(float(np.percentile(ms, 99)), 2) if len(ms) else None,
    }


def tally(ids: Sequence[str], cases: Sequence[Case], settled: Sequence[Scored]) -> dict[str, Any]:
    """The quality figures of decisions already taken (one per case, in order)."""
    n_in = sum(1 for c in cases if c.expected)
    n_out = len(cases) - n_in
    hits = wrong = abstained = choices = choice_hits = 0
    for case, s in zip(cases, settled, strict=True):
        top = ids[s.ranking[0]] if s.ranking else None
        if s.decision == "answer":
            if top == case.expected:
                hits += 1
            else:
                wrong += 1
        elif s.decision == "choices":
            choices += 1
            choice_hits += int(case.expected in {ids[i] for i in s.ranking})
        elif case.expected is None:
            abstained += 1
    return {
        "cases": len(cases),
        "in_scope": n_in,
        "out_of_scope": n_out,
        "top1_accuracy": round(hits / n_in, 4) if n_in else None,
        "wrong_answer_rate": round(wrong / len(cases), 4) if cases else None,
        "abstain_rate_out_of_scope": round(abstained / n_out, 4) if n_out else None,
        "choices_rate": round(choices / len(cases), 4) if cases else None,
        "choices_containing_expected": choice_hits,
    }
