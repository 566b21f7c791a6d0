"""Unanswered questions grouped by similarity, so supervisors see what citizens keep asking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ventanilla.assistant.embeddings import EmbeddingCache
from ventanilla.assistant.normalize import content_words, stem_all

SIMILAR = 0.9  # cosine of e5 'query' vectors above which two questions are "the same"


@dataclass
class Group:
    texts: list[str] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    _sum: np.ndarray | None = None

    def centroid(self) -> np.ndarray:
        assert self._sum is not None
        return self._sum / max(1e-6, float(np.linalg.norm(self._sum)))


def group(
    rows: Sequence[tuple[int, str]], cache: EmbeddingCache, threshold: float = SIMILAR
) -> list[Group]:
    """Greedy clustering on embeddings (largest groups first); exact repeats always together."""
    texts = [t for _, t in rows]
    vectors = cache.vectors(texts) if texts else np.zeros((0, 384), dtype=np.float32)
    groups: list[Group] = []
    keys: dict[tuple[str, ...], Group] = {}
    for (row_id, text), vec in zip(rows, vectors, strict=True):
        key = tuple(sorted(set(stem_all(content_words(text)))))
        target = keys.get(key) if key else None
        if target is None:
            best, score = None, threshold
            for g in groups:
                s = float(g.centroid() @ vec)
                if s >= score:
                    best, score = g, s
            target = best
        if target is None:
            target = Group()
            groups.append(target)
        target.texts.append(text)
        target.ids.append(row_id)
        target._sum = vec.copy() if target._sum is None else target._sum + vec
        if key:
            keys[key] = target
    groups.sort(key=lambda g: -len(g.texts))
    return groups
