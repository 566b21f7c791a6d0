"""The calibration's labelled messages as examples (``assistant/examples.py``): the two
features they give, what is hidden while calibrating, and what an index without them says."""

from __future__ import annotations

import numpy as np
import pytest

from ventanilla.assistant.calibration import Case, _folds, calibrate, stored_examples
from ventanilla.assistant.embeddings import EmbeddingCache, embed_query
from ventanilla.assistant.engine import FEATURES, EngineParams, Index, decide, semantic_text
from ventanilla.assistant.examples import NEG_FLOOR, Examples, no_examples
from ventanilla.kb.schemas import KbItem

NEG, CASE = FEATURES["hybrid"].index("neg_gap"), FEATURES["hybrid"].index("case_gap")


def _items() -> list[KbItem]:
    return [
        KbItem(id="horario", question="¿Cuál es el horario de atención?", answer="De 7 a 4."),
        KbItem(id="sede", question="¿Dónde queda la sede?", answer="Av. El Dorado 66-63."),
        KbItem(id="correo", question="¿Cuál es el correo?", answer="Escriba a c@x.co."),
    ]


def _vec(texts: list[str]) -> np.ndarray:
    return np.stack([embed_query(semantic_text(t)) for t in texts])


def test_without_examples_nothing_is_out_of_scope_and_case_gap_is_phrasing_gap() -> None:
    index = Index(_items(), EmbeddingCache(None))
    scored = index.features("a que hora atienden", "hybrid")
    phrasing_gap = scored.features[FEATURES["hybrid"].index("phrasing_gap")]
    assert scored.features[NEG] == NEG_FLOOR
    assert scored.features[CASE] == pytest.approx(phrasing_gap, abs=1e-6)
    assert no_examples(0, np.array([0.9])) == (NEG_FLOOR, 0.9)  # a base of one entry


def test_an_out_of_scope_example_closer_than_the_entry_raises_neg_gap() -> None:
    message = "venden camisetas del canal"
    examples = [(message, None), ("¿a qué hora abren la oficina?", "horario")]
    index = Index(_items(), EmbeddingCache(None), examples=examples)
    scored = index.features(message, "hybrid")
    _, phrasing = index.cosines(message)
    top = scored.ranking[0]
    assert scored.features[NEG] == pytest.approx(1.0 - float(phrasing[top]), abs=1e-5)
    assert scored.features[NEG] > 0.05
    hidden = np.array([True, False])  # while calibrating, its own file's examples are hidden
    assert index.features(message, "hybrid", hidden).features[NEG] == NEG_FLOOR


def test_case_gap_sets_the_nearest_example_of_the_entry_against_any_other() -> None:
    ids = ["horario", "sede"]
    texts = ["a que hora abren", "donde quedan ustedes", "hora de la novela", "hola"]
    labels: list[str | None] = ["horario", "sede", None, "entrada-borrada"]
    examples = Examples(list(zip(texts, labels, strict=True)), ids, _vec(texts))
    query = embed_query("a que hora abren ustedes")
    sims = examples.vectors @ query
    phrasing = np.array([0.5, 0.4])
    neg_gap, case_gap = examples.gaps(query, 0, phrasing)
    assert case_gap == pytest.approx(float(sims[0] - max(sims[1:])), abs=1e-6)
    assert neg_gap == pytest.approx(max(NEG_FLOOR, float(sims[2]) - 0.5), abs=1e-6)
    # an entry no longer in the base counts as "anything else", not as out of scope
    assert list(examples.out) == [False, False, True, False]
    assert list(examples.entry) == [0, 1, -1, -1]
    # none of the entry's examples left: it stands for itself by its closest phrasing
    hidden = np.array([True, False, False, False])
    _, alone = examples.gaps(query, 0, phrasing, hidden)
    assert alone == pytest.approx(0.5 - float(max(sims[1:])), abs=1e-6)


def test_calibration_keeps_its_cases_as_examples_and_hides_a_cases_own_file() -> None:
    cases = [
        Case("a que hora abren", "horario", "a.csv"),
        Case("venden gorras", None, "a.csv"),
        Case("venden gorras", None, "b.csv"),
        Case("a que hora abren", "horario", "b.csv"),
    ]
    assert _folds(cases) == ["a.csv", "a.csv", "b.csv", "b.csv"]
    one_file = [Case(c.question, c.expected, "a.csv") for c in cases]
    assert _folds(one_file) == ["0", "1", "2", "3"]  # folds by position in a single file
    result = calibrate(Index(_items(), EmbeddingCache(None)), cases, 0.03, ("hybrid",))
    assert result["examples"] == [("a que hora abren", "horario"), ("venden gorras", None)]
    assert stored_examples({"examples": [["venden gorras", None], ["x", "sede"]]}) == [
        ("venden gorras", None),
        ("x", "sede"),
    ]
    assert stored_examples(None) == [] and stored_examples({}) == []


def test_an_entrys_own_phrasing_word_for_word_is_answered() -> None:
    items = [*_items(), KbItem(id="otra", question="¿Cuál es el correo?", answer="-")]
    index = Index(items, EmbeddingCache(None))
    never = EngineParams([-60.0] + [0.0] * len(FEATURES["hybrid"]), 0.9, 0.5)
    exact = decide(index, "cual es el HORARIO de atencion", "hybrid", never)
    assert exact.exact and exact.decision == "answer"
    assert index.ids[exact.ranking[0]] == "horario"
    near = decide(index, "cual es el horario de atencion hoy", "hybrid", never)
    assert not near.exact and near.decision == "handover"
    shared = decide(index, "¿Cuál es el correo?", "hybrid", never)  # two entries say it
    assert not shared.exact and shared.decision == "handover"
