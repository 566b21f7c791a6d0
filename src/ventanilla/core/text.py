"""Validation of free text that people type: trimming, length and control characters."""

from __future__ import annotations

import re
import unicodedata

from ventanilla.core.errors import AppError

# C0/C1 controls except tab and newline; also lone surrogates and bidi overrides that can
# disguise text (Trojan Source); carriage returns are normalised to newlines first.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def clean_text(
    value: str,
    *,
    field: str,
    max_chars: int,
    multiline: bool = True,
    required: bool = True,
    empty_code: str | None = None,
) -> str:
    """Return ``value`` trimmed and NFC-normalised, or raise a field-specific ``AppError``."""
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if not multiline:
        value = " ".join(value.split())
    if required and not value:
        raise AppError(empty_code or f"{field}_required", field=field)
    if len(value) > max_chars:
        raise AppError(f"{field}_too_long", field=field, max=max_chars)
    if _FORBIDDEN.search(value):
        raise AppError("invalid_characters", field=field)
    return value
