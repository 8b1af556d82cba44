"""Text processing shared by retrieval and answering: folding, tokens, stems, language.

The corpus is mostly French with one English document, and users ask in either
language, so everything here is deliberately language-agnostic: the same analyzer
is applied to documents and queries whatever their language.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePath

import Stemmer
from bm25s.stopwords import (
    STOPWORDS_DUTCH,
    STOPWORDS_EN,
    STOPWORDS_FRENCH,
    STOPWORDS_GERMAN,
    STOPWORDS_ITALIAN,
    STOPWORDS_PORTUGUESE,
    STOPWORDS_SPANISH,
)

__all__ = [
    "OTHER",
    "STOPWORDS",
    "analyze",
    "content_terms",
    "detect_language",
    "first_position",
    "fold",
    "folded_words",
    "has_cue",
    "has_word",
    "is_other_language",
    "normalise_question",
    "question_language",
    "tokenize_words",
    "without_words",
]

# Returned by question_language() for text that is clearly neither French nor English.
OTHER = "other"

# --------------------------------------------------------------------------- folding

_PUNCT_TABLE: dict[int, str | None] = {
    **dict.fromkeys(map(ord, "\u2019\u2018\u201b\u02bc\u02bb\u0060\u00b4\u2032\uff07"), "'"),
    **dict.fromkeys(map(ord, "\u00ab\u00bb\u201c\u201d\u201e\u201f\u2033\u2039\u203a"), '"'),
    **dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-"),
    **dict.fromkeys(map(ord, "\u2043\ufe58\ufe63\uff0d"), "-"),
    **dict.fromkeys(map(ord, "\u00a0\u202f\u2007\u2009\u200a\u2002\u2003\u2004\u2005"), " "),
    **dict.fromkeys(map(ord, "\u2006\u2008\u205f\u3000"), " "),
    # Invisible characters would otherwise split or glue words unpredictably.
    **dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None),
}

# Letters that NFKD does not decompose but that users type as two ASCII letters.
# fmt: off
_LIGATURES: dict[int, str] = {
    ord("\u0153"): "oe", ord("\u0152"): "oe", ord("\u00e6"): "ae", ord("\u00c6"): "ae",
    ord("\u00df"): "ss", ord("\u1e9e"): "ss", ord("\u00f8"): "o", ord("\u00d8"): "o",
    ord("\u0142"): "l", ord("\u0141"): "l", ord("\u0111"): "d", ord("\u0110"): "d",
}
# fmt: on
_FOLD_TABLE: dict[int, str | None] = {**_PUNCT_TABLE, **_LIGATURES}

# Combining marks of the blocks Latin text uses; a regex is much faster than a
# per-character unicodedata.combining() loop and leaves other scripts intact.
_COMBINING_RE = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Lowercase, strip accents and unify apostrophes, quotes, dashes and spaces."""
    text = text.translate(_FOLD_TABLE)
    if not text.isascii():
        text = _COMBINING_RE.sub("", unicodedata.normalize("NFKD", text))
    return text.lower()


# ----------------------------------------------------------------------- whole words


def folded_words(text: str, joined: str = "") -> str:
    """The text's folded words, punctuation dropped, joined by single spaces: names, cues and
    texts are compared word for word ("CNCD-11.11.11" -> "cncd 11 11 11", "l'ONG" -> "l ong").
    Characters in ``joined`` stay inside words ("-": "wallonia-brussels" is one word)."""
    return " ".join(w for w in re.split(rf"[^a-z0-9{re.escape(joined)}]+", fold(text)) if w)


@lru_cache(maxsize=4096)
def _as_words(phrases: tuple[str, ...], joined: str) -> tuple[str, ...]:
    """Each phrase as " its words ", to find in a text's padded ``folded_words``."""
    return tuple(f" {words} " for words in (folded_words(p, joined) for p in phrases) if words)


def has_word(text: str, words: Iterable[str], joined: str = "") -> bool:
    """Is one of the words (or phrases) in the text as whole words? "ONG" is in "l'ONG",
    "MOC" in "le MOC s'investit" but not in "école démocratique", "actuel" not in
    "actuellement"; with ``joined="-"``, "Brussels" is not in "Wallonia-Brussels"."""
    padded = f" {folded_words(text, joined)} "
    return any(words in padded for words in _as_words(tuple(words), joined))


