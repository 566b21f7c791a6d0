"""The engine's speed measures keep its answers: what e5 reads of long messages, the cache of
recent message vectors, one product for all phrasings, and the "torn between two" rule; the
share of a message one entry explains (``cover``) and the lead of its closest phrasing."""

from __future__ import annotations

import numpy as np
import pytest

from ventanilla.assistant import embeddings
from ventanilla.assistant.embeddings import (
    EmbeddingCache,
    count_tokens,
    embed_query,
    forget_queries,
)
from ventanilla.assistant.engine import (
    FEATURES,
    MAX_TOKENS,
    EngineParams,
    Index,
    decide,
    semantic_text,
)
from ventanilla.kb.schemas import KbItem

LONG = (
    "buenas noches vecino, mire que desde el lunes el canal se me va y se ve todo cuadriculado "
    "en el televisor de la sala, los otros canales si se ven bien, que hago"
)


def test_short_messages_are_read_whole_and_long_ones_by_their_ending() -> None:
    short = "¿a qué hora atienden?"
    assert count_tokens(short) <= MAX_TOKENS and semantic_text(short) == short
    assert count_tokens(LONG) > MAX_TOKENS
    ending = semantic_text(LONG)
    assert LONG.endswith(ending) and ending.endswith("que hago")  # words in their own order
    assert count_tokens(ending) <= MAX_TOKENS
    before = LONG.split()[-len(ending.split()) - 1]
    assert count_tokens(f"{before} {ending}") > MAX_TOKENS  # the longest ending that fits
    huge = "mire " * 400 + "quiero poner una queja por el noticiero"
    kept = semantic_text(huge)
    assert count_tokens(kept) <= MAX_TOKENS and kept.endswith("queja por el noticiero")
    assert semantic_text("a" * 300) == "a" * 300  # one word too long for the budget: kept


def test_recent_message_vectors_are_cached_and_can_be_forgotten() -> None:
    forget_queries()
    first = embed_query("¿dónde queda la sede?")
    assert len(embeddings._recent) == 1
    again = embed_query("¿dónde queda la sede?")
    assert again is first and not again.flags.writeable
    forget_queries()
    assert not embeddings._recent
    assert np.allclose(embed_query("¿dónde queda la sede?"), first, atol=1e-6)


def _items() -> list[KbItem]:
    rows = [
        ("horario", "¿Cuál es el horario de atención?", "De 7 a 4.", ("¿A qué hora atienden?",)),
        ("sede", "¿Dónde queda la sede?", "Av. El Dorado.", ("dirección", "ubicación")),
        ("correo", "¿Cuál es el correo?", "a@b.co", ()),
    ]
    return [KbItem(id=i, question=q, answer=a, alternatives=alt) for i, q, a, alt in rows]


def test_max_similarity_over_phrasings_in_one_product() -> None:
    cache = EmbeddingCache(None)
    index = Index(_items(), cache)
    text = "ubicacion de ustedes"
    query = embed_query(text)
    expected = [
        max(float(v @ query) for v in cache.vectors([i.question, *i.alternatives]))
        for i in index.items
    ]
    answers = cache.vectors([f"{i.question} {i.answer}" for i in index.items], passage=True)
    expected_total = np.array(expected) + answers @ query
    total, phrasing = index.cosines(text)
    assert np.allclose(total, expected_total, atol=1e-5)
    assert np.allclose(phrasing, expected, atol=1e-5)


def test_phrasing_gap_is_the_lead_of_the_best_entrys_closest_phrasing() -> None:
    index = Index(_items(), EmbeddingCache(None))
    text = "ubicacion de ustedes"
    scored = index.features(text, "hybrid")
    _, phrasing = index.cosines(text)
    top = scored.ranking[0]
    others = [float(p) for i, p in enumerate(phrasing) if i != top]
    gap = scored.features[FEATURES["hybrid"].index("phrasing_gap")]
    assert index.ids[top] == "sede"
    assert gap == pytest.approx(float(phrasing[top]) - max(others), abs=1e-6)
    assert gap > 0  # "ubicación" is one of the entry's own phrasings


def test_confident_but_torn_offers_choices() -> None:
    index = Index(_items())
    weights = [10.0] + [0.0] * len(FEATURES["hybrid"])  # always confident
    text = "¿a qué hora es que atienden ustedes?"  # not word for word a phrasing: no ``exact``
    sure = decide(index, text, "hybrid", EngineParams(weights, 0.5, 0.2, 0.0))
    assert sure.decision == "answer" and index.ids[sure.ranking[0]] == "horario"
    torn = EngineParams(weights, 0.5, 0.2, sure.margin + 0.01)
    scored = decide(index, text, "hybrid", torn)
    assert scored.decision == "choices" and len(scored.ranking) > 1


def test_cover_is_the_share_of_the_message_one_entry_explains() -> None:
    index = Index(_items(), semantic=False)
    correo, sede = index.ids.index("correo"), index.ids.index("sede")
    assert index.entry_cover("¿cuál es el correo?", correo) == 1.0
    # a near miss: another entity's e-mail shares one word of two with the entry
    assert index.entry_cover("el correo de la alcaldía", correo) == 0.5
    assert index.entry_cover("el correo de la alcaldía", sede) == 0.0
    # the answer's words count (the address is in the answer only), misspellings are corrected
    assert index.entry_cover("la sede en el dorado", sede) == 1.0
    assert index.entry_cover("ubicasion", sede) == 1.0
    assert index.entry_cover("¿?", sede) == 0.0  # no content words


def test_cover_is_a_feature_of_the_lexical_and_hybrid_engines() -> None:
    index = Index(_items())
    for kind in ("hybrid", "lexical"):
        scored = index.features("el correo de la alcaldía", kind)
        assert index.ids[scored.ranking[0]] == "correo"
        assert scored.features[FEATURES[kind].index("cover")] == 0.5
    assert "cover" not in FEATURES["semantic"]
