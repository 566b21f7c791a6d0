"""Vectors computed ahead: the demo base's ship with the package, so a first start runs no model
for them; ``ventanilla kb seed-embeddings`` writes them for any base."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ventanilla.assistant import embeddings
from ventanilla.assistant.calibration import stored_examples
from ventanilla.assistant.embeddings import EmbeddingCache
from ventanilla.assistant.engine import Index
from ventanilla.assistant.runtime import DEMO_EMBEDDINGS, embedding_cache
from ventanilla.cli import app
from ventanilla.demo import DEMO_KB
from ventanilla.kb.cli import embeddings_path, read_calibration
from ventanilla.kb.files import read_file
from ventanilla.settings import Settings


def _no_model() -> None:
    raise AssertionError("the model ran: a text was missing from the vectors computed ahead")


class _TokensOnly:
    """The model's tokenizer (``semantic_text`` counts tokens to read an example as a message
    is read), never its vectors."""

    def __init__(self, model: Any) -> None:
        self.token_count = model.token_count

    def query(self, text: str) -> None:
        _no_model()

    passage = query


def test_the_shipped_vectors_cover_the_demo_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fails when the demo base is edited without running, from the repository's root:
    ``ventanilla kb seed-embeddings --kb src/ventanilla/kb/data/canal_capital.yaml``."""
    assert embeddings_path(DEMO_KB) == DEMO_EMBEDDINGS
    real = embeddings._model()
    monkeypatch.setattr(embeddings, "_model", _no_model)
    items = [i for i in read_file(DEMO_KB) if i.active]
    cache = embedding_cache(Settings(data_dir=tmp_path))
    assert DEMO_EMBEDDINGS in cache.seeds
    index = Index(items, cache)
    assert len(index.ids) == len(items)
    # and the examples its stored calibration brings (``kb calibrate`` before ``seed-embeddings``)
    monkeypatch.setattr(embeddings, "_model", lambda tokens=_TokensOnly(real): tokens)
    examples = stored_examples(read_calibration(DEMO_KB))
    assert len(examples) > 3000
    assert len(index.with_examples(examples).examples) == len(examples)


def test_seed_embeddings_writes_what_an_index_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = tmp_path / "base.yaml"
    kb.write_text(
        "- id: horario\n  question: ¿A qué hora atienden?\n  answer: De 7 a 4.\n"
        "  category: Atención\n  alternatives: [horario de atencion]\n"
        "- id: correo\n  question: ¿Cuál es el correo?\n  answer: Escriba a c@x.co.\n"
        "  category: Atención\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["kb", "seed-embeddings", "--kb", str(kb)])
    assert result.exit_code == 0, result.output
    assert embeddings_path(kb).exists()
    monkeypatch.setattr(embeddings, "_model", _no_model)
    cache = EmbeddingCache(tmp_path / "own.npz", seeds=(embeddings_path(kb),))
    Index([i for i in read_file(kb) if i.active], cache)
    assert not (tmp_path / "own.npz").exists()  # nothing new was embedded, nothing saved


def test_a_bad_file_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    kb = tmp_path / "base.yaml"
    kb.write_text("- id: sin-respuesta\n  question: ¿Algo?\n  category: X\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["kb", "seed-embeddings", "--kb", str(kb)])
    assert result.exit_code == 2
    assert "answer" in result.output
    assert not embeddings_path(kb).exists()