def first_position(text: str, words: Iterable[str]) -> int | None:
    """Where the first of the words (or phrases) is in the text, as a position in its
    ``folded_words``; None when none is there."""
    padded = f" {folded_words(text)} "
    found = [padded.find(words) for words in _as_words(tuple(words), "") if words in padded]
    return min(found) if found else None


def without_words(text: str, words: Iterable[str]) -> str:
    """The text's ``folded_words`` with the words (or phrases) taken out, longest first
    ("Qui sont les partenaires du CNCD-11.11.11 ?" without "CNCD-11.11.11")."""
    padded = f" {folded_words(text)} "
    for phrase in sorted(set(_as_words(tuple(words), "")), key=len, reverse=True):
        padded = padded.replace(phrase, " ")
    return padded.strip()


def has_cue(text: str, cues: Iterable[str]) -> bool:
    """``has_word``, by the name the answer engine calls it: is one of the cues in the text
    as whole words ("actuel" is not in "actuellement"; "now" is not in "know")?"""
    return has_word(text, cues)


# ------------------------------------------------------------------------ tokenizing

# "46 000", "46 000" (nbsp, folded to a space) and "46,000" are written "46.000" so
# that every spelling of a thousand-grouped number gives the same token.
_GROUPED_NUMBER_RE = re.compile(r"(?<![\d.,])\d{1,3}(?:[ ,]\d{3})+(?!\d)")
# "a.s.b.l." -> "asbl": otherwise every letter would be dropped as a single letter.
_DOTTED_ACRONYM_RE = re.compile(r"(?<![\w.])(?:[a-z]\.)+[a-z]\.?(?!\w)")
# French elided articles/pronouns ("l'", "d'", "qu'", "jusqu'" ...) before a word.
_ELISION_RE = re.compile(r"(?<![^\W_])(?:[ldnsjcmt]|qu|jusqu|lorsqu|puisqu|quoiqu)'(?=[^\W_])")
# English possessives and contractions ("Eurodiaconia's history", "it's", "what's"): French
# writes no "'s" after a word. A question of content words only ("Summarise Eurodiaconia's
# history.") had no other evidence and was taken for French.
_ENGLISH_S_RE = re.compile(r"(?<=[^\W\d_])'s(?![^\W_])")
# Dotted/comma numbers first ("11.11.11", "3,5"), then runs of letters/digits;
# hyphens split words, so "cncd-11.11.11" gives "cncd" and "11.11.11".
_TOKEN_RE = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+")


def _join_number_groups(match: re.Match[str]) -> str:
    return match.group().replace(" ", ".").replace(",", ".")


def _join_acronym(match: re.Match[str]) -> str:
    return match.group().replace(".", "")


def tokenize_words(text: str) -> list[str]:
    """Folded word tokens; numbers and acronyms kept, elisions and single letters dropped."""
    folded = fold(text)
    folded = _GROUPED_NUMBER_RE.sub(_join_number_groups, folded)
    folded = _DOTTED_ACRONYM_RE.sub(_join_acronym, folded)
    folded = _ELISION_RE.sub(" ", folded)
    return [tok for tok in _TOKEN_RE.findall(folded) if len(tok) > 1 or tok.isdigit()]


# ------------------------------------------------------------------------ stop words

