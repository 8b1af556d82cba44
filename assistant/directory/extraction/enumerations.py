"""Names listed in a sentence: after "telles que", "such as", or inside parentheses with
commas ("(CIEP, CNE, CSC)")."""

from __future__ import annotations

import re

from assistant.core.names import is_acronym
from assistant.core.text import fold
from assistant.directory.extraction.names import (
    acronym_letters,
    clause_before,
    clean_name,
    initials_match,
    looks_like_name,
)
from assistant.directory.extraction.parentheses import expands
from assistant.directory.extraction.vocabulary import wordlist


def enumerated_names(text: str, *, in_parentheses: bool = True) -> list[str]:
    """Names listed after "telles que", "such as" (and inside parentheses with commas)."""
    folded = fold(text)
    names: list[str] = []
    for cue in wordlist("enumeration_starts"):
        at = folded.find(f" {cue} ")
        if at >= 0:
            names += _split_enumeration(text[at + len(cue) + 2:])
            break
    if in_parentheses:
        names += [n for _, found in parenthesised_lists(text) for n in found]
    return names


def parenthesised_lists(text: str) -> list[tuple[str, list[str]]]:
    """(text before, names) of each "(CIEP, CNE, CSC)" in the text."""
    return [
        (text[: match.start()], _split_enumeration(match.group(1)))
        for match in re.finditer(r"\(([^()]*,[^()]*)\)", text)
        if not expands(clause_before(text[: match.start()]), match.group(1))
    ]


ENUM_SPLIT_RE = re.compile(
    r",|;|\s+et\s+|\s+and\s+|\s*&\s*(?=[A-Z0-9])|\s+ainsi qu['’]au sein\s+|\s+ainsi que\s+"
)


def _split_enumeration(text: str) -> list[str]:
    text = re.split(r"\betc\b|\.\s(?!\d)|\.$|…", text, maxsplit=1)[0]
    names = []
    for piece in ENUM_SPLIT_RE.split(text):
        name = clean_name(re.sub(r"\s*\([^)]*\)\s*", " ", piece))
        name = re.sub(r"^(?:de la|de l['’]|du|des|d['’]|de)\s*", "", name)
        if not name:
            continue
        inside = re.search(r"\(([^()]+)\)", piece)
        if inside and not looks_like_name(name, max_words=7) and is_acronym(inside[1].strip()) and (
            initials_match(acronym_letters(inside[1].strip()), name.split())
        ):
            name = inside[1].strip()  # "le réseau belge des ressources naturelles (RBRN)"
        if re.fullmatch(r"[\d.\s]+", name):
            if _numeric_name(name, text):
                names.append(name)
            continue
        words = name.split()
        if (looks_like_name(name, max_words=7) or is_acronym(words[0])
                or len(words) <= 3 and any(is_acronym(w) for w in words[1:])  # "mutu MC"
                ) and any(c.isalpha() for c in name):
            names.append(name)
    return names


def _numeric_name(name: str, text: str) -> bool:
    """"11.11.11" in "membre du CNCD-11.11.11 & 11.11.11": a name made of digits is one
    when the same enumeration carries it as the part of a hyphenated name; a number alone
    (a year, a count) is not."""
    digits = name.strip()
    return "." in digits and bool(
        re.search(rf"[A-Za-z]-{re.escape(digits)}(?![\d.]*\d)", text))
