"""Labelled messages the calibration keeps (each case: a message as citizens write it, and the
entry that answers it or none), and the two confidence features they give the hybrid engine.

Session 10 found the confidence model, not the ranking, to be the limit: the right entry ranked
first for ~0.95 of fresh in-scope messages, but only ~0.73 were answered. The most confident
wrong answers were near misses that independent writers keep inventing (caps and shirts of the
channel, free decoders, sign language), and siblings (office hours of the chat vs. of the
agents). Commercial bots answer this with examples: Dialogflow's negative examples, Rasa's
out_of_scope intent. Here the examples are the calibration's own cases, so an entity that
labels its traffic teaches the assistant both what it answers and what it does not
(docs/assistant.md, session 11).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ventanilla.assistant.embeddings import Vectors

# ``neg_gap`` floor: a known out-of-scope message this much further from the message than the
# best entry's closest phrasing, or more, says nothing (session 11: floors from 0 to -0.05
# within 0.02 of top-1 left out, -0.02 the best; bench/results/2026-11-29-s11-*).
NEG_FLOOR = -0.02

Example = tuple[str, str | None]  # (message, entry id or None: no entry answers it)


class Examples:
    """The examples' vectors and labels, as entry positions of one index (-1: none, or an entry
    no longer in the base)."""

    def __init__(self, examples: Sequence[Example], ids: Sequence[str], vectors: Vectors) -> None:
        where = {entry: pos for pos, entry in enumerate(ids)}
        self.vectors = vectors
        self.entry = np.array([where.get(e or "", -1) for _, e in examples], dtype=np.intp)
        self.out = np.array([e is None for _, e in examples], dtype=bool)

    def gaps(
        self, query: Vectors, top: int, phrasing: np.ndarray, hidden: np.ndarray | None = None
    ) -> tuple[float, float]:
        """(``neg_gap``, ``case_gap``) for a message (its e5 ``query`` vector) whose best entry
        is ``top``; ``phrasing``: its similarity with each entry's closest phrasing; ``hidden``:
        examples left out (while calibrating, those of the case's own file).

        ``neg_gap``: how much closer the nearest out-of-scope example is than the best entry's
        closest phrasing, floored at ``NEG_FLOOR``. ``case_gap``: the nearest example of the
        best entry against the nearest example of anything else (another entry, or none); an
        entry with no example stands for itself by its closest phrasing, and so do the others."""
        sims = self.vectors @ query
        keep = np.ones(len(sims), dtype=bool) if hidden is None else ~hidden
        out = keep & self.out
        near_out = float(np.max(sims[out])) if out.any() else None
        neg_gap = NEG_FLOOR if near_out is None else max(NEG_FLOOR, near_out - float(phrasing[top]))
        same = keep & (self.entry == top)
        other = keep & (self.entry != top)
        mine = float(np.max(sims[same])) if same.any() else float(phrasing[top])
        theirs = float(np.max(sims[other])) if other.any() else _closest_other(top, phrasing, mine)
        return neg_gap, mine - theirs


def no_examples(top: int, phrasing: np.ndarray) -> tuple[float, float]:
    """The two features of an index without examples: nothing known out of scope, and each
    entry standing for itself by its closest phrasing (``case_gap`` is then ``phrasing_gap``)."""
    return NEG_FLOOR, float(phrasing[top]) - _closest_other(top, phrasing, 0.0)


def _closest_other(top: int, phrasing: np.ndarray, alone: float) -> float:
    """The closest phrasing of any entry but ``top``; ``alone`` for a base of one entry."""
    rest = np.delete(phrasing, top)
    return float(np.max(rest)) if rest.size else alone
