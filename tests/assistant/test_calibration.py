"""Calibration picks thresholds that meet the target; evaluation reports honest figures."""

from __future__ import annotations

import numpy as np

from ventanilla.assistant.calibration import (
    SAFETY,
    Case,
    fit_weights,
    params_from,
    pick_thresholds,
    split,
)
from ventanilla.assistant.engine import DEFAULT_WEIGHTS, ENGINES, FEATURES, EngineParams


def test_answer_threshold_keeps_wrong_answers_under_the_target() -> None:
    rng = np.random.default_rng(1)
    n = 400
    correct = rng.random(n) < 0.7
    conf = np.where(correct, rng.uniform(0.4, 1.0, n), rng.uniform(0.0, 0.8, n))
    oos = ~correct & (rng.random(n) < 0.5)
    for target in (0.01, 0.03, 0.1):
        answer, choices = pick_thresholds(conf, correct, oos, target)
        answered = conf >= answer
        assert (answered & ~correct).sum() / n <= target * SAFETY
        assert choices <= answer
        # answering as much as possible: one step lower would break the target (with its safety)
        lower = conf[conf < answer]
        if len(lower):
            step = conf >= lower.max()
            assert (step & ~correct).sum() / n > target * SAFETY or step.sum() == answered.sum()
    loose, _ = pick_thresholds(conf, correct, oos, 0.1)
    strict, _ = pick_thresholds(conf, correct, oos, 0.01)
    assert strict >= loose


def test_choices_keep_out_of_scope_messages_going_to_a_person() -> None:
    conf = np.array([0.95, 0.9, 0.6, 0.55, 0.5, 0.3, 0.2, 0.1])
    correct = np.array([True, True, False, False, False, False, False, False])
    oos = np.array([False, False, False, True, False, True, True, True])
    answer, choices = pick_thresholds(conf, correct, oos, 0.0)
    assert answer == (0.9 + 0.6) / 2
    assert choices > 0.55  # no out-of-scope case would be offered choices


def test_logistic_weights_separate_the_classes() -> None:
    x = np.array([[0.1], [0.2], [0.3], [0.7], [0.8], [0.9]])
    y = np.array([0, 0, 0, 1, 1, 1], dtype=float)
    w = fit_weights(x, y)
    z = [w[0] + w[1] * v for v in (0.1, 0.9)]
    assert z[0] < 0 < z[1]


def test_split_is_stratified_disjoint_and_deterministic() -> None:
    cases = [Case(f"q{i}", "a" if i % 4 else None) for i in range(100)]
    cal, held = split(cases, 0.5)
    assert len(cal) + len(held) == 100 and not set(cal) & set(held)
    assert abs(sum(c.expected is None for c in cal) - sum(c.expected is None for c in held)) <= 1
    assert split(cases, 0.5) == (cal, held)


def test_default_and_stale_parameters() -> None:
    for kind in ENGINES:
        assert len(DEFAULT_WEIGHTS[kind]) == len(FEATURES[kind]) + 1
        stale = {"engines": {kind: {"weights": [1.0], "answer": 0.1, "choices": 0.1}}}
        assert params_from(stale, kind).weights == DEFAULT_WEIGHTS[kind]


def test_torn_cases_are_left_out_of_the_answer_threshold() -> None:
    conf = np.array([0.95, 0.9, 0.85, 0.8, 0.3])
    correct = np.array([True, False, True, True, False])
    oos = np.array([False, False, False, False, True])
    # the wrong case at 0.9 stops the threshold above it (target 0) ...
    assert pick_thresholds(conf, correct, oos, 0.0)[0] == (0.95 + 0.9) / 2
    # ... unless it is torn between two entries: then it is offered choices, never answered
    answerable = np.array([True, False, True, True, True])
    assert pick_thresholds(conf, correct, oos, 0.0, answerable=answerable)[0] == (0.8 + 0.3) / 2


def test_margin_is_stored_and_read_back() -> None:
    params = EngineParams([0.0] * (len(FEATURES["hybrid"]) + 1), 0.7, 0.5, 0.02)
    data = {"engines": {"hybrid": params.to_json()}}
    assert params_from(data, "hybrid").margin == 0.02
    del data["engines"]["hybrid"]["margin"]  # a calibration made before margins existed
    assert params_from(data, "hybrid").margin == 0.0