# Question and function words missing from the (short) bm25s lists. Words that are
# also content words in this corpus are deliberately absent: "sans" (sans-papiers,
# sans-abri), "don" (donation), "ça"/"ca" (CA = conseil d'administration), "may".
# fmt: off
_FR_EXTRA: tuple[str, ...] = (
    "quel", "quelle", "quels", "quelles", "lequel", "laquelle", "lesquels", "lesquelles",
    "duquel", "auquel", "quoi", "comment", "combien", "pourquoi", "quand", "où",
    "elles", "leurs", "cet", "cette", "celui", "celle", "ceux", "celles", "ceci", "cela",
    "ci", "dont", "donc", "car", "si", "ni", "comme", "chez", "vers", "sous", "lors",
    "puis", "ainsi", "alors", "aussi", "très", "tout", "tous", "toute", "toutes",
    "être", "avoir", "faire", "fait", "font", "peut", "peuvent", "voici", "voilà",
    "aujourd", "hui", "jusqu", "lorsqu", "puisqu", "quoiqu",
)
_EN_EXTRA: tuple[str, ...] = (
    "what", "which", "who", "whom", "whose", "how", "many", "much", "when", "where", "why",
    "do", "does", "did", "done", "doing", "has", "have", "had", "having", "been", "being",
    "were", "am", "can", "could", "would", "should", "shall", "might", "must",
    "you", "your", "yours", "he", "she", "we", "our", "us", "him", "his", "her", "its",
    "them", "me", "my", "from", "about", "after", "before", "here", "some", "any", "each",
    "also", "than", "too", "very", "so", "those", "out", "up", "just", "only", "please",
    "doesn", "didn", "isn", "aren", "wasn", "weren", "hasn", "haven", "couldn", "wouldn",
    "shouldn", "ll", "ve",
)
# fmt: on
# Never dropped although in a base list: "eu" is a French participle but also "EU".
_KEEP: frozenset[str] = frozenset({"eu"})

STOPWORDS: frozenset[str] = (
    frozenset(fold(word) for word in (*STOPWORDS_FRENCH, *_FR_EXTRA, *STOPWORDS_EN, *_EN_EXTRA))
    - _KEEP
)


# ------------------------------------------------------------------------- stemming

_FR_STEMMER = Stemmer.Stemmer("french")
_EN_STEMMER = Stemmer.Stemmer("english")
# PyStemmer objects are not thread-safe; the lock only matters on cache misses.
_STEM_LOCK = threading.Lock()
_STEMMABLE_RE = re.compile(r"[a-z]+")
# On folded text "fondée" becomes "fondee", which the French stemmer no longer
# recognises as a participle ("fondee" -> "fonde" but "fonde" -> "fond").
_FEMININE_EE_RE = re.compile(r"(?<=\w\w\w)ee(s?)$")


# Snowball leaves the -enir verbs apart from their nouns: "soutient", "soutiennent",
# "soutenir", "soutenu" and "soutien" give five stems, and "Qui soutient ... ?" missed
# "le soutien de ...". Their forms are mapped onto the noun's "-ien" first.
_ENIR_FORMS_RE = re.compile(r"(?<=[a-z]{3})(?:iennent|ient|iens|enir|enue?s?)$")


def _stem_fr(token: str) -> str:
    token = _ENIR_FORMS_RE.sub("ien", _FEMININE_EE_RE.sub(r"e\1", token))
    return str(_FR_STEMMER.stemWord(token)) or token


def _stem_en(token: str) -> str:
    return str(_EN_STEMMER.stemWord(token)) or token


@lru_cache(maxsize=262_144)
def _stem_variants(token: str) -> tuple[str, ...]:
    """French and English stems of a folded token, deduplicated."""
    if not _STEMMABLE_RE.fullmatch(token):
        return (token,)  # numbers, codes, other scripts: keep verbatim
    with _STEM_LOCK:
        fr, en = _stem_fr(token), _stem_en(token)
    return (fr,) if fr == en else (fr, en)


@lru_cache(maxsize=262_144)
def _canonical_stem(token: str) -> str:
    """One language-agnostic stem: French, then English, then French again."""
    if not _STEMMABLE_RE.fullmatch(token):
        return token
    with _STEM_LOCK:
        return _stem_fr(_stem_en(_stem_fr(token)))


def _content_tokens(text: str) -> list[str]:
    return [tok for tok in tokenize_words(text) if tok not in STOPWORDS]


def analyze(text: str) -> list[str]:
    """BM25 analyzer for documents and queries: tokens, no stop words, FR+EN stems."""
    return [stem for tok in _content_tokens(text) for stem in _stem_variants(tok)]


def term_sequence(text: str) -> list[tuple[str, int]]:
    """Every content term of ``text`` in order (repeats kept), each with the number of
    stop words just before it: phrases are matched on it ("decent work" in "work on
    decent work"; "workers' rights" is not "works on the right")."""
    terms: list[tuple[str, int]] = []
    gap = 0
    for tok in tokenize_words(text):
        if tok in STOPWORDS:
            gap += 1
            continue
        terms.append((_canonical_stem(tok), gap))
        gap = 0
    return terms


