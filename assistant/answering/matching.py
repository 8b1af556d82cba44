"""Does a text hold a word of the question? Stems, bilingual synonyms, cognates and compound
parts; organisation names; IDF-weighted coverage."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from collections.abc import Set as AbstractSet
from functools import lru_cache

from assistant.core.names import is_acronym
from assistant.core.text import STOPWORDS, analyze, fold, tokenize_words
from assistant.core.types import Passage
from assistant.core.wordlists import synonyms_of


@lru_cache(maxsize=1024)
def text_stems(text: str) -> frozenset[str]:
    """The analyzer's stems of a text, cached: each passage is read by several checks."""
    return frozenset(analyze(text))


def passage_context(passage: Passage) -> str:
    return f"{passage.title} {passage.section} {passage.text}"


@lru_cache(maxsize=4096)
def word_stems(word: str) -> frozenset[str]:
    """Stems of the word and of its bilingual synonyms (assistant/core/data/synonyms.toml)."""
    stems = set(analyze(word)) or {fold(word)}
    for synonym in synonyms_of(fold(word)):
        stems |= set(analyze(synonym))
    return frozenset(stems)


def cognate(a: str, b: str) -> bool:
    """French/English cognates share a long prefix (processus/process, Copenhague/Copenhagen)."""
    shortest = min(len(a), len(b))
    if shortest < 5:
        return False
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return common >= 5 and common >= 0.8 * shortest


def word_match(word_stems_: frozenset[str], unit_stems: AbstractSet[str]) -> float:
    if word_stems_ & unit_stems:
        return 1.0
    if any(cognate(w, u) for w in word_stems_ for u in unit_stems):
        return 0.8
    return 0.0


def compound_part(a: str, b: str) -> bool:
    """"website" holds "web", "e-mail" holds "mail": a long enough piece of a compound."""
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 3 and len(short) >= 0.4 * len(long_) and (
        long_.startswith(short) or long_.endswith(short)
    )


def supported(word: str, text_stems: AbstractSet[str]) -> bool:
    """Is ``word`` (or a word of the same root, a cognate or a compound part) in the text?"""
    stems = word_stems(word)
    if word_match(stems, text_stems) > 0:
        return True
    return any(compound_part(w, u) for w in stems for u in text_stems)


def is_strong_name(name: str) -> bool:
    """Acronyms and multi-word names identify an organisation; a lone capitalised word
    ("the South", "Belgium") is too loose to require."""
    return " " in name.strip() or is_acronym(name)


def name_words(name: str) -> list[str]:
    return [w for w in tokenize_words(name) if w not in STOPWORDS and len(w) >= 2]


def name_known(name: str, stems: AbstractSet[str]) -> bool:
    """A passage names an organisation when one of the name's words is in it."""
    return any(supported(word, stems) for word in name_words(name))


def name_fully_known(name: str, stems: AbstractSet[str]) -> bool:
    """Every word of the name is in the text (or the corpus, given its vocabulary)."""
    words = name_words(name)
    return bool(words) and all(supported(word, stems) for word in words)


def coverage(words: Sequence[str], text: str, idf: Callable[[str], float]) -> float:
    """IDF-weighted share of the question's content words found in ``text``."""
    if not words:
        return 0.0
    unit_stems = text_stems(text)
    total = found = 0.0
    for word in words:
        stems = word_stems(word)
        weight = max(idf(s) for s in stems)
        total += weight
        found += weight * word_match(stems, unit_stems)
    return found / total if total else 0.0
