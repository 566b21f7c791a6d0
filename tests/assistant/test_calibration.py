"""Calibration picks thresholds that meet the target; evaluation reports honest figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ventanilla.assistant.calibration import (
    Case,
    allowed,
    file_caps,
    fit_weights,
    held_out_confidences,
    params_from,
    read_cases,
    split,
    stale,
)
from ventanilla.assistant.engine import (
    DEFAULT_WEIGHTS,
    ENGINES,
    FEATURES,
    EngineParams,
    Scored,
    confidence,
    settle,
)


def test_file_caps_come_from_each_files_size(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("question,expected\n" + "q,x\n" * 60 + "fuera,\n" * 20, encoding="utf-8")
    second.write_text("question,expected\n" + "q,x\n" * 30 + "fuera,\n" * 9, encoding="utf-8")
    cases = read_cases(first, {"x"}) + read_cases(second, {"x"})
    assert {c.source for c in cases} == {"a.csv", "b.csv"}
    considered = cases[:70] + cases[80:]
    caps = file_caps(considered, cases, 0.03)
    assert caps.wrong.tolist() == [2, 1]  # 3 % of 80 cases, of 39
    assert caps.leak.tolist() == [2, 0]  # 10 % of 20 out-of-scope cases, of 9
    assert caps.file.tolist() == [0] * 70 + [1] * 39


def test_thresholds_are_read_on_held_out_confidences() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 2))
    y = (x[:, 0] + 0.5 * rng.normal(size=200) > 0).astype(float)
    held = held_out_confidences(x, y)
    fitted = np.array([confidence(list(f), fit_weights(x, y)) for f in x])
    assert held.shape == (200,) and ((held > 0) & (held < 1)).all()
    assert not np.allclose(held, fitted)  # each case scored by weights fitted without it
    assert np.corrcoef(held, fitted)[0, 1] > 0.95  # ... which are close to the full fit


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
        old = {"engines": {kind: {"weights": [1.0], "answer": 0.1, "choices": 0.1}}}
        assert params_from(old, kind).weights == DEFAULT_WEIGHTS[kind]
        assert stale(old, kind)
        current = {"engines": {kind: {"weights": DEFAULT_WEIGHTS[kind], "answer": 0.9}}}
        assert not stale(current, kind) and not stale(None, kind)


def test_margin_is_stored_and_read_back() -> None:
    params = EngineParams([0.0] * (len(FEATURES["hybrid"]) + 1), 0.7, 0.5, 0.02)
    data = {"engines": {"hybrid": params.to_json()}}
    assert params_from(data, "hybrid").margin == 0.02
    del data["engines"]["hybrid"]["margin"]  # a calibration made before margins existed
    assert params_from(data, "hybrid").margin == 0.0


def test_settle_decides_on_features_without_changing_them() -> None:
    params = EngineParams([0.0, 10.0], answer=0.9, choices=0.5)
    scored = Scored([0, 1], [1.0], margin=0.2)
    assert settle(scored, params).decision == "answer"
    assert settle(scored, params, other=True).decision == "handover"  # another entity's matter
    assert settle(Scored([0, 1], [0.05], margin=0.2), params).decision == "choices"
    assert settle(Scored([0, 1], [-1.0]), params).decision == "handover"
    torn = EngineParams([0.0, 10.0], answer=0.9, choices=0.5, margin=0.3)
    assert settle(scored, torn).decision == "choices"
    assert scored.decision == "handover" and scored.confidence == 0.0  # the input is untouched


def _synthetic(n: int, seed: int) -> tuple[list[str], list[Scored], list[Case]]:
    """``n`` cases on a one-feature engine: the right entry ("a") ranked first when the
    feature is high, the wrong one ("b") otherwise."""
    rng = np.random.default_rng(seed)
    scored, cases = [], []
    for i in range(n):
        right = bool(rng.random() < 0.7)
        x = float(rng.normal(1.0 if right else -1.0, 0.7))
        scored.append(Scored([0 if right else 1], [x]))
        cases.append(Case(f"pregunta {i}", "a"))
    return ["a", "b"], scored, cases


def test_few_cases_keep_the_prior_weights_and_read_only_the_thresholds() -> None:
    from ventanilla.assistant.calibration import fit_params

    prior = [0.5, 3.0]
    ids, scored, cases = _synthetic(120, 5)  # fewer than 418: too few at 3 %
    few = fit_params(ids, scored, cases, 0.03, cases, prior)
    assert few.weights == prior
    conf = [confidence(s.features, prior) for s in scored]
    wrong_above = sum(
        1 for c, s in zip(conf, scored, strict=True) if c >= few.answer and s.ranking[0]
    )
    assert wrong_above <= max(allowed(len(cases), 0.02), 0)
    ids, scored, cases = _synthetic(600, 6)  # enough: the weights are fitted on the cases
    many = fit_params(ids, scored, cases, 0.03, cases, prior)
    assert many.weights != prior
    unprompted = fit_params(ids[:], scored[:120], cases[:120], 0.03, cases[:120])
    assert unprompted.weights != prior  # no prior given: fitted as before
