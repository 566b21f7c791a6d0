"""The quality gate of issue 3, measured by ``ventanilla kb eval`` on the demo knowledge base and
its evaluation set, calibrated on one half of the cases and scored on the other half.

Deterministic (no timing is asserted): the same engine, cases and split give the same figures.
"""

from __future__ import annotations

import json

from typer.testing import CliRunner

from ventanilla.assistant.calibration import read_cases
from ventanilla.cli import app
from ventanilla.demo import DEMO_CASES, DEMO_KB
from ventanilla.kb.files import read_file


def test_the_evaluation_set_is_large_honest_and_a_quarter_out_of_scope() -> None:
    items = read_file(DEMO_KB)
    cases = read_cases(DEMO_CASES, {i.id for i in items})
    assert len(cases) >= 150
    out = sum(1 for c in cases if c.expected is None)
    assert out / len(cases) >= 0.25
    canonical = {i.question.lower().strip("¿?") for i in items}
    assert not [c.question for c in cases if c.question.lower().strip("¿?") in canonical]


def test_hybrid_engine_meets_the_quality_floor_on_held_out_cases() -> None:
    result = CliRunner().invoke(
        app,
        [
            "kb",
            "eval",
            "--kb",
            str(DEMO_KB),
            "--cases",
            str(DEMO_CASES),
            "--json",
            "--calibrate-split",
            "0.5",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    for key in (
        "cases",
        "in_scope",
        "out_of_scope",
        "top1_accuracy",
        "wrong_answer_rate",
        "abstain_rate_out_of_scope",
        "p50_ms",
        "p99_ms",
    ):
        assert key in report
    assert report["calibrated_on"] == "split" and report["cases"] + report[
        "calibration_cases"
    ] == len(read_cases(DEMO_CASES, {i.id for i in read_file(DEMO_KB)}))
    hybrid, lexical = report["engines"]["hybrid"], report["engines"]["lexical"]
    # Floors. Calibrated on 105 cases, the Clopper-Pearson rule (calibration.allowed) vouches
    # for no wrong answer, so it answers only what it is sure of: measured 0.948 / 0.019 / 1.0
    # on this split with the chat-style phrasings of session 8 (0.714 / 0.0 / 1.0 before;
    # docs/assistant.md); the issue 3 targets are judged on sets left out and fresh sets.
    assert hybrid["top1_accuracy"] >= 0.85
    assert hybrid["wrong_answer_rate"] <= 0.03
    assert hybrid["abstain_rate_out_of_scope"] >= 0.90
    assert hybrid["top1_accuracy"] > lexical["top1_accuracy"]