def content_terms(text: str) -> list[str]:
    """Distinct content terms of ``text`` in order, one canonical stem per word.

    The term must not depend on the language of the text, because a question and
    the sentence it is compared with may be in different languages (or too short
    to tell). French(English(French(word))) conflates the inflections of both
    languages: fondé/fondée/fondés, internationale/international, partner/partners,
    trainings/training/trained, workers/working.
    """
    terms: dict[str, None] = {}
    for tok in _content_tokens(text):
        terms.setdefault(_canonical_stem(tok), None)
    return list(terms)


# ------------------------------------------------------------------ language detection

# fmt: off
_FR_DETECT_ONLY: tuple[str, ...] = (
    "eu", "ça", "là", "déjà", "plus", "entre", "depuis", "avant", "après", "sans", "bien",
    "encore", "toujours", "beaucoup", "peu", "chaque", "autre", "autres", "quelques",
    "selon", "pendant", "bonjour", "bonsoir", "merci", "salut", "svp",
)
_EN_DETECT_ONLY: tuple[str, ...] = (
    "may", "between", "during", "more", "most", "other", "because", "while",
    "hello", "hi", "thanks", "thank",
)
# fmt: on
# Question words missing from the bm25s lists, so that short questions are caught.
_OTHER_EXTRA: dict[str, tuple[str, ...]] = {
    "de": ("wer", "wann", "warum", "wieso", "wieviel", "gibt"),
    "nl": ("wanneer", "waar", "welke", "waarom", "hoeveel", "doet"),
    "es": ("quién", "qué", "cuándo", "dónde", "cuál", "cómo", "cuántos", "cuántas"),
    "it": ("cosa", "quando"),
    "pt": ("onde", "quantos", "quantas"),
}
_OTHER_BASE: dict[str, Iterable[str]] = {
    "de": STOPWORDS_GERMAN,
    "nl": STOPWORDS_DUTCH,
    "es": STOPWORDS_SPANISH,
    "it": STOPWORDS_ITALIAN,
    "pt": STOPWORDS_PORTUGUESE,
}


def _forms(words: Iterable[str], exclude: frozenset[str] = frozenset()) -> frozenset[str]:
    """Words as typed (lowercase, accented) plus their folded forms not in ``exclude``."""
    lowered = {word.lower() for word in words if len(word) > 1}
    return frozenset(lowered | ({fold(word) for word in lowered} - exclude))


_FR_WORDS = _forms((*STOPWORDS_FRENCH, *_FR_EXTRA, *_FR_DETECT_ONLY))
_EN_WORDS = _forms((*STOPWORDS_EN, *_EN_EXTRA, *_EN_DETECT_ONLY))
# Folded forms of foreign words ("sí" -> "si", "só" -> "so") would count ordinary
# French/English words as foreign evidence, so those are left out.
_PROFILES: dict[str, frozenset[str]] = {
    "fr": _FR_WORDS,
    "en": _EN_WORDS,
    **{
        lang: _forms((*base, *_OTHER_EXTRA[lang]), exclude=_FR_WORDS | _EN_WORDS)
        for lang, base in _OTHER_BASE.items()
    },
}
# Single-letter words are mostly ambiguous ("a"); only these are informative.
# fmt: off
_SINGLE_LETTER_WORDS: dict[str, tuple[str, ...]] = {
    "à": ("fr", "pt"), "i": ("en",), "y": ("fr", "es"), "o": ("es", "pt", "it"),
    "é": ("pt",), "è": ("it",), "e": ("it", "pt"),
}
# fmt: on
# Characters hinting at a language. French accents only break a French/English tie.
_CHAR_HINTS: tuple[tuple[str, str, float], ...] = (
    ("fr", "éèêàâçîôûùœ", 0.5),
    ("es", "¿¡ñ", 1.0),
    ("es", "áíóú", 0.5),
    ("pt", "ãõ", 1.0),
    ("pt", "áíóú", 0.5),
    ("de", "äöüß", 1.0),
    ("it", "ìò", 0.5),
)
_WORD_RE = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class _Evidence:
    scores: dict[str, float]
    latin_letters: int
    other_letters: int

    @property
    def fr_en(self) -> float:
        return max(self.scores["fr"], self.scores["en"])

    @property
    def foreign(self) -> float:
        return max(score for lang, score in self.scores.items() if lang not in ("fr", "en"))

    @property
    def non_latin_dominates(self) -> bool:
        return self.other_letters >= 2 and self.other_letters >= self.latin_letters


