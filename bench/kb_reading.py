"""What e5 should read of a long message (issue 3, session 10): each way of cutting one is run
through the hybrid engine, the calibration refitted (``Bench.fit``, as ``kb calibrate`` does)
and every set scored left out in turn. Spent sets only: the eleven named here, never a glob.

Ways (``--ways``): ``content24`` (content words, first and last kept, at most 24 tokens: how it
was until session 10, ``kb_latency.content_words_text``), ``endN`` (the message's longest
ending within N tokens, words in their order: ``engine.semantic_text`` at N = 24),
``headendN`` (a third of the budget from the start, the rest from the end, words in order).
Run by hand (~3 minutes a way):

    .venv/bin/python bench/kb_reading.py --ways content24,end20,end24,headend32
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np
from kb_crossval import KEYS, SETS, Bench
from kb_latency import content_words_text

from ventanilla.assistant import engine
from ventanilla.assistant.embeddings import count_tokens

SPENT = ("_blind4", "_blind5", "_blind6", "_blind7", "_blind8", "_blind9", "_blind10")
NEWEST = ("_blind7", "_blind8", "_blind9", "_blind10")


ENGINE_READS = engine.semantic_text  # the shipped reading, before ``main`` swaps it


def ending(budget: int) -> Callable[[str], str]:
    """The engine's own reading (the longest ending within the budget) at another budget."""
    engine.MAX_TOKENS = budget
    return ENGINE_READS


def head_and_ending(budget: int) -> Callable[[str], str]:
    def read(text: str) -> str:
        if count_tokens(text) <= budget:
            return text
        parts = text.split()
        head, start = 0, len(parts)
        while head < start - 1:
            grow_head = head + 1 <= (head + 1 + len(parts) - start) / 3 + 0.5
            h, s = (head + 1, start) if grow_head else (head, start - 1)
            if count_tokens(" ".join(parts[:h] + parts[s:])) > budget:
                break
            head, start = h, s
        return " ".join(parts[:head] + parts[start:])

    return read


def way(name: str) -> Callable[[str], str]:
    if name == "content24":
        return content_words_text
    if name.startswith("headend"):
        return head_and_ending(int(name.removeprefix("headend")))
    return ending(int(name.removeprefix("end")))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ways", default="content24,end24")
    args = parser.parse_args()
    names = [s or "eval" for s in (*SETS, *SPENT)]
    for name in args.ways.split(","):
        engine.semantic_text = way(name)  # read at call time by ``Index.cosines``
        out = Bench(extra=SPENT).left_out(names)
        mean = {k: float(np.mean([r[k] for r in out.values()])) for k in KEYS}
        newest = float(np.mean([out[s]["top1_accuracy"] for s in NEWEST]))
        worst = (
            max(r["wrong_answer_rate"] for r in out.values()),
            min(r["abstain_rate_out_of_scope"] for r in out.values()),
        )
        print(
            f"{name:10s} top-1 all {mean['top1_accuracy']:.3f} newest {newest:.3f} "
            f"wrong {mean['wrong_answer_rate']:.3f} abst {mean['abstain_rate_out_of_scope']:.3f} "
            f"rank1 {mean['rank1']:.3f} worst {worst[0]:.3f}/{worst[1]:.3f} | "
            + " ".join(f"{k}:{r['top1_accuracy']:.2f}" for k, r in out.items()),
            flush=True,
        )


if __name__ == "__main__":
    main()
