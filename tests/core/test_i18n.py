import json
from pathlib import Path

from ventanilla.core.i18n import HERE, catalog, resolve_lang, translate


def test_resolve_lang() -> None:
    assert resolve_lang(None) == "es"
    assert resolve_lang("es-CO,es;q=0.9") == "es"
    assert resolve_lang("en-US,en;q=0.8") == "en"
    assert resolve_lang("fr-FR,en;q=0.5") == "en"
    assert resolve_lang("de") == "es"


def test_every_catalog_has_the_same_keys_in_both_languages() -> None:
    for es_file in sorted((HERE / "es").glob("*.json")):
        en_file = HERE / "en" / es_file.name
        assert en_file.exists(), f"missing English catalog {en_file.name}"
        es_keys = set(json.loads(es_file.read_text(encoding="utf-8")))
        en_keys = set(json.loads(en_file.read_text(encoding="utf-8")))
        assert es_keys == en_keys, f"{es_file.name}: {sorted(es_keys ^ en_keys)}"


def test_translate_with_params_and_fallback() -> None:
    assert translate("es", "error.message_too_long", max=4000) == (
        "El mensaje supera los 4000 caracteres."
    )
    assert translate("en", "error.message_too_long", max=10) == (
        "The message is longer than 10 characters."
    )
    assert translate("es", "no.such.key") == "no.such.key"
    assert catalog("en")["request_type.queja"] == "Complaint"


def test_every_error_code_raised_in_src_has_a_message() -> None:
    import re

    src = Path(__file__).parents[2] / "src" / "ventanilla"
    codes: set[str] = set()
    pattern = re.compile(
        r"(?:AppError|Conflict|Forbidden|Unauthorized|NotFound|FrameError)\(\s*\"([a-z_]+)\""
    )
    for path in src.rglob("*.py"):
        codes.update(pattern.findall(path.read_text(encoding="utf-8")))
    assert codes, "no codes found"
    es = catalog("es")
    missing = sorted(c for c in codes if f"error.{c}" not in es)
    assert not missing, missing
