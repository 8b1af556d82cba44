"""Name rules: what a name looks like, how it is cleaned and compared, which words' initials
spell an acronym, and where a name ends in a clause."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from assistant.core.names import is_acronym
from assistant.core.text import first_position, fold, folded_words, has_word
from assistant.directory.extraction.vocabulary import wordlist

WORD_SPLIT_RE = re.compile(r"[\s\-–'’/]+")
CLAUSE_BREAK_RE = re.compile(r"[,;:!?()«»\"“”]|(?<![A-Z])\.\s")


def acronym_letters(acronym: str) -> str:
    """The letters an acronym abbreviates: "CNCD-11.11.11" -> "CNCD", "F.T.U." -> "FTU"."""
    base = re.split(r"-\d", acronym, maxsplit=1)[0]
    return "".join(c for c in fold(base) if c.isalpha()).upper()


def name_key(name: str) -> str:
    """Compare names without case, accents, articles or punctuation."""
    words = folded_words(name).split()
    while len(words) > 1 and words[0] in wordlist("articles"):
        words = words[1:]
    return "".join(words)


def split_words(text: str) -> list[str]:
    return [w for w in WORD_SPLIT_RE.split(text) if w]


@lru_cache(maxsize=1 << 16)
def is_connector(word: str) -> bool:
    return fold(word) in wordlist("name_connectors")


def initials_match(letters: str, words: Sequence[str]) -> bool:
    """Whether the words spell the acronym's letters: each content word gives its first
    letter(s), connectors ("de", "pour", "of") give their initial or nothing."""
    words = [part for word in words for part in split_words(word)]
    folded = tuple(fold(w).upper() for w in words)
    connectors = tuple(is_connector(w) for w in words)
    return _spell(letters, folded, connectors)


@lru_cache(maxsize=65536)
def _spell(letters: str, words: tuple[str, ...], connectors: tuple[bool, ...]) -> bool:
    if not words:
        return not letters
    word, rest, rest_conn = words[0], words[1:], connectors[1:]
    if connectors[0] and _spell(letters, rest, rest_conn):
        return True
    for size in range(1, min(3, len(word)) + 1):
        if letters[:size] == word[:size] and _spell(letters[size:], rest, rest_conn):
            return True
    return False


def initials_of(name: str) -> str:
    """The acronym a long name would have ("Coordination et initiatives pour réfugiés et
    étrangers" -> "CIRE"); only names of three content words or more get one."""
    content = [w for w in split_words(name) if not is_connector(w) and w[0].isalpha()]
    if len(content) < 3:
        return ""
    return "".join(fold(w)[0] for w in content).upper()


def strip_articles(phrase: str) -> str:
    words = phrase.strip().split()
    while words:
        first = fold(words[0])
        head = re.split(r"['’]", first, maxsplit=1)
        if len(head) == 2 and head[0] in wordlist("articles") and head[1]:
            words[0] = re.split(r"['’]", words[0], maxsplit=1)[1]
            continue
        if first in wordlist("articles") and len(words) > 1:
            words = words[1:]
            continue
        break
    return " ".join(words)


def clean_name(phrase: str) -> str:
    name = strip_articles(re.sub(r"\s+", " ", phrase).strip(" ,;:-–"))
    words = name.split()
    while len(words) > 1 and fold(words[-1]).strip(".") in {
        fold(f).strip(".") for f in wordlist("legal_forms")
    }:
        words = words[:-1]
    name = " ".join(words)
    if not re.search(r"(?:[A-Z]\.){2,}$", name):
        name = name.rstrip(".")
    return name.strip(" ,;:")


def looks_like_name(name: str, max_words: int = 8) -> bool:
    words = name.split()
    content = [w for w in words if not is_connector(w)]
    if not words or len(content) > max_words or not name[0].isupper() and not is_acronym(words[0]):
        return False
    if has_word(name, wordlist("defining_verbs")):
        return False  # "AID network is rooted in": a clause, not a name
    if not any(c.isalpha() for c in name):
        return False
    folded = fold(name)
    return not any(
        folded == start or folded.startswith(start + " ") for start in wordlist("not_name_starts")
    )


def is_organisation(name: str, text: str) -> bool:
    """An entry is an organisation unless what defines it is a document, tool or programme;
    the name's own nouns decide first ("Copenhagen process")."""
    if has_word(name, wordlist("not_organisation_words")) and not has_word(
        name, wordlist("organisation_words")
    ):
        return False
    head = " ".join(fold(text).split()[:24])
    org_at = first_position(head, wordlist("organisation_words"))
    other_at = first_position(head, wordlist("not_organisation_words"))
    return not (other_at is not None and (org_at is None or other_at < org_at))


def clause_before(text: str) -> list[str]:
    """The words of the clause that ends the text (hyphens and slashes kept inside words)."""
    pieces = CLAUSE_BREAK_RE.split(text)
    return pieces[-1].split() if pieces else []


def name_tail(words: list[str]) -> list[str]:
    """Capitalised words (and connectors between them) ending the clause."""
    tail: list[str] = []
    for word in reversed(words):
        if word[:1].isupper() or is_acronym(word) or (tail and is_connector(word)):
            tail.insert(0, word)
        else:
            break
    while tail and is_connector(tail[0]):
        tail = tail[1:]
    return tail


def named_organisation(name: str, text: str) -> bool:
    """A proper name: an acronym, several capitalised words, or a text that calls it an
    organisation ("Ressources, a network of ...")."""
    content = [w for w in name.split() if not is_connector(w)]
    capitalised = sum(w[:1].isupper() for w in content)
    head = " ".join(fold(text).split()[:16])
    return (is_acronym(content[0]) if content else False) or capitalised >= 2 or (
        first_position(head, wordlist("organisation_words")) is not None
    )
