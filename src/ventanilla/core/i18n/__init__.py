"""Message catalogs. Every text a person reads goes through ``translate``.

Catalogs are flat JSON files under ``core/i18n/<lang>/<area>.json`` (``server``, ``widget``,
``console``...), merged per language at first use. Spanish (``es``) is the default and the
reference: a key missing in another language falls back to Spanish.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
DEFAULT_LANG = "es"
SUPPORTED = ("es", "en")
LANG_TAGS = {"es": "es-CO", "en": "en"}


def resolve_lang(value: str | None) -> str:
    """Map a tag or an Accept-Language header to a supported catalog ('es' or 'en')."""
    if not value:
        return DEFAULT_LANG
    for part in value.split(","):
        tag = part.split(";")[0].strip().lower()
        base = tag.split("-")[0]
        if base in SUPPORTED:
            return base
    return DEFAULT_LANG


@cache
def catalog(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    if lang != DEFAULT_LANG:
        merged.update(catalog(DEFAULT_LANG))
    folder = HERE / lang
    for path in sorted(folder.glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def translate(lang: str, key: str, **params: Any) -> str:
    text = catalog(resolve_lang(lang)).get(key, key)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def subset(lang: str, prefix: str) -> dict[str, str]:
    """The part of a catalog whose keys start with ``prefix`` (e.g. everything for the widget)."""
    return {k: v for k, v in catalog(resolve_lang(lang)).items() if k.startswith(prefix)}
