"""Names paired by a parenthesis: "Long name (ACR)", "ACR (Long name)", "le CIEP (MOC)",
"partenaire syndical (Gartex)"; the acronym's letters are checked against the words."""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.core.names import is_acronym
from assistant.core.text import fold, has_word
from assistant.directory.extraction.heads import alias_text, is_alias_of
from assistant.directory.extraction.names import (
    acronym_letters,
    clause_before,
    clean_name,
    initials_match,
    is_connector,
    looks_like_name,
    name_tail,
)
from assistant.directory.extraction.vocabulary import wordlist


def parenthesised_pairs(text: str) -> Iterator[tuple[str, str, str]]:
    """(name, alias, kind) for "Long name (ACR)", "ACR (Long name)", "X (Y)" in a unit; kind is
    "alias", "part_of" ("le CIEP (MOC)") or "described" ("partenaire syndical (Gartex)")."""
    for match in re.finditer(r"\(([^()]{1,150})\)", text):
        inside = match.group(1).strip()
        before = clause_before(text[: match.start()])
        if not before or re.fullmatch(r"[\d\s\-–/]+", inside):
            continue
        if "," in inside and not expands(before, inside):
            continue  # an enumeration: handled by parenthesised_lists
        pair = _pair(before, inside)
        if pair:
            yield pair


def expands(before: list[str], inside: str) -> bool:
    """"CIRTES (Interdisciplinary Centre for Research on Work, Employment and Society)": an
    acronym's expansion, commas and all, not a list; so is "(anciennement ...)"."""
    if any(fold(inside).startswith(c) for c in wordlist("former_name_cues")):
        return True
    return bool(before) and is_acronym(before[-1]) and inside[:1].isupper() and has_word(
        " ".join(inside.split()[:3]), wordlist("organisation_words"))


def _pair(before: list[str], inside: str) -> tuple[str, str, str] | None:
    if len(inside.split()) == 1 and not is_acronym(inside) and len(inside) >= 3:
        long_name = _spelling_tail(before, acronym_letters(inside))
        if long_name:
            return clean_name(long_name), inside, "alias"
    if is_acronym(inside) and len(inside.split()) == 1:
        long_name = _spelling_tail(before, acronym_letters(inside))
        if long_name:
            return clean_name(long_name), inside, "alias"
        last = before[-1] if before else ""
        if is_acronym(last) or last[:1].isupper() and len(before) == 1:
            return clean_name(last), inside, "part_of"
        phrase = _described_tail(before)
        return (inside, phrase, "described") if phrase else None
    name_words = name_tail(before)
    if not name_words:
        if len(inside.split()) == 1 and inside[:1].isupper() and before:
            phrase = _described_tail(before)
            return (inside, phrase, "described") if phrase else None
        return None
    name = clean_name(" ".join(name_words))
    if is_alias_of(name, inside) and looks_like_name(name):
        return name, alias_text(inside), "alias"
    return None


def _spelling_tail(words: list[str], letters: str) -> str:
    """The longest run of words ending the clause whose initials spell the letters."""
    if len(letters) < 2:
        return ""
    best = ""
    for start in range(len(words) - 1, max(-1, len(words) - 14), -1):
        candidate = words[start:]
        if is_connector(candidate[0]):
            continue
        if initials_match(letters, candidate):
            best = " ".join(candidate)
    return best


TRUE_ARTICLES = frozenset({"le", "la", "les", "the", "un", "une", "a", "an", "notre", "our", "nos"})


def _described_tail(words: list[str]) -> str:
    """"... les organisations syndicales internationales" -> the words after the last article."""
    tail: list[str] = []
    for word in reversed(words):
        if fold(word) in TRUE_ARTICLES or fold(word).startswith(("l'", "d'")):
            break
        tail.insert(0, word)
        if len(tail) >= 6:
            break
    phrase = " ".join(tail)
    return phrase if tail and phrase[:1].islower() else ""
