"""Messages that are not questions for the knowledge base: small talk and requests for a person."""

from __future__ import annotations

import re

from ventanilla.assistant.normalize import content_words, fold

_HUMAN = re.compile(
    r"\b(asesor|asesora|asesores|humano|humana|operador|operadora|agente|funcionari[oa]"
    r"|persona real|una persona|con alguien|con una persona|con un humano|alguien de carne"
    r"|atencion personalizada|hablar con (alguien|una|un|el|la|ustedes)"
    r"|no (soy|eres|es) (un )?(robot|bot|maquina)|eres (un )?(robot|bot)"
    r"|no quiero (un )?(robot|bot))\b"
)

_GREETING = (
    r"(hola+|holi|ola|buen(os|as)?( dias?| tardes?| noches?)?|saludos|que tal|hey|alo|buen dia)"
)
_THANKS = r"(muchas |mil |muchisimas )?(gracias|grax|thanks|le agradezco|muy amable|que amable)"
_BYE = r"(chao|chau|adios|hasta (luego|pronto|manana)|nos vemos|bye|feliz (dia|tarde|noche))"
_FILLER = r"(y|muy|senor|senora|sr|sra|amigo|amiga|veci|mi|por favor|pues|ok|listo|vale|bueno|todo)"


def _only(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"^(({pattern}|{_FILLER})\s*)+$")


_ONLY_GREETING = _only(_GREETING + r"|como (esta|estas|estan|le va)")
_ONLY_THANKS = _only(_THANKS + "|" + _BYE + r"|eso era todo|era todo|perfecto|excelente")
_ONLY_BYE = _only(_BYE)


def wants_person(text: str) -> bool:
    return bool(_HUMAN.search(fold(text)))


# Words that say a citizen wants something without saying what ("tengo un problema", "me
# colabora con una información", "es urgente"). A message made only of these (and stopwords)
# asks for nothing the base could answer: searching it gave confident wrong answers
# ("tengo un problema" -> the no-signal entry), so the assistant asks what it is about instead.
# Words that name a procedure ("solicitud", "queja", "trámite") are not here: they are questions.
_VAGUE_WORDS = (
    "problema problemas pregunta preguntas preguntar duda dudas consulta consultar consultica"
    " ayuda ayudar ayudame ayudeme ayudarme colabora colabore colaborar colaboracion colaboreme"
    " inquietud inquietudes informacion info urgente urgencia algo favor necesito necesitaba"
    " quiero quisiera tengo tener hacer saber sobre tema asunto cosa cosita caso porfa porfis"
    " xfa porfavor alguien pueden puede podria podrian hay aqui aca usted ustedes senor senora"
    " hola buenas buenos dias tardes noches"
)
_VAGUE = frozenset(_VAGUE_WORDS.split())


def vague(text: str) -> bool:
    """A message that asks for help without saying about what (see ``_VAGUE``)."""
    return bool(fold(text)) and all(w in _VAGUE for w in content_words(text))


def small_talk(text: str) -> str | None:
    """'greeting', 'thanks' or 'goodbye' when the whole message is just that; 'vague' when it
    asks for help without saying about what; else None."""
    folded = fold(text)
    if not folded:
        return None
    if _ONLY_BYE.match(folded):
        return "goodbye"
    if _ONLY_THANKS.match(folded):
        return "thanks"
    if _ONLY_GREETING.match(folded):
        return "greeting"
    if vague(text):
        return "vague"
    return None


# Other public entities and their procedures: a question about them is not for this knowledge
# base, however close its wording (e.g. "¿cuánto demora la DIAN en responder?"), so it goes to a
# person, who can point the citizen to the right entity (Ley 1755 de 2015, art. 21).
_OTHER = re.compile(
    r"\b(dian|registraduria|policia|fiscalia|procuraduria|contraloria|personeria|eps|ips"
    r"|sisben|colpensiones|pension|pensionarme|soat|runt|pasaporte|cedula|licencia de conduccion"
    r"|pase de conduccion|transmilenio|sitp|icbf|sena|migracion colombia|notaria|catastro"
    r"|impuesto predial|predial|secretaria de (movilidad|salud|educacion|hacienda)|movilidad"
    r"|acueducto|enel|codensa|vanti|alcaldia local|concejo|congreso|senado|gobernacion"
    r"|caracol|rcn|canal uno|senal colombia|rtvc|citytv|netflix|youtube|museo|hospital"
    r"|cita medica|antecedentes|subsidio|arrendador|(mi|el|un|los|del|al) vecinos?)\b"
)


def other_entity(text: str) -> bool:
    """Does the message name another entity or its procedures (and not this channel)?"""
    folded = fold(text)
    return bool(_OTHER.search(folded)) and "canal capital" not in folded