def _is_latin(char: str) -> bool:
    code = ord(char)
    return code < 0x250 or 0x1E00 <= code <= 0x1EFF


def _evidence(text: str) -> _Evidence:
    text = unicodedata.normalize("NFC", text).translate(_PUNCT_TABLE)
    # All-caps words in mixed-case text are names (WSM, CSC, FOREM), not evidence.
    skip_caps = any(char.islower() for char in text)
    scores = dict.fromkeys(_PROFILES, 0.0)
    latin = other = 0
    for word in _WORD_RE.findall(text):
        latin_count = sum(1 for char in word if _is_latin(char))
        latin, other = latin + latin_count, other + len(word) - latin_count
        lowered = word.lower()
        if len(word) == 1:
            for lang in _SINGLE_LETTER_WORDS.get(lowered, ()):
                scores[lang] += 1
        elif not (skip_caps and word.isupper()):
            for lang, words in _PROFILES.items():
                if lowered in words:
                    scores[lang] += 1
    scores["fr"] += len(_ELISION_RE.findall(text.lower()))
    scores["en"] += len(_ENGLISH_S_RE.findall(text))
    lowered_text = text.lower()
    for lang, chars, weight in _CHAR_HINTS:
        if any(char in lowered_text for char in chars):
            scores[lang] += weight
    return _Evidence(scores, latin, other)


def _decide(evidence: _Evidence) -> str | None:
    fr, en = evidence.scores["fr"], evidence.scores["en"]
    if evidence.non_latin_dominates or fr == en:  # includes "no evidence at all"
        return None
    # Ties with a foreign language go to French/English: those are what users speak.
    if evidence.foreign > evidence.fr_en:
        return None
    return "fr" if fr > en else "en"


def _clearly_other(evidence: _Evidence) -> bool:
    if evidence.non_latin_dominates:
        return True
    return evidence.foreign >= 2 and evidence.foreign > evidence.fr_en


def detect_language(text: str) -> str | None:
    """Return "fr", "en", or None when the text is another language or gives no evidence."""
    return _decide(_evidence(text))


def is_other_language(text: str) -> bool:
    """True only with clear evidence that the text is neither French nor English."""
    return _clearly_other(_evidence(text))


def question_language(text: str, default: str = "fr") -> str:
    """Detected language; ``default`` when unsure; OTHER when clearly another language."""
    evidence = _evidence(text)
    detected = _decide(evidence)
    if detected is not None:
        return detected
    return OTHER if _clearly_other(evidence) else default


# ------------------------------------------------------------------------- questions

_WHITESPACE_RE = re.compile(r"\s+")
# Surrogates and private-use characters cannot be meaningful in a question either.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})


_ANSI_ESCAPE_RE = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_])")


# Full-width forms ("Ｑｕｅ ｆａｉｔ ｌｅ ＣＩＥＰ ？", typed with an East Asian keyboard or pasted)
# are the ASCII letters, digits and signs they look like: a French question so written was
# refused as another language (issue 19).
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def normalise_question(text: str) -> str:
    """Drop control characters, turn tabs/newlines into spaces, read full-width letters as
    the letters they are, collapse and trim."""
    text = _ANSI_ESCAPE_RE.sub("", text)  # terminal colour codes pasted with the question
    text = text.translate(_FULL_WIDTH)
    text = _WHITESPACE_RE.sub(" ", unicodedata.normalize("NFC", text))
    if not text.isprintable():
        text = "".join(
            char for char in text if unicodedata.category(char) not in _DROPPED_CATEGORIES
        )
    return _WHITESPACE_RE.sub(" ", text).strip()


def file_name_words(source: str) -> str:
    """A document's file name as words: "etui-eu-trade-unionists-course.txt" says whose
    page it is when its text never writes the name twice."""
    return re.sub(r"[-_.]+", " ", PurePath(source).stem)
