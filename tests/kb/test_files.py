"""Knowledge-base files: round trip, and refusal of bad files naming file, entry and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from ventanilla.demo import DEMO_KB
from ventanilla.kb.files import KbFileError, dump, parse, read_file, write_file
from ventanilla.kb.schemas import KbItem

GOOD_YAML = """
- id: horario
  question: ¿Cuál es el horario?
  answer: De lunes a viernes, 7:00 a 16:30. Más en https://example.gov.co/horario
  category: Atención
  alternatives: [a qué hora abren, horario de atención]
- id: nit
  question: ¿Cuál es el NIT?
  answer: 830.012.587-4
  category: La entidad
"""


def test_demo_knowledge_base_is_valid_and_large_enough() -> None:
    items = read_file(DEMO_KB)
    assert len(items) >= 30
    assert all(i.answer and i.question and i.category for i in items)


@pytest.mark.parametrize("suffix", [".yaml", ".csv"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    items = parse(GOOD_YAML.encode(), "yaml", "good.yaml")
    items.append(
        KbItem(id="inactiva", question="¿Vieja?", answer="Sí, con coma, y | barra", active=False)
    )
    path = tmp_path / f"kb{suffix}"
    write_file(path, items)
    assert read_file(path) == items
    demo = read_file(DEMO_KB)
    write_file(path, demo)
    assert read_file(path) == demo


def _refused(raw: bytes, fmt: str = "yaml") -> KbFileError:
    with pytest.raises(KbFileError) as info:
        parse(raw, fmt, f"kb.{fmt}")
    return info.value


def test_missing_field_names_file_entry_and_field() -> None:
    exc = _refused(b"- id: a\n  question: q\n  answer: r\n  category: c\n- id: b\n  question: q\n")
    assert exc.code == "kb_field_missing" and exc.field == "answer"
    assert exc.params["entry"] == "#2 (b)" and exc.params["file"] == "kb.yaml"
    assert exc.describe() == "kb.yaml, entrada #2 (b), campo answer: Falta el campo answer."


def test_duplicate_id_empty_answer_encoding_and_bad_id() -> None:
    dup = _refused(b"- {id: a, question: q, answer: r, category: c}\n" * 2)
    assert dup.code == "kb_duplicate_id" and dup.params["entry"] == "#2 (a)"
    empty = _refused(b"- {id: a, question: q, answer: '  ', category: c}\n")
    assert empty.code == "kb_field_empty" and empty.field == "answer"
    latin1 = "- {id: a, question: ¿Qué?, answer: sí, category: c}\n".encode("latin-1")
    assert _refused(latin1).code == "kb_file_encoding"
    assert _refused(b"- {id: 'Con Espacios', question: q, answer: r, category: c}\n").code == (
        "kb_id_invalid"
    )
    assert _refused(b"id: a\n").code == "kb_file_not_list"
    assert _refused(b"- {id: a, question: q, answer: r, category: c, extra: 1}\n").field == "extra"


def test_csv_header_and_alternatives() -> None:
    exc = _refused(b"id,question,answer\na,q,r\n", "csv")
    assert exc.code == "kb_csv_header" and exc.field == "category"
    items = parse(
        "id,question,answer,category,alternatives\nа-b,q,r,c,uno | dos\n".replace(
            "а", "a"
        ).encode(),
        "csv",
        "kb.csv",
    )
    assert items[0].alternatives == ("uno", "dos")
    assert "uno | dos" in dump(items, "csv")
