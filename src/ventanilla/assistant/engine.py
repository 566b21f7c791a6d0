"""The search engine of the assistant: lexical (bm25s over Spanish stems, with misspelling
correction), semantic (e5 embeddings of every phrasing of an entry) and their fusion into one
confidence (a logistic model whose weights and thresholds come from calibration).

Pure computation, no I/O besides the embedding cache: the caller runs it in a thread.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import bm25s
import numpy as np

from ventanilla.assistant.detect import other_entity
from ventanilla.assistant.embeddings import EmbeddingCache, Vectors, count_tokens, embed_query
from ventanilla.assistant.examples import Example, Examples, no_examples
from ventanilla.assistant.normalize import Speller, content_words, stem_all, words
from ventanilla.kb.schemas import KbItem

EngineKind = Literal["hybrid", "lexical", "semantic"]
ENGINES: tuple[EngineKind, ...] = ("hybrid", "lexical", "semantic")
LEX_K = 3.0  # bm25 score s becomes s / (s + LEX_K), in [0, 1)
LEX_WEIGHT = 0.2  # weight of the lexical score in the hybrid ranking
# The cost of an e5 vector grows with the message's tokens (~2 ms a token on one busy core), so
# e5 reads at most ``MAX_TOKENS`` of a message: its last words, in their own order (the question
# usually comes last, after the context; session 10 measured this against dropping function
# words, docs/assistant.md).
MAX_TOKENS = 24

# Features per engine (see ``Index.features``); the weights below are a reasonable start that
# ``ventanilla kb calibrate`` replaces with fitted ones.
FEATURES: dict[EngineKind, tuple[str, ...]] = {
    "hybrid": (
        *("cos", "cos_z", "cos_margin", "lex", "lex_margin", "coverage", "agree", "margin"),
        *("cover", "phrasing_gap", "neg_gap", "case_gap"),
    ),
    "lexical": ("lex", "lex_margin", "coverage", "cover"),
    "semantic": ("cos", "cos_margin"),
}
DEFAULT_WEIGHTS: dict[EngineKind, list[float]] = {
    # bias first; those fitted on the demo base's twenty-three case sets (4,596 cases, session
    # 11, kb/data/*.calibration.json). Also the weights of a calibration with too few cases to
    # fit its own (``thresholds.few_cases``): thresholds are read under these.
    "hybrid": [-9.28, 3.27, -0.18, -2.64, 3.23, 4.89, 0.92, 0.47, 5.89, 2.20, 6.02, -29.24, 38.42],
    "lexical": [-8.35, 8.37, 5.73, 1.24, 3.97],
    "semantic": [-30.02, 16.72, 48.54],
}


def semantic_text(text: str) -> str:
    """What e5 reads of a message: the message itself when short, else its longest ending (whole
    words, in their order) within ``MAX_TOKENS``. Word order and function words stay: e5 reads
    sentences, and a list of content words lost it a tenth of its right answers on long
    messages."""
    if count_tokens(text) <= MAX_TOKENS:
        return text
    parts = text.split()
    lo, hi = 1, len(parts)  # the ending from word ``hi`` fits; find the earliest start that does
    while lo < hi:
        mid = (lo + hi) // 2
        if count_tokens(" ".join(parts[mid:])) <= MAX_TOKENS:
            hi = mid
        else:
            lo = mid + 1
    return " ".join(parts[hi:]) if hi < len(parts) else parts[-1]


class EngineParams:
    """Weights of the confidence model and the two thresholds of one engine."""

    def __init__(
        self, weights: list[float], answer: float, choices: float, margin: float = 0.0
    ) -> None:
        self.weights = weights
        self.answer = answer
        self.choices = choices
        # Confident but torn: when the best entry leads the second by less than this (in the
        # engine's ranking score), offer the closest questions instead of answering.
        self.margin = margin

    def to_json(self) -> dict[str, object]:
        return {
            "weights": self.weights,
            "answer": self.answer,
            "choices": self.choices,
            "margin": self.margin,
        }

    @classmethod
    def default(cls, kind: EngineKind) -> EngineParams:
        return cls(list(DEFAULT_WEIGHTS[kind]), 0.8, 0.6)


@dataclass
class Scored:
    """One question run through an engine: ranking, features and confidence."""

    ranking: list[int]  # entry positions, best first (up to 3)
    features: list[float]
    margin: float = 1.0  # lead of the best entry over the second in the ranking score
    confidence: float = 0.0
    decision: str = "handover"  # answer | choices | handover
    exact: bool = False  # the message is one of its best entry's own phrasings (``Index.exact``)


@dataclass
class Index:
    items: Sequence[KbItem]
    cache: EmbeddingCache | None = None
    semantic: bool = True
    # Labelled messages from the calibration (``examples.py``): what citizens asked, and the
    # entry that answered it or none.
    examples: Sequence[Example] = ()
    _starts: np.ndarray | None = None
    _vectors: Vectors | None = None
    _answers: Vectors | None = None
    _examples: Examples | None = None

    def __post_init__(self) -> None:
        self.ids = [i.id for i in self.items]
        phrasings = [[i.question, *i.alternatives] for i in self.items]
        docs = [content_words(" ".join(p)) for p in phrasings]
        self.speller = Speller(w for doc in docs for w in doc)
        self.bm25 = bm25s.BM25()
        corpus = [stem_all(doc) or ["_"] for doc in docs]
        if corpus:
            self.bm25.index(corpus, show_progress=False)
        self._vocab = set(getattr(self.bm25, "vocab_dict", {}) or {})
        # Each phrasing, folded (case, accents, punctuation, shorthand), to its entry; one that
        # two entries share is left out. Case sets avoid the base's own wording, so the fitted
        # confidence never learnt that a message word for word an entry's question is safe.
        owners: dict[str, set[int]] = {}
        for pos, forms in enumerate(phrasings):
            for t in forms:
                owners.setdefault(" ".join(words(t)), set()).add(pos)
        self._exact = {k: min(v) for k, v in owners.items() if k and len(v) == 1}
        # each entry's stems, answer included: how much of a message the best entry explains
        self._stems = [
            frozenset(stem_all(content_words(" ".join([*p, i.answer]))))
            for p, i in zip(phrasings, self.items, strict=True)
        ]
        if self.semantic and self.items:
            texts: list[str] = []
            starts: list[int] = []
            for item in self.items:
                starts.append(len(texts))
                texts.extend((item.question, *item.alternatives))
            self._starts = np.asarray(starts, dtype=np.intp)
            cache = self.cache or EmbeddingCache(None)
            self._vectors = cache.vectors(texts)
            self._answers = cache.vectors(
                [f"{i.question} {i.answer}" for i in self.items], passage=True
            )
            self._examples = self._embedded_examples()

    def _embedded_examples(self) -> Examples | None:
        if not (self.semantic and self.examples):
            return None
        cache = self.cache or EmbeddingCache(None)
        # read as a message is read (``semantic_text``)
        vectors = cache.vectors([semantic_text(t) for t, _ in self.examples])
        return Examples(self.examples, self.ids, vectors)

    def with_examples(self, examples: Sequence[Example]) -> Index:
        """The same base with these labelled messages (vectors from the same cache); the
        lexical index and the phrasings' vectors are shared, not built again."""
        out = copy.copy(self)
        out.examples = tuple(examples)
        out._examples = out._embedded_examples()
        return out

    def message_stems(self, text: str) -> list[str]:
        """The message's content words, corrected towards the base's words, as stems."""
        return stem_all(self.speller.correct(w)[0] for w in content_words(text))

    def entry_cover(self, text: str, entry: int) -> float:
        """Share of the message's content words found in one entry (phrasings and answer):
        a near miss ("el NIT de la Alcaldía") shares a word or two with an entry, not all."""
        stems = self.message_stems(text)
        if not stems:
            return 0.0
        return sum(1 for s in stems if s in self._stems[entry]) / len(stems)

    def lexical(self, text: str) -> tuple[np.ndarray, float]:
        """bm25 score per entry, and the share of the message's words the base knows."""
        raw = content_words(text)
        if not raw or not self.items:
            return np.zeros(len(self.items), dtype=np.float32), 0.0
        fixed = [self.speller.correct(w) for w in raw]
        known = sum(1 for _, ok in fixed if ok)
        tokens = [s for s in stem_all(w for w, _ in fixed) if s in self._vocab]
        if not tokens:
            return np.zeros(len(self.items), dtype=np.float32), known / len(raw)
        return np.asarray(self.bm25.get_scores(tokens), dtype=np.float32), known / len(raw)

    def cosines(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Per entry: the best cosine similarity of the message with any of its phrasings, plus
        the similarity with its answer (as an e5 passage), so in [-2, 2]; and that best
        phrasing similarity alone."""
        return self._cosines(self._query(text))

    def _query(self, text: str) -> Vectors | None:
        """The message's e5 vector (as ``semantic_text`` reads it); None without words or
        vectors."""
        if self._vectors is None or not words(text):
            return None
        return embed_query(semantic_text(text))

    def _cosines(self, query: Vectors | None) -> tuple[np.ndarray, np.ndarray]:
        vectors, answers, starts = self._vectors, self._answers, self._starts
        if query is None or vectors is None or answers is None or starts is None:
            none = np.full(len(self.items), -1.0, dtype=np.float32)
            return none, none
        # the phrasings of an entry are contiguous rows: one product, one segmented maximum
        best: np.ndarray = np.maximum.reduceat(vectors @ query, starts)
        total: np.ndarray = best + answers @ query
        return total, best

    def features(self, text: str, kind: EngineKind, hidden: np.ndarray | None = None) -> Scored:
        """The ranking and the confidence features of ``kind`` for a message; ``hidden``: a
        mask of the examples left out (calibration)."""
        n = len(self.items)
        if n == 0:
            return Scored([], [0.0] * len(FEATURES[kind]))
        lex, coverage = self.lexical(text) if kind != "semantic" else (np.zeros(n), 0.0)
        lexn = lex / (lex + LEX_K)
        zeros = np.zeros(n, dtype=np.float32)
        query = self._query(text) if kind != "lexical" else None  # embedded once per message
        cos, phrasing = self._cosines(query) if kind != "lexical" else (zeros, zeros)
        combined = {"lexical": lexn, "semantic": cos}.get(kind, cos + LEX_WEIGHT * lexn)
        rank = np.argsort(-combined, kind="stable")
        top = int(rank[0])
        cos_other = float(np.max(np.delete(cos, top))) if n > 1 else 0.0
        lex_other = float(np.max(np.delete(lexn, top))) if n > 1 else 0.0
        spread = float(np.std(cos)) if n > 1 else 0.0
        if "case_gap" not in FEATURES[kind]:
            neg_gap, case_gap = 0.0, 0.0
        elif self._examples is None or query is None:
            neg_gap, case_gap = no_examples(top, phrasing)
        else:
            neg_gap, case_gap = self._examples.gaps(query, top, phrasing, hidden)
        values = {
            "cos": float(cos[top]),
            # how far the best entry stands out from this message's similarity to all entries
            # (e5 similarities of a message sit in a narrow band whose level varies with it)
            "cos_z": (float(cos[top]) - float(np.mean(cos))) / spread if spread > 1e-6 else 0.0,
            "cos_margin": float(cos[top]) - cos_other,
            "lex": float(lexn[top]),
            "lex_margin": float(lexn[top]) - lex_other,
            "coverage": coverage,
            "agree": 1.0 if int(np.argmax(lexn)) == int(np.argmax(cos)) else 0.0,
            "margin": float(combined[top] - combined[rank[1]]) if n > 1 else 1.0,
            "cover": self.entry_cover(text, top) if "cover" in FEATURES[kind] else 0.0,
            # how far the best entry's closest phrasing stands from any other entry's: the
            # answer's similarity left out, which ``cos_margin`` mixes in
            "phrasing_gap": float(phrasing[top]) - float(np.max(np.delete(phrasing, top)))
            if n > 1
            else 0.0,
            "neg_gap": neg_gap,
            "case_gap": case_gap,
        }
        ranking = [int(i) for i in rank[:3]]
        exact = self._exact.get(" ".join(words(text))) == top
        features = [values[f] for f in FEATURES[kind]]
        return Scored(ranking, features, margin=values["margin"], exact=exact)


def confidence(features: Sequence[float], weights: Sequence[float]) -> float:
    z = weights[0] + sum(w * x for w, x in zip(weights[1:], features, strict=True))
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def settle(scored: Scored, params: EngineParams, other: bool = False) -> Scored:
    """The decision for features already computed (a copy: the input is left as it was);
    ``other``: the message names another entity's procedure, so it always goes to a person."""
    out = replace(scored, confidence=0.0, decision="handover")
    if not out.ranking or other:
        return out
    out.confidence = confidence(out.features, params.weights)
    if out.exact:  # word for word one of the entry's own phrasings: the entity wrote it so
        out.decision = "answer"
    elif out.confidence >= params.answer:
        torn = out.margin < params.margin and len(out.ranking) > 1
        out.decision = "choices" if torn else "answer"
    elif out.confidence >= params.choices:
        out.decision = "choices"
    return out


def decide(index: Index, text: str, kind: EngineKind, params: EngineParams) -> Scored:
    return settle(index.features(text, kind), params, other_entity(text))
