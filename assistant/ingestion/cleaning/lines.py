"""Cleaning of one line: bullets normalised to "• ", glued captions cut, acronyms glued to
the next word split ("ABCDthe"), doubled capitals repaired ("LLe")."""

from __future__ import annotations

import re

from assistant.core.lists import GLYPH_BULLET, RAW_BULLET
from assistant.ingestion.cleaning.captions import (
    SENTENCE_OPENERS,
    remove_leading_caption,
    remove_marked_caption,
)

# Lower-case function words an acronym is sometimes glued to ("ABCDthe Consortium").
_GLUED_LOWER_WORDS = ("the", "le", "la", "les", "des", "du", "of", "and", "et")
# Words a doubled first capital ("LLe") may be repaired into.
_SHORT_WORDS = SENTENCE_OPENERS | {"De", "Du", "Et", "And", "Of", "Or", "Ou", "Si", "If"}
_DOUBLED_CAPITAL = re.compile(r"(?<!\w)([A-ZÀ-ÖØ-Þ])\1([a-zß-öø-ÿ]{1,5})(?!\w)")
# Acronym glued to a capitalised word ("ABCDWord"); three capitals at least keeps
# names such as "UCLouvain" or "KULeuven" intact.
_ACRONYM_GLUED_WORD = re.compile(r"(?<![\w-])([A-Z]{3,})([A-Z][a-zß-öø-ÿ]{3,})(?![\w-])")
_ACRONYM_GLUED_LOWER = re.compile(rf"(?<![\w-])([A-Z]{{3,}})({'|'.join(_GLUED_LOWER_WORDS)})(?=\s)")


def _normalise_bullet(line: str) -> str:
    """Every bullet glyph ("-* ", "- ", "◦", "•") becomes "• "; the punctuation a lost link
    text leaves behind ("•, the portal") goes with it."""
    bullet = GLYPH_BULLET.match(line) or RAW_BULLET.match(line)
    if bullet is None:
        return line
    return "• " + re.sub(r"^[,;:\s]+", "", line[bullet.end() :])


def _fix_doubled_capital(line: str) -> str:
    """Doubled first capital: "LLe" -> "Le", only when the result is a known short word."""

    def repair(match: re.Match[str]) -> str:
        word = match.group(1) + match.group(2)
        return word if word in _SHORT_WORDS else match.group(0)

    return _DOUBLED_CAPITAL.sub(repair, line)


def _fix_glued_acronyms(line: str, vocabulary: frozenset[str]) -> str:
    """Acronyms glued to the next word: "ABCDthe" -> "ABCD the"; "ABCDWord" -> "ABCD Word"
    when the document vouches for it.

    An acronym glued to a capitalised word is ambiguous ("ABCDeducation" could be
    "ABC Deducation"), so the split is made only when one of its two halves occurs on
    its own elsewhere in the same document.
    """
    line = _ACRONYM_GLUED_LOWER.sub(r"\1 \2", line)

    def split(match: re.Match[str]) -> str:
        acronym, word = match.group(1), match.group(2)
        known = acronym in vocabulary or word in vocabulary
        return f"{acronym} {word}" if known else match.group(0)

    return _ACRONYM_GLUED_WORD.sub(split, line)


def clean_line(line: str, vocabulary: frozenset[str]) -> str:
    line = _normalise_bullet(line.strip())
    line = remove_marked_caption(line)
    line = remove_leading_caption(line)
    line = _fix_glued_acronyms(line, vocabulary)
    line = _fix_doubled_capital(line)
    line = re.sub(r"[ \t]+", " ", line).strip()
    return re.sub(r" +,", ",", line)
