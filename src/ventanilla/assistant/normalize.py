"""Text normalisation for matching: case and accent folding, chat shorthand, Spanish stems,
and tolerance to misspellings (a query word is corrected to the closest knowledge-base word).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from functools import cache

import Stemmer

_NON_WORD = re.compile(r"[^a-z0-9ñ]+")
_REPEATS = re.compile(r"([a-z])\1{2,}")

# Shorthand of Colombian chat, expanded before stemming.
SHORTHAND = {
    "q": "que",
    "k": "que",
    "ke": "que",
    "xq": "porque",
    "pq": "porque",
    "porq": "porque",
    "x": "por",
    "tb": "tambien",
    "tmb": "tambien",
    "info": "informacion",
    "tv": "television",
    "tele": "television",
    "celu": "celular",
    "cel": "celular",
    "hr": "hora",
    "hrs": "horas",
    "msj": "mensaje",
    "pqr": "pqrsd",
    "pqrs": "pqrsd",
    "pqrd": "pqrsd",
    "d": "de",
    "pa": "para",
    "xfa": "favor",
    "xfavor": "favor",
    "porfa": "favor",
    "porfavor": "favor",
    "oy": "hoy",
    "aki": "aqui",
    "toy": "estoy",
    "plis": "favor",
}

_STOP_TEXT = (
    "a al algo algun alguna algunas alguno algunos ante antes aqui asi aun bien cada como con "
    "cual cuales cuando de del desde donde dos e el ella ellas ello ellos en entre era eran es "
    "esa esas ese eso esos esta estaba estan estar estas este esto estos favor fue fueron ha "
    "habia han hay la las le les lo los mas me mi mis mucho muy nada ni no nos nosotros o otra "
    "otro para pero poco por porque pues que quien se sea ser si sido sin sobre solo son su sus "
    "tambien tan te tengo tiene tienen todo todos tu tus u un una unas uno unos usted ustedes "
    "va vez y ya yo hola buenas buenos dias tardes noches gracias saludos quisiera quiero "
    "necesito saber pregunta preguntar consulta consultar ayuda ayudar ayudarme podria puedo "
    "puede pueden dónde señor señora senor senora oiga vea bueno entonces osea alguien hacer "
    "hago "
)
STOPWORDS = frozenset(_STOP_TEXT.split())


def fold(text: str) -> str:
    """Lower case, accents removed (ñ becomes n), punctuation to spaces, letter runs shortened."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = _REPEATS.sub(r"\1\1", plain.replace("ñ", "n"))
    return " ".join(_NON_WORD.sub(" ", plain).split())


_K_WORDS = frozenset({"kilo", "kilos", "kilometro", "kilometros", "kit", "kiosco", "kiosko"})


def words(text: str) -> list[str]:
    """Folded words with chat shorthand expanded ('kiero' -> 'quiero', 'xq' -> 'porque')."""
    out: list[str] = []
    for w in fold(text).split():
        if w[:2] in ("ke", "ki") and w not in _K_WORDS:
            w = "qu" + w[1:]
        out.extend(SHORTHAND.get(w, w).split())
    return out


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("spanish")


def stem_all(items: Iterable[str]) -> list[str]:
    return list(_stemmer().stemWords(list(items)))


def osa_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment edit distance, giving up (``limit + 1``) beyond ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class Speller:
    """Corrects a word to the closest vocabulary word (symmetric-delete candidates, then the
    real edit distance): one edit allowed from 4 letters, two from 8."""

    def __init__(self, vocabulary: Iterable[str]) -> None:
        self.freq: Counter[str] = Counter(w for w in vocabulary if not w.isdigit())
        self._index: dict[str, set[str]] = {}
        for w in self.freq:
            if len(w) < 4:
                continue
            keys = _deletes(w) | {w}
            if len(w) >= 8:  # two edits allowed: index the two-letter deletions too
                keys |= {d2 for d in tuple(keys) for d2 in _deletes(d)}
            for key in keys:
                self._index.setdefault(key, set()).add(w)

    def correct(self, word: str) -> tuple[str, bool]:
        """(the word or its correction, whether the result is in the vocabulary)."""
        if word in self.freq:
            return word, True
        if len(word) < 4 or word.isdigit():
            return word, False
        limit = 1 if len(word) < 8 else 2
        keys = _deletes(word) | {word}
        if limit == 2:
            keys |= {d2 for d in tuple(keys) for d2 in _deletes(d)}
        candidates: set[str] = set()
        for key in keys:
            candidates |= self._index.get(key, set())
        best: tuple[int, int, str] | None = None
        for cand in candidates:
            dist = osa_distance(word, cand, limit)
            rank = (dist, -self.freq[cand], cand)  # ties broken by the word: the same every run
            if dist <= limit and (best is None or rank < best):
                best = rank
        return (best[2], True) if best else (word, False)
