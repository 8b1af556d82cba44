"""Street addresses in running text: the street words ("rue", "chaussée", "street") of
``core/data/addresses.toml``, one list for the directory and the answer engine."""

from __future__ import annotations

from functools import cache

from assistant.core.text import has_word
from assistant.core.wordlists import word_lists


@cache
def street_words() -> frozenset[str]:
    """The street words, folded ("chaussee", "allee")."""
    return frozenset(word_lists("core", "addresses")["street_words"])


def names_a_street(text: str) -> bool:
    """Does the text name a street ("Rue du Téris 45", "12 Chaussée de Haecht")?"""
    return has_word(text, street_words())
