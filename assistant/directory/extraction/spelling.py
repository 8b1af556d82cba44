"""Organisations across the corpus whose long name's initials spell a known acronym
("Mouvement Ouvrier Chrétien" -> MOC, "Wereldsolidariteit-Solidarité Mondiale" -> WSM)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from assistant.core.names import is_acronym
from assistant.core.text import fold, has_word
from assistant.directory.extraction.mention import Mention
from assistant.directory.extraction.names import (
    CLAUSE_BREAK_RE,
    acronym_letters,
    clean_name,
    initials_match,
    is_connector,
    name_key,
    split_words,
)
from assistant.directory.extraction.vocabulary import wordlist


def spelled_aliases(mentions: Sequence[Mention],
                    chunks: Sequence[tuple[str, str]]) -> list[Mention]:
    """Long names anywhere in the corpus whose initials spell a known acronym
    ("Mouvement Ouvrier Chrétien" -> MOC, "Wereldsolidariteit-Solidarité Mondiale" -> WSM).

    ``chunks`` are (chunk_id, unit text) pairs; returns new alias mentions. Ingestion does
    the same per document (``assistant.directory.storage``), with the same pieces."""
    acronyms = acronym_table(mentions)
    by_first = letters_index(acronyms)
    runs_of: dict[str, list[tuple[str, str]]] = {}
    found: list[Mention] = []
    seen: set[tuple[str, str]] = set()
    for cid, unit in chunks:
        for clause in CLAUSE_BREAK_RE.split(unit):
            if clause not in runs_of:
                runs_of[clause] = [
                    (run, acronyms[letters]) for letters, run in clause_runs(clause, by_first)
                    if name_key(run) != name_key(acronyms[letters])]
            for run, acronym in runs_of[clause]:
                if (run, acronym) not in seen:
                    seen.add((run, acronym))
                    found.append(Mention(name=acronym, doc_id="", chunk_id=cid, evidence=unit,
                                         defined=False, aliases=[run]))
    return found


def acronym_table(mentions: Iterable[Mention]) -> dict[str, str]:
    """Letters -> acronym for every acronym of 3 to 6 letters the mentions name (the order
    of the letters is the order they are tried in)."""
    return {
        acronym_letters(n): n
        for m in mentions for n in (m.name, *m.aliases)
        if is_acronym(n) and 3 <= len(acronym_letters(n)) <= 6
        and not re.search(r"[A-Za-z]\d", n)  # "CF2D": the digit is part of the name
    }


def letters_index(letters: Iterable[str]) -> dict[str, list[str]]:
    """Letters by their first two, in the given order. Scanning every clause against every
    acronym grew with the square of the corpus (264 s at x100, then 15 s with a
    first-letter index, which still grew with the number of acronyms)."""
    by_first: dict[str, list[str]] = {}
    for item in letters:
        by_first.setdefault(item[:2], []).append(item)
    return by_first


def clause_runs(clause: str, by_first: Mapping[str, Sequence[str]]) -> list[tuple[str, str]]:
    """(letters, long name) of each indexed acronym a run of the clause's words spells; the
    long name may still be the acronym itself, which the caller, knowing it, drops."""
    words = clause.split()
    initials = {fold(p).upper()[:1] for word in words for p in split_words(word)}
    runs = []
    for pair in sorted(opening_pairs(words)):  # sorted: the same mentions every run
        for letters in by_first.get(pair, ()):
            if set(letters) <= initials:
                run = _spelled_run(words, letters)
                if run:
                    runs.append((letters, run))
    return runs


def opening_pairs(words: Sequence[str]) -> set[str]:
    """The first two letters any spelled run of the clause can give: a run starts at a
    capitalised word or an organisation noun; its first word gives one to three letters,
    and a connector after it gives its initial or nothing (see ``_spell``)."""
    org_words = wordlist("organisation_words")
    parts = [(fold(p).upper(), is_connector(p), word[:1].isupper() or fold(word) in org_words)
             for word in words for p in split_words(word)]
    pairs: set[str] = set()
    for i, (part, connector, opens) in enumerate(parts):
        if not opens or connector or not part:
            continue
        if len(part) > 1:
            pairs.add(part[:2])
        for following, following_connector, _ in parts[i + 1:]:
            if following:
                pairs.add(part[0] + following[0])
            if not following_connector:
                break
    return pairs


def _spelled_run(words: list[str], letters: str) -> str:
    """A run of mostly capitalised words, starting at a word that gives the first letter."""
    for start, word in enumerate(words):
        if is_connector(word) or fold(word)[:1].upper() != letters[0]:
            continue
        # The longest run first: "Maison Européenne des Langues Anciennes", not its start.
        for end in range(min(len(words), start + len(letters) * 2 + 2), start + 1, -1):
            run = words[start:end]
            if is_connector(run[-1]):
                continue
            content = [w for w in run if not is_connector(w)]
            lowercase = [w for w in content if not w[:1].isupper()]
            leading_noun = lowercase == [content[0]] and has_word(
                content[0], wordlist("organisation_words"))
            if len(content) >= 2 and (not lowercase or leading_noun) and initials_match(
                letters, run
            ):
                return clean_name(_original_span(words, start, end))
    return ""


def _original_span(words: list[str], start: int, end: int) -> str:
    return " ".join(words[start:end])
