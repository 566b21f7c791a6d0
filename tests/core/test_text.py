import pytest

from ventanilla.core.errors import AppError
from ventanilla.core.text import clean_text


def test_trims_and_normalises() -> None:
    assert clean_text("  Hola\r\nmundo  ", field="message", max_chars=100) == "Hola\nmundo"
    assert clean_text("Jose\u0301", field="name", max_chars=10) == "José"  # NFC
    assert clean_text(" Ana   María ", field="name", max_chars=50, multiline=False) == "Ana María"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("   ", "message_empty"),
        ("x" * 11, "message_too_long"),
        ("hola\x00", "invalid_characters"),
        ("abc\u202edef", "invalid_characters"),
        ("\x1b[31mrojo", "invalid_characters"),
    ],
)
def test_refuses(value: str, code: str) -> None:
    with pytest.raises(AppError) as exc:
        clean_text(value, field="message", max_chars=10, empty_code="message_empty")
    assert exc.value.code == code
    assert exc.value.message("es")  # translated, not the key
    assert not exc.value.message("es").startswith("error.")


def test_tabs_and_newlines_are_fine() -> None:
    assert clean_text("a\tb\nc", field="message", max_chars=10) == "a\tb\nc"
