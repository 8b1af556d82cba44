"""The name an entry or a list item opens on ("CSC, Confederation of ...", "CEDEFOP - ...",
"La Coalition Climat est une asbl ..."), and the other names a parenthesis gives it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from assistant.core.lists import strip_list_mark
from assistant.core.names import is_acronym
from assistant.core.text import fold, has_word
from assistant.directory.extraction.names import (
    acronym_letters,
    clean_name,
    initials_match,
    is_connector,
    is_organisation,
    looks_like_name,
    named_organisation,
)
from assistant.directory.extraction.vocabulary import wordlist


@dataclass
class Head:
    """The name an entry or list item starts with, and what follows it."""

    name: str
    aliases: list[str]
    rest: str


def _verbs_pattern() -> re.Pattern[str]:
    verbs = sorted(wordlist("defining_verbs"), key=len, reverse=True)
    return re.compile(r"\s+(?:" + "|".join(re.escape(v) for v in verbs) + r")\b", re.IGNORECASE)


@cache
def verbs_re() -> re.Pattern[str]:
    return _verbs_pattern()


HEAD_SEPARATOR_RE = re.compile(r"\s*(?:,|:|\s[-–]\s|\s[-–](?=\s*[A-Za-z]))\s*")


def parse_head(text: str) -> Head | None:
    """The leading name of an entry: "NAME, rest", "NAME - rest", "NAME (ALIAS) is ...",
    "ACR Long Name, rest", or "Description, NAME verb ..."."""
    text = strip_list_mark(text).strip()
    text = re.sub(r"^(?:and|et|also|aussi)\s+", "", text, flags=re.IGNORECASE)
    paren = re.match(r"^(?P<name>[^,:;()]{2,90}?)\s*\((?P<inside>[^()]{1,120})\)\s*(?P<rest>.*)$",
                     text)
    if paren and looks_like_name(clean_name(paren["name"])):
        name = clean_name(paren["name"])
        inside = paren["inside"].strip()
        aliases = [inside] if is_alias_of(name, inside) else []
        rest = paren["rest"].lstrip(" ,:-–")
        return Head(name, aliases, rest)
    separated = HEAD_SEPARATOR_RE.search(text)
    if separated and separated.start() > 0:
        name = clean_name(text[: separated.start()])
        rest = text[separated.end():]
        apposed = _apposed_name(name, rest)
        if apposed:
            return apposed
        spelled = _acronym_then_name(name)
        if spelled:
            return Head(spelled[0], [spelled[1]], rest)
        if looks_like_name(name):
            return Head(name, [], rest)
    glued = re.match(r"^(?P<acr>[A-Z][A-Z0-9.&-]{1,12})\s+(?P<rest>(?:the|le|la|l['’])\s.*)$", text)
    if glued and is_acronym(glued["acr"]):
        return Head(glued["acr"], [], glued["rest"])
    verb = verbs_re().search(text)
    if verb and verb.start() > 0:
        name = clean_name(text[: verb.start()])
        if looks_like_name(name, max_words=10) or lowercase_subject(name):
            return Head(name, [], text[verb.start():].strip())
    return None


def topic_head(text: str) -> tuple[str, str] | None:
    """(organisation, rest) of a sentence that opens on an organisation it is about: "Avec
    la faculté Ouverte de Politique Économique et Sociale, l'UCL propose ..." (the openers
    are ``topic_openers`` in assistant/directory/data/directory.toml)."""
    folded = fold(text)
    opener = next((o for o in wordlist("topic_openers") if folded.startswith(o + " ")), "")
    if not opener:
        return None
    phrase, _, rest = text[len(opener) + 1:].partition(",")
    name = clean_name(phrase)
    words = name.split()
    if not rest.strip() or not words or len(words) > 10:
        return None
    content = [w for w in words if not is_connector(w)]
    proper = is_acronym(words[0]) if len(content) == 1 else (
        (words[0][:1].isupper() or has_word(words[0], wordlist("organisation_words")))
        and sum(w[:1].isupper() for w in content[1:]) * 2 >= len(content) - 1
        and named_organisation(name, name)
    )
    if not proper or not is_organisation(name, rest):
        return None
    return name, rest.strip()


def lowercase_subject(name: str) -> bool:
    """"coordination des sans papiers" (a subject the heading above names properly)."""
    words = name.split()
    return 1 < len(words) <= 8 and name[:1].islower() and has_word(
        words[0], wordlist("organisation_words")
    )


def _apposed_name(head: str, rest: str) -> Head | None:
    """"Mouvement d'Éducation permanente, Lire et Ecrire a pour objectif ...": the name is
    after the comma when the head is a description (an organisation noun, lowercase words)."""
    if not has_word(head.split()[0] if head.split() else "", wordlist("organisation_words")):
        return None
    verb = verbs_re().search(rest)
    if not verb or verb.start() == 0:
        return None
    name = clean_name(rest[: verb.start()])
    if looks_like_name(name, max_words=6) and not is_acronym(head):
        return Head(name, [], f"{head}, {rest}")
    return None


def _acronym_then_name(head: str) -> tuple[str, str] | None:
    """"SFMQ Francophone Occupations and Qualifications Service" -> (SFMQ, the long name)."""
    words = head.split()
    if len(words) >= 3 and is_acronym(words[0]) and words[1][:1].isupper():
        return words[0], " ".join(words[1:])
    return None


def is_alias_of(name: str, inside: str) -> bool:
    """"CERISIS (Research centre for ...)", "Solidarité Mondiale (World Solidarity)": another
    name, not a qualifier ("CREDAL (Conseil)") or a remark ("see previous ...")."""
    folded = fold(inside)
    if any(folded.startswith(c) for c in wordlist("former_name_cues")):
        return True
    words = inside.split()
    if len(words) == 1:
        return is_acronym(inside) or initials_match(acronym_letters(inside), name.split())
    if initials_match(acronym_letters(name), words) and len(name.split()) == 1:
        return True
    if re.search(r"\d{4}", inside) or len(name.split()) > 3:
        return False
    if "," in inside and not (
        is_acronym(name) and has_word(inside, wordlist("organisation_words"))
    ):
        return False
    content = [w for w in words if not is_connector(w)]
    capitalised = sum(w[:1].isupper() for w in content)
    return capitalised >= 2 or has_word(inside, wordlist("organisation_words"))


def alias_text(inside: str) -> str:
    """The alias itself: "anciennement Réseau X" -> "Réseau X"."""
    folded = fold(inside)
    for cue in wordlist("former_name_cues"):
        if folded.startswith(cue):
            return inside[len(cue):].strip(" :")
    return inside.strip()
