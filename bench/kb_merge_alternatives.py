"""Append extra phrasings to a knowledge base's YAML, as text, keeping its comments and layout.

How the demo base got its chat-style alternatives (session 8, docs/assistant.md): writers who read
only the base and ``shared/facts/`` (never a case set) wrote 15 phrasings per entry in a
``{entry id: [phrasing, ...]}`` file; this script appends them to each entry's ``alternatives``,
skipping any that repeat a phrasing already there (compared lower-cased, without accents or
punctuation) and the few a reviewer removed because the entry's answer does not cover them.

    .venv/bin/python bench/kb_merge_alternatives.py KB.yaml OUT.yaml EXTRA.yaml [EXTRA2.yaml ...]
"""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import yaml

# Removed on review: the entry's answer does not (or only by implication) answer them.
DROP = {
    "hay linea gratuita 018000?",
    "el canal compra contenidos a productoras independientes?",
    "cuanto cuesta pedir una copia de un programa",
    "cuanto se gano el gerente del canal el año pasado",
    # batch 4 (session 9)
    "¿tienen alguna línea gratuita 018000?",
    "¿cuál es la extensión de atención al ciudadano?",
    "¿compran series?",
    "¿el canal coproduce con productoras de fuera de Bogotá?",
    "¿cobran por entregar el video de una emisión o cómo es la entrega?",
    # batch 5 (session 9)
    "¿compran contenidos?",
    "¿reciben series ya hechas?",
    "tuve dos contratos seguidos con el canal, ¿puedo pedir la certificación de ambos en una sola"
    " solicitud?",
}
DROP_PREFIX = (
    "hola, a mi mamá le encantaría estar entre el público",  # asistir-publico or visitas-estudios
    "buenos días, le cuento que soy de Bucaramanga",  # cobertura-senal or sin-senal
    "buenas tardes, le cuento que estoy terminando mi tecnología",  # SENA: not in the answer
)


def words(text: str) -> tuple[str, ...]:
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return tuple(re.sub(r"[^a-z0-9 ]", "", folded).split())


def merge(kb_path: Path, extras: list[Path]) -> tuple[str, int]:
    """The base's text with the extra phrasings appended to each entry's list, and how many."""
    wanted: dict[str, list[str]] = {}
    for extra in extras:
        for entry_id, phrasings in yaml.safe_load(extra.read_text()).items():
            wanted.setdefault(entry_id, []).extend(
                p for p in phrasings if p not in DROP and not p.startswith(DROP_PREFIX)
            )
    text = kb_path.read_text()
    base = yaml.safe_load(text)
    known = {words(t) for e in base for t in [e["question"], *e["alternatives"]]}
    added = 0

    def items(entry_id: str | None) -> list[str]:
        nonlocal added
        out = []
        for phrasing in wanted.get(entry_id or "", []):
            if words(phrasing) in known:
                continue
            known.add(words(phrasing))
            dumped = yaml.safe_dump([phrasing], allow_unicode=True, width=100).rstrip("\n")
            out += ["  " + line for line in dumped.split("\n")]
            added += 1
        return out

    lines: list[str] = []
    entry: str | None = None
    in_list = False
    for line in text.split("\n"):
        if line.startswith("- id:"):
            if in_list:
                lines += items(entry)
            entry, in_list = line.split(":", 1)[1].strip(), False
        elif line.startswith("  alternatives:"):
            in_list = True
        elif in_list and not line.startswith(("  - ", "    ")):
            lines += items(entry)
            in_list = False
        lines.append(line)
    if in_list:  # the file ends inside the last entry's list
        tail = []
        while lines and lines[-1] == "":
            tail.append(lines.pop())
        lines += items(entry) + tail
    return "\n".join(lines), added


def main() -> None:
    kb_path, out_path, *extras = (Path(a) for a in sys.argv[1:])
    merged, added = merge(kb_path, extras)
    before = yaml.safe_load(kb_path.read_text())
    after = yaml.safe_load(merged)
    assert [e["id"] for e in after] == [e["id"] for e in before]
    out_path.write_text(merged)
    total = sum(1 + len(e["alternatives"]) for e in after)
    print(f"added {added} phrasings; {total} in all")


if __name__ == "__main__":
    main()
