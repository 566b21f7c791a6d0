"""Knowledge-base files: YAML (a list of mappings) and CSV (``id,question,answer,category,
alternatives`` with alternatives joined by `` | ``).

Reading is all-or-nothing: the first problem raises ``KbFileError`` naming the file, the entry
(its position and id) and the field, and nothing is returned.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from ventanilla.core.errors import AppError
from ventanilla.core.text import clean_text
from ventanilla.kb.schemas import (
    ALTERNATIVES_MAX,
    ANSWER_MAX,
    CATEGORY_MAX,
    QUESTION_MAX,
    SLUG,
    KbItem,
)

CSV_HEADER = ["id", "question", "answer", "category", "alternatives"]
CSV_SEPARATOR = " | "
MAX_FILE_BYTES = 5 * 1024 * 1024


class KbFileError(AppError):
    """A refused file: ``code`` says what, the params say where."""

    def __init__(self, code: str, *, file: str, entry: str = "", field: str | None = None) -> None:
        super().__init__(code, 422, field=field, file=file, entry=entry, name=field or "")

    def describe(self, lang: str = "es") -> str:
        from ventanilla.core.i18n import translate

        where = translate(
            lang,
            "kb.file.where_entry" if self.params["entry"] else "kb.file.where",
            file=self.params["file"],
            entry=self.params["entry"],
            field=self.field or "-",
        )
        return f"{where}: {self.message(lang)}"


def _fmt(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".csv":
        return "csv"
    raise KbFileError("kb_file_format", file=str(path))


def read_file(path: str | Path) -> list[KbItem]:
    name = str(path)
    fmt = _fmt(path)
    try:
        raw = Path(path).read_bytes()
    except OSError:
        raise KbFileError("kb_file_unreadable", file=name) from None
    return parse(raw, fmt, name)


def parse(raw: bytes, fmt: str, name: str) -> list[KbItem]:
    if len(raw) > MAX_FILE_BYTES:
        raise KbFileError("kb_file_too_large", file=name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise KbFileError("kb_file_encoding", file=name) from None
    rows = _yaml_rows(text, name) if fmt == "yaml" else _csv_rows(text, name)
    items: list[KbItem] = []
    seen: set[str] = set()
    for pos, row in enumerate(rows, start=1):
        item = _item(row, name, pos)
        if item.id in seen:
            raise KbFileError("kb_duplicate_id", file=name, entry=f"#{pos} ({item.id})", field="id")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise KbFileError("kb_file_empty", file=name)
    return items


def _yaml_rows(text: str, name: str) -> list[dict[str, Any]]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise KbFileError("kb_file_syntax", file=name) from None
    if not isinstance(data, list):
        raise KbFileError("kb_file_not_list", file=name)
    for pos, row in enumerate(data, start=1):
        if not isinstance(row, dict):
            raise KbFileError("kb_entry_not_mapping", file=name, entry=f"#{pos}")
    return data


def _csv_rows(text: str, name: str) -> list[dict[str, Any]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise KbFileError("kb_file_empty", file=name) from None
    except csv.Error:
        raise KbFileError("kb_file_syntax", file=name) from None
    for col in CSV_HEADER:
        if col not in header:
            raise KbFileError("kb_csv_header", file=name, field=col)
    rows: list[dict[str, Any]] = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            row: dict[str, Any] = dict(zip(header, values, strict=False))
            alts = str(row.get("alternatives") or "")
            row["alternatives"] = [a for a in (x.strip() for x in alts.split("|")) if a]
            rows.append(row)
    except csv.Error:
        raise KbFileError("kb_file_syntax", file=name) from None
    return rows


def _text(row: dict[str, Any], key: str, name: str, entry: str, max_chars: int) -> str:
    value = row.get(key)
    if value is None:
        raise KbFileError("kb_field_missing", file=name, entry=entry, field=key)
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise KbFileError("kb_field_invalid", file=name, entry=entry, field=key)
    try:
        return clean_text(
            str(value),
            field=key,
            max_chars=max_chars,
            multiline=key == "answer",
            required=key != "category",
            empty_code="kb_field_empty",
        )
    except AppError as exc:
        code = "kb_field_empty" if exc.code.endswith("_required") else "kb_field_invalid"
        code = "kb_field_too_long" if exc.code.endswith("too_long") else code
        code = exc.code if exc.code == "kb_field_empty" else code
        raise KbFileError(code, file=name, entry=entry, field=key) from None


def item_from_row(row: dict[str, Any], name: str = "", pos: int = 1) -> KbItem:
    """Validate one mapping (a file's entry, or the console's form) into a ``KbItem``."""
    return _item(row, name, pos)


def _item(row: dict[str, Any], name: str, pos: int) -> KbItem:
    raw_id = row.get("id")
    entry = f"#{pos}" + (f" ({raw_id})" if isinstance(raw_id, str) and raw_id else "")
    item_id = _text(row, "id", name, entry, 80)
    if not SLUG.match(item_id):
        raise KbFileError("kb_id_invalid", file=name, entry=entry, field="id")
    question = _text(row, "question", name, entry, QUESTION_MAX)
    answer = _text(row, "answer", name, entry, ANSWER_MAX)
    category = _text(row, "category", name, entry, CATEGORY_MAX)
    alts_raw = row.get("alternatives") or []
    if not isinstance(alts_raw, list) or len(alts_raw) > ALTERNATIVES_MAX:
        raise KbFileError("kb_field_invalid", file=name, entry=entry, field="alternatives")
    alternatives = []
    for alt in alts_raw:
        if not isinstance(alt, str) or not alt.strip() or "|" in alt:
            raise KbFileError("kb_field_invalid", file=name, entry=entry, field="alternatives")
        alternatives.append(_text({"alternatives": alt}, "alternatives", name, entry, QUESTION_MAX))
    unknown = set(row) - set(CSV_HEADER) - {"active"}
    if unknown:
        raise KbFileError("kb_field_unknown", file=name, entry=entry, field=sorted(unknown)[0])
    active = row.get("active", True)
    if isinstance(active, str):
        active = active.strip().lower() not in ("false", "no", "0")
    return KbItem(
        id=item_id,
        question=question,
        answer=answer,
        category=category,
        alternatives=tuple(alternatives),
        active=bool(active),
    )


def dump(items: Sequence[KbItem], fmt: str) -> str:
    if fmt == "yaml":
        data = []
        for i in items:
            row: dict[str, Any] = {
                "id": i.id,
                "question": i.question,
                "answer": i.answer,
                "category": i.category,
                "alternatives": list(i.alternatives),
            }
            if not i.active:
                row["active"] = False
            data.append(row)
        return str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    with_active = any(not i.active for i in items)
    writer.writerow(CSV_HEADER + (["active"] if with_active else []))
    for i in items:
        cells = [i.id, i.question, i.answer, i.category, CSV_SEPARATOR.join(i.alternatives)]
        writer.writerow(cells + (["true" if i.active else "false"] if with_active else []))
    return out.getvalue()


def write_file(path: str | Path, items: Sequence[KbItem]) -> None:
    Path(path).write_text(dump(items, _fmt(path)), encoding="utf-8")
