"""``ventanilla kb eval`` says which calibration it scored with: a stored one made for another
version of the engine's features is not used, and the report says to calibrate again."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ventanilla.assistant.engine import FEATURES
from ventanilla.cli import app

KB = """\
- id: horario
  question: ¿Cuál es el horario de atención?
  answer: De lunes a viernes, de 7 a. m. a 4 p. m.
  category: Atención
- id: sede
  question: ¿Dónde queda la sede?
  answer: En la avenida El Dorado.
  category: Atención
"""
CASES = "question,expected\na q hora atienden,horario\nla direccion porfa,sede\nel pico y placa,\n"


def _eval(tmp_path: Path, calibration: dict[str, object]) -> dict[str, object]:
    kb = tmp_path / "faq.yaml"
    kb.write_text(KB, encoding="utf-8")
    (tmp_path / "faq.calibration.json").write_text(json.dumps(calibration), encoding="utf-8")
    cases = tmp_path / "casos.csv"
    cases.write_text(CASES, encoding="utf-8")
    args = ["kb", "eval", "--kb", str(kb), "--cases", str(cases), "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report: dict[str, object] = json.loads(result.output)
    return report


def test_a_calibration_for_other_features_is_reported_and_not_used(tmp_path: Path) -> None:
    old = {"engines": {"hybrid": {"weights": [0.0] * 10, "answer": 0.1, "choices": 0.05}}}
    report = _eval(tmp_path, old)
    assert report["calibrated_on"] == "defaults"
    assert "calibrate" in str(report["warning"])


def test_a_current_calibration_is_used_without_warning(tmp_path: Path) -> None:
    current = {
        "engines": {
            k: {"weights": [0.0] * (len(f) + 1), "answer": 0.9, "choices": 0.5}
            for k, f in FEATURES.items()
        }
    }
    report = _eval(tmp_path, current)
    assert report["calibrated_on"] == "stored" and "warning" not in report
