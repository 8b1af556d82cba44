"""Whole-word matching on folded text: whether (and where) a word, a phrase or a name is in a
text as whole words ("MOC" is in "le MOC s'investit", not in "école démocratique")."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.core.text import fold


def folded_words(text: str) -> str:
    """The text's folded words, punctuation dropped, joined by single spaces: names and
    texts compared word for word ("CNCD-11.11.11" -> "cncd 11 11 11")."""
    return " ".join(w for w in re.split(r"[^a-z0-9]+", fold(text)) if w)


def names_any(text: str, names: Sequence[str]) -> bool:
    """Whether the text names one of the names as whole words: "MOC" is in "le MOC
    s'investit", not in "école démocratique"."""
    padded = f" {folded_words(text)} "
    return any(words and f" {words} " in padded for words in map(folded_words, names))


def has_word(text: str, words: frozenset[str]) -> bool:
    padded = " " + " ".join(re.split(r"[^a-z0-9&]+", fold(text))) + " "
    return any(f" {w} " in padded for w in words)


def first_position(text: str, words: frozenset[str]) -> int | None:
    padded = " " + " ".join(re.split(r"[^a-z0-9&]+", text)) + " "
    found = [padded.find(f" {w} ") for w in words if f" {w} " in padded]
    return min(found) if found else None
