"""Sentence boundaries in French and English text, sparing abbreviations ("e.g.", "Mme"),
dotted acronyms ("F.T.U."), initials ("J. Dupont") and list numbers ("1. En")."""

from __future__ import annotations

import re

# What a sentence may open on besides a capital or a digit.
OPENING_QUOTES = "«\"“‘'([„"
# Words a period follows without ending the sentence.
_ABBREVIATIONS = frozenset({
    "e.g", "i.e", "cf", "p", "pp", "vol", "no", "nr", "n°", "m", "mm", "mme", "mmes", "mlle",
    "mr", "mrs", "ms", "dr", "prof", "st", "ste", "av", "bd", "ch", "vs", "approx", "env",
    "resp", "art", "al", "inc", "ltd", "co", "jr", "sr", "fig", "ex", "bte", "tél", "tel",
    "ca", "cfr", "dept", "ed", "eds", "op", "cit", "etc",
})
_NEXT_CHAR = re.compile(r"\s*(\S)")
_SENTENCE_END = re.compile(r"[.!?…]+(?:\s?[»”\"’)\]])*(?=\s+\S)")


def sentences(text: str) -> list[str]:
    """The text's sentences, without the spaces between them."""
    pieces = (text[start:end].strip() for start, end in sentence_spans(text))
    return [piece for piece in pieces if piece]


def first_sentence(text: str) -> str:
    """The text's first sentence ("" for a text without one)."""
    return next(iter(sentences(text)), "")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence boundaries of ``text[start:end]`` for French and English, sparing
    abbreviations and acronyms; each sentence runs to the next one's start."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    sentence_start = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if _is_sentence_end(text, sentence_start, match):
            spans.append((sentence_start, match.end()))
            sentence_start = match.end()
    spans.append((sentence_start, end))
    return spans


def following_upper(text: str, match: re.Match[str]) -> bool:
    """Does a capital, a digit or an opening quote follow the punctuation?"""
    following_match = _NEXT_CHAR.match(text, match.end())
    following = following_match.group(1) if following_match else ""
    return following.isupper() or following.isdigit() or following in OPENING_QUOTES


def _is_sentence_end(text: str, sentence_start: int, match: re.Match[str]) -> bool:
    following_match = _NEXT_CHAR.match(text, match.end())
    following = following_match.group(1) if following_match else ""
    word_start = max(text.rfind(" ", sentence_start, match.start()) + 1, sentence_start)
    punctuation = match.group(0).rstrip(' »”"’)]')
    if word_start >= match.start():
        # French spacing puts a space before "!", "?" and "…" ("la Belgique ! Afin"): no
        # word to check, the next character decides. A lone period is no sentence end.
        return not punctuation.startswith(".") and (
            following_upper(text, match) and match.start() > sentence_start)
    word = text[word_start : match.start()].lstrip('(«"“[').casefold()
    if punctuation.startswith(".") and not _period_can_end(word, punctuation):
        return False
    if following.isupper() or following.isdigit() or following in OPENING_QUOTES:
        return True
    # Scraped English often lower-cases sentence starts ("divide. through its...").
    # ... but "etc." followed by a lower-case word continues the sentence ("etc.) et nos ...").
    return (
        punctuation == "." and len(word) >= 3 and word.isalpha() and word.islower()
        and word != "etc"
    )


def _period_can_end(word: str, punctuation: str) -> bool:
    """A period after an abbreviation, a dotted acronym, an initial or a list number is not
    an end ("F.T.U. ASBL", "e.g. the", "J. Dupont", "1. En"); "etc." usually is."""
    if punctuation != ".":
        return True  # "...", "!" or "?" after the word
    if word == "etc":
        return True
    if "." in word or word in _ABBREVIATIONS:
        return False
    if len(word) == 1 and word.isalpha():
        return False
    return not (word.isdigit() and len(word) <= 2)
