"""Normalisation, misspellings, small talk and requests for a person."""

from __future__ import annotations

import pytest

from ventanilla.assistant.detect import (
    other_entity,
    small_talk,
    vague,
    wants_person,
)
from ventanilla.assistant.normalize import Speller, content_words, fold, osa_distance, stem_all


def test_fold_case_accents_punctuation_and_stretched_letters() -> None:
    assert fold("¿Cuál es el HORARIO de atención?") == "cual es el horario de atencion"
    assert fold("Señal   ÑOÑO!!!") == "senal nono"
    assert fold("holaaaaa") == "holaa"


def test_chat_shorthand_and_stopwords() -> None:
    assert content_words("q hora dan el noticiero x tv") == [
        "hora",
        "dan",
        "noticiero",
        "television",
    ]
    assert content_words("kiero poner una keja") == ["poner", "queja"]


def test_spanish_stems_join_word_forms() -> None:
    assert len(set(stem_all(["programación", "programacion", "programaciones"]))) <= 2
    assert stem_all(["televisores"]) == stem_all(["televisor"])


def test_edit_distance() -> None:
    assert osa_distance("senal", "senal", 2) == 0
    assert osa_distance("sintoniso", "sintonizo", 2) == 1
    assert osa_distance("qeu", "que", 2) == 1  # transposition
    assert osa_distance("abcdef", "zzzzzz", 2) == 3  # gives up past the limit


@pytest.mark.parametrize(
    ("typed", "fixed"),
    [
        ("programasion", "programacion"),
        ("progrmacion", "programacion"),
        ("televisro", "television"),
        ("direcion", "direccion"),
        ("sintoniso", "sintonizo"),
    ],
)
def test_misspellings_are_corrected_to_the_vocabulary(typed: str, fixed: str) -> None:
    speller = Speller(["programacion", "television", "direccion", "sintonizo", "senal"])
    assert speller.correct(typed) == (fixed, True)


def test_speller_leaves_short_and_unknown_words() -> None:
    speller = Speller(["programacion", "senal"])
    assert speller.correct("sol") == ("sol", False)
    assert speller.correct("pasaporte") == ("pasaporte", False)
    assert speller.correct("senal") == ("senal", True)


@pytest.mark.parametrize(
    "text",
    [
        "quiero hablar con un asesor",
        "me comunica con una persona por favor",
        "HUMANO",
        "necesito hablar con alguien",
        "no quiero un robot",
        "páseme con un agente",
    ],
)
def test_requests_for_a_person(text: str) -> None:
    assert wants_person(text)


@pytest.mark.parametrize(
    "text", ["a que hora dan el noticiero", "cuantas personas caben en el estudio", "gracias"]
)
def test_not_requests_for_a_person(text: str) -> None:
    assert not wants_person(text)


def test_small_talk() -> None:
    assert small_talk("Hola!!") == "greeting"
    assert small_talk("buenas tardes señora") == "greeting"
    assert small_talk("muchas gracias, muy amable") == "thanks"
    assert small_talk("chao, feliz tarde") == "goodbye"
    assert small_talk("hola, a que hora dan el noticiero") is None
    assert small_talk("Buenas, tengo un problema") == "vague"


@pytest.mark.parametrize(
    "text",
    [
        "tengo un problema",
        "me colabora con una información porfa",
        "ES URGENTE!!!",
        "necesito ayuda con algo",
        "buenas tardes, una consulta",
        "quisiera hacer una pregunta",
    ],
)
def test_messages_that_do_not_say_what_they_are_about(text: str) -> None:
    assert vague(text)


@pytest.mark.parametrize(
    "text",
    [
        "quiero hacer una solicitud",  # filing a request: the PQRSD entry answers it
        "en que va mi tramite",
        "tengo un problema con la señal",
        "una duda sobre la programación",
        "de quien es el canal",
    ],
)
def test_messages_that_name_their_subject_are_not_vague(text: str) -> None:
    assert not vague(text)


def test_speller_ties_do_not_depend_on_the_hash_seed() -> None:
    # "cana" is one edit from both: the same pick whatever the set order
    speller = Speller(["casa", "cama"])
    assert speller.correct("cana") == ("cama", True)


@pytest.mark.parametrize(
    "text",
    [
        "tengo un problema con mi vecino por el ruido",
        "el vecino pone la música muy duro",
        "¿cuánto demora la DIAN en responder?",
    ],
)
def test_other_entities_matters(text: str) -> None:
    assert other_entity(text)


@pytest.mark.parametrize(
    "text",
    [
        # "vecino", "veci" as a way of addressing someone, not a neighbours' dispute
        "buenas noches vecino, el canal se ve cuadriculado",
        "vecino una pregunta, ¿a qué hora atienden?",
        "¿cuánto se demoran en responder una petición?",
    ],
)
def test_not_other_entities_matters(text: str) -> None:
    assert not other_entity(text)
