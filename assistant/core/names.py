"""Organisation names in running text: acronyms (CNCD-11.11.11, WSM, CIRÉ) and capitalised
word runs (Coalition Climat), without the common nouns written in capitals ("ONG")."""

from __future__ import annotations

import re
from functools import cache

from assistant.core.text import STOPWORDS, fold
from assistant.core.wordlists import word_lists

# Names: acronyms (CNCD-11.11.11, WSM, CIRÉ) and Capitalised word runs (Coalition Climat).
NAME = re.compile(
    # an acronym joined to a word ("AEF-Europe"): whole, not cut to "AEF-E"
    r"\b(?:[A-ZÀ-Ý]{2,}[A-ZÀ-Ý0-9]*-[A-ZÀ-Ý][a-zà-ÿ]+\b"
    # acronyms (not "L’A"), with the capitalised words that go on the name ("SOS Faim",
    # "ATD Quart Monde")
    r"|(?![LD]['’])[A-ZÀ-Ý][A-ZÀ-Ý0-9&'’.\-]{1,}[A-ZÀ-Ý0-9](?: [A-ZÀ-Ý][a-zà-ÿ]{2,})*"
    r"|[A-ZÀ-Ý][a-zà-ÿ]+(?:[ \-](?:de |du |des |d'|pour |et )?[A-ZÀ-Ý](?:[\w\-’'.]*\w)?)+"  # Runs
    # a capitalised word inside a sentence, also after an elision ("que l'Aped")
    r"|(?:(?<=[a-zà-ÿ,;:] )|(?<=[a-zà-ÿ]['’])|(?<=\())[A-ZÀ-Ý][a-zà-ÿ]{2,})"
)


def names_in(text: str) -> list[str]:
    """Organisation-like names, without a leading question word ("Quand WSM" -> "WSM")."""
    return [name for match in NAME.finditer(text) if (name := matched_name(match.group(0)))]


def matched_name(matched: str) -> str:
    """A match of NAME as a name ("Quand WSM" -> "WSM", "d'ONG" -> ""): "" when it names
    nobody."""
    words = matched.strip(" .").split()
    while words and fold(words[0]) in STOPWORDS:
        words.pop(0)
    if words:  # "Combien d'ONG" -> "ONG"
        words[0] = re.sub(r"^[dlDL]['’]", "", words[0])
    # "combien d'ONG": a common noun written in capitals names nobody; nor does a month or
    # a day ("since December 2011").
    if not words or is_organisation_noun(" ".join(words)) or (
            len(words) == 1 and fold(words[0]) in calendar_words()):
        return ""
    return " ".join(words)


@cache
def calendar_words() -> frozenset[str]:
    return frozenset(word_lists("core", "names")["calendar_words"])


@cache
def organisation_nouns() -> frozenset[str]:
    return frozenset(word_lists("core", "names")["organisation_words"])


def is_organisation_noun(name: str) -> bool:
    """"ONG", "NGOs", "ASBL": a kind of organisation, not one."""
    folded = fold(name)
    return folded in organisation_nouns() or folded.removesuffix("s") in organisation_nouns()


# What an acronym may look like: dotted letters ("F.T.U."), or a letter then letters, digits
# and the marks acronyms carry ("CNCD-11.11.11", "R&D", "ACW/MOC"), 15 characters at most.
_ACRONYM_SHAPE = re.compile(r"(?:[^\W\d_]\.){2,}\S*|[^\W\d_](?:[^\W_]|['.&/-]){1,14}")


def is_acronym(token: str) -> bool:
    """One token of mostly capitals, two at least: "CSC", "UN", "CIRÉ", "CNCD-11.11.11",
    "F.T.U.", "achACT", "SAW-B"; not "Oxfam", "ONG de" or "LA COALITION" (two words)."""
    token = token.strip(".,;:")
    if not _ACRONYM_SHAPE.fullmatch(token):
        return False
    letters = [c for c in token if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    return upper >= 2 and upper * 2 >= len(letters)

