"""Directory extraction: the organisations one document mentions, read from its structure.

Deterministic rules over the chunks' units (sentences and list items), each fact kept
with the unit it came from:
- list items and entries that start with a name: "CSC, Confederation of ...",
  "CEDEFOP - CEDEFOP is ...", "La Coalition Climat est une asbl ...";
- names and acronyms in parentheses, checked against the words' initials
  ("Centre national de coopération au développement (CNCD-11.11.11)");
- enumerations after "membre de ... telles que", partner lead-ins ("Here are the
  organisations that work with AID"), "created by", "fait partie du";
- addresses ("Rue ..., 4000 Liège") and the document's own organisation (manifest).
The word lists live in ``data/directory.toml``; no organisation is named in code.
Mentions of the same organisation, in this document or another, are merged later by
``assistant.directory`` through their names, acronyms and initials.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from assistant.core.text import fold
from assistant.core.types import Chunk, DocumentInfo
from assistant.core.wordlists import data_path, word_lists

DESCRIPTION_MAX = 220


def extraction_fingerprint() -> str:
    """Changes when the directory's word lists or rules change, so that ingestion re-extracts."""
    digest = hashlib.sha256(data_path("directory", "directory").read_bytes())
    digest.update(data_path("core", "names").read_bytes())
    digest.update(Path(__file__).read_bytes())  # the rules themselves
    return digest.hexdigest()[:12]


@cache
def vocabulary() -> dict[str, Any]:
    """The directory's word lists, with the kinds of organisation that names share."""
    return {**word_lists("directory", "directory"),
            "organisation_words": word_lists("core", "names")["organisation_words"]}


@cache
def _words(key: str) -> frozenset[str]:
    return frozenset(vocabulary()[key])


# --------------------------------------------------------------------------- data model


@dataclass
class Mention:
    """One organisation as one passage presents it (merged across passages later)."""

    name: str
    doc_id: str
    chunk_id: str
    evidence: str  # the unit (sentence or list item) the facts come from, verbatim
    defined: bool  # the passage describes it (not only names it in passing)
    aliases: list[str] = field(default_factory=list)
    description: str = ""
    own_text: str = ""  # what the passage says of it, for themes
    context: str = ""  # the headings above it, for themes
    address: str = ""
    town: str = ""
    website: str = ""
    relations: list[tuple[str, str]] = field(default_factory=list)  # (kind, target name)
    # The lead-in that announced its relations ("Ses partenaires privilégiés sont :"), in
    # another passage than the evidence: what kind of partner it is.
    relation_context: str = ""
    language: str = ""
    themes: dict[str, str] = field(default_factory=dict)  # theme id -> why ("keyword: ...")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mention:
        data = dict(data)
        data["relations"] = [tuple(r) for r in data.get("relations", [])]
        return cls(**data)


# --------------------------------------------------------------------------- names

ACRONYM_RE = re.compile(r"^(?:[A-Z]\.){2,}[A-Z]?\.?$|^[A-Za-z][A-Za-z0-9'.&/-]{1,14}$")
WORD_SPLIT_RE = re.compile(r"[\s\-–'’/]+")
CLAUSE_BREAK_RE = re.compile(r"[,;:!?()«»\"“”]|(?<![A-Z])\.\s")
POSTCODE_TOWN_RE = re.compile(r"(?:\b[A-Z]-)?\b(\d{4})\s+([A-ZÀ-Ý][^\d,;()]*?)\s*$")
HOUSE_NUMBER_RE = re.compile(r"\b\d{1,4}\b")
URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>)\]]+")
LIST_MARK_RE = re.compile(r"^\s*(?:[•\-*–]|\d{1,2}[.)])\s*")
SENTENCE_END_RE = re.compile(r"(?<=[a-zà-ÿ0-9)])[.!?](?=\s|$)")


def is_acronym(token: str) -> bool:
    """CSC, CNCD-11.11.11, F.T.U., achACT, SAW-B: mostly capitals, no spaces."""
    token = token.strip(".,;:")
    if " " in token or not ACRONYM_RE.match(token) and not re.match(r"^(?:[A-Z]\.){2,}", token):
        return False
    letters = [c for c in token if c.isalpha()]
    upper = sum(c.isupper() for c in letters)
    return upper >= 2 and upper * 2 >= len(letters)


def acronym_letters(acronym: str) -> str:
    """The letters an acronym abbreviates: "CNCD-11.11.11" -> "CNCD", "F.T.U." -> "FTU"."""
    base = re.split(r"-\d", acronym, maxsplit=1)[0]
    return "".join(c for c in fold(base) if c.isalpha()).upper()


def name_key(name: str) -> str:
    """Compare names without case, accents, articles or punctuation."""
    words = [w for w in re.split(r"[^a-z0-9]+", fold(name)) if w]
    while len(words) > 1 and words[0] in _words("articles"):
        words = words[1:]
    return "".join(words)


def split_words(text: str) -> list[str]:
    return [w for w in WORD_SPLIT_RE.split(text) if w]


@lru_cache(maxsize=1 << 16)
def is_connector(word: str) -> bool:
    return fold(word) in _words("name_connectors")


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
        if len(head) == 2 and head[0] in _words("articles") and head[1]:
            words[0] = re.split(r"['’]", words[0], maxsplit=1)[1]
            continue
        if first in _words("articles") and len(words) > 1:
            words = words[1:]
            continue
        break
    return " ".join(words)


def clean_name(phrase: str) -> str:
    name = strip_articles(re.sub(r"\s+", " ", phrase).strip(" ,;:-–"))
    words = name.split()
    while len(words) > 1 and fold(words[-1]).strip(".") in {
        fold(f).strip(".") for f in _words("legal_forms")
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
    if has_word(name, _words("defining_verbs")):
        return False  # "AID network is rooted in": a clause, not a name
    if not any(c.isalpha() for c in name):
        return False
    folded = fold(name)
    return not any(
        folded == start or folded.startswith(start + " ") for start in _words("not_name_starts")
    )


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


def is_organisation(name: str, text: str) -> bool:
    """An entry is an organisation unless what defines it is a document, tool or programme;
    the name's own nouns decide first ("Copenhagen process")."""
    if has_word(name, _words("not_organisation_words")) and not has_word(
        name, _words("organisation_words")
    ):
        return False
    head = " ".join(fold(text).split()[:24])
    org_at = _first_position(head, _words("organisation_words"))
    other_at = _first_position(head, _words("not_organisation_words"))
    return not (other_at is not None and (org_at is None or other_at < org_at))


def _first_position(text: str, words: frozenset[str]) -> int | None:
    padded = " " + " ".join(re.split(r"[^a-z0-9&]+", text)) + " "
    found = [padded.find(f" {w} ") for w in words if f" {w} " in padded]
    return min(found) if found else None


def one_line(text: str, limit: int = DESCRIPTION_MAX) -> str:
    text = LIST_MARK_RE.sub("", re.sub(r"\s+", " ", text)).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + " …"


# --------------------------------------------------------------------------- patterns


@dataclass
class Head:
    """The name an entry or list item starts with, and what follows it."""

    name: str
    aliases: list[str]
    rest: str


def _verbs_pattern() -> re.Pattern[str]:
    verbs = sorted(_words("defining_verbs"), key=len, reverse=True)
    return re.compile(r"\s+(?:" + "|".join(re.escape(v) for v in verbs) + r")\b", re.IGNORECASE)


@cache
def verbs_re() -> re.Pattern[str]:
    return _verbs_pattern()


HEAD_SEPARATOR_RE = re.compile(r"\s*(?:,|:|\s[-–]\s|\s[-–](?=\s*[A-Za-z]))\s*")


def parse_head(text: str) -> Head | None:
    """The leading name of an entry: "NAME, rest", "NAME - rest", "NAME (ALIAS) is ...",
    "ACR Long Name, rest", or "Description, NAME verb ..."."""
    text = LIST_MARK_RE.sub("", text).strip()
    text = re.sub(r"^(?:and|et|also|aussi)\s+", "", text, flags=re.IGNORECASE)
    paren = re.match(r"^(?P<name>[^,:;()]{2,90}?)\s*\((?P<inside>[^()]{1,120})\)\s*(?P<rest>.*)$",
                     text)
    if paren and looks_like_name(clean_name(paren["name"])):
        name = clean_name(paren["name"])
        inside = paren["inside"].strip()
        aliases = [inside] if _is_alias_of(name, inside) else []
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
        if looks_like_name(name, max_words=10) or _lowercase_subject(name):
            return Head(name, [], text[verb.start():].strip())
    return None


def topic_head(text: str) -> tuple[str, str] | None:
    """(organisation, rest) of a sentence that opens on an organisation it is about: "Avec
    la faculté Ouverte de Politique Économique et Sociale, l'UCL propose ..." (the openers
    are ``topic_openers`` in assistant/directory/data/directory.toml)."""
    folded = fold(text)
    opener = next((o for o in _words("topic_openers") if folded.startswith(o + " ")), "")
    if not opener:
        return None
    phrase, _, rest = text[len(opener) + 1:].partition(",")
    name = clean_name(phrase)
    words = name.split()
    if not rest.strip() or not words or len(words) > 10:
        return None
    content = [w for w in words if not is_connector(w)]
    proper = is_acronym(words[0]) if len(content) == 1 else (
        (words[0][:1].isupper() or has_word(words[0], _words("organisation_words")))
        and sum(w[:1].isupper() for w in content[1:]) * 2 >= len(content) - 1
        and _named_organisation(name, name)
    )
    if not proper or not is_organisation(name, rest):
        return None
    return name, rest.strip()


def _lowercase_subject(name: str) -> bool:
    """"coordination des sans papiers" (a subject the heading above names properly)."""
    words = name.split()
    return 1 < len(words) <= 8 and name[:1].islower() and has_word(
        words[0], _words("organisation_words")
    )


def _apposed_name(head: str, rest: str) -> Head | None:
    """"Mouvement d'Éducation permanente, Lire et Ecrire a pour objectif ...": the name is
    after the comma when the head is a description (an organisation noun, lowercase words)."""
    if not has_word(head.split()[0] if head.split() else "", _words("organisation_words")):
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


def _is_alias_of(name: str, inside: str) -> bool:
    """"CERISIS (Research centre for ...)", "Solidarité Mondiale (World Solidarity)": another
    name, not a qualifier ("CREDAL (Conseil)") or a remark ("see previous ...")."""
    folded = fold(inside)
    if any(folded.startswith(c) for c in _words("former_name_cues")):
        return True
    words = inside.split()
    if len(words) == 1:
        return is_acronym(inside) or initials_match(acronym_letters(inside), name.split())
    if initials_match(acronym_letters(name), words) and len(name.split()) == 1:
        return True
    if re.search(r"\d{4}", inside) or len(name.split()) > 3:
        return False
    if "," in inside and not (is_acronym(name) and has_word(inside, _words("organisation_words"))):
        return False
    content = [w for w in words if not is_connector(w)]
    capitalised = sum(w[:1].isupper() for w in content)
    return capitalised >= 2 or has_word(inside, _words("organisation_words"))


def alias_text(inside: str) -> str:
    """The alias itself: "anciennement Réseau X" -> "Réseau X"."""
    folded = fold(inside)
    for cue in _words("former_name_cues"):
        if folded.startswith(cue):
            return inside[len(cue):].strip(" :")
    return inside.strip()


def parenthesised_pairs(text: str) -> Iterator[tuple[str, str, str]]:
    """(name, alias, kind) for "Long name (ACR)", "ACR (Long name)", "X (Y)" in a unit; kind is
    "alias", "part_of" ("le CIEP (MOC)") or "described" ("partenaire syndical (Gartex)")."""
    for match in re.finditer(r"\(([^()]{1,150})\)", text):
        inside = match.group(1).strip()
        before = _clause_before(text[: match.start()])
        if not before or re.fullmatch(r"[\d\s\-–/]+", inside):
            continue
        if "," in inside and not _expands(before, inside):
            continue  # an enumeration: handled by parenthesised_lists
        pair = _pair(before, inside)
        if pair:
            yield pair


def _expands(before: list[str], inside: str) -> bool:
    """"CIRTES (Interdisciplinary Centre for Research on Work, Employment and Society)": an
    acronym's expansion, commas and all, not a list; so is "(anciennement ...)"."""
    if any(fold(inside).startswith(c) for c in _words("former_name_cues")):
        return True
    return bool(before) and is_acronym(before[-1]) and inside[:1].isupper() and has_word(
        " ".join(inside.split()[:3]), _words("organisation_words"))


def _clause_before(text: str) -> list[str]:
    """The words of the clause that ends the text (hyphens and slashes kept inside words)."""
    pieces = CLAUSE_BREAK_RE.split(text)
    return pieces[-1].split() if pieces else []


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
    name_words = _name_tail(before)
    if not name_words:
        if len(inside.split()) == 1 and inside[:1].isupper() and before:
            phrase = _described_tail(before)
            return (inside, phrase, "described") if phrase else None
        return None
    name = clean_name(" ".join(name_words))
    if _is_alias_of(name, inside) and looks_like_name(name):
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


def _name_tail(words: list[str]) -> list[str]:
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


def enumerated_names(text: str, *, in_parentheses: bool = True) -> list[str]:
    """Names listed after "telles que", "such as" (and inside parentheses with commas)."""
    folded = fold(text)
    names: list[str] = []
    for cue in _words("enumeration_starts"):
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
        if not _expands(_clause_before(text[: match.start()]), match.group(1))
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


def split_address(rest: str) -> tuple[str, str, str]:
    """(description, address, town) of "Consulting agency, Rue du Téris 45, 4100 Seraing"."""
    segments = [s.strip() for s in rest.split(",")]
    for end, segment in enumerate(segments):
        town = POSTCODE_TOWN_RE.search(segment)
        if not town:
            continue
        start = end
        while start > 0 and (
            HOUSE_NUMBER_RE.search(segments[start - 1])
            or has_word(segments[start - 1], _words("street_words"))
        ):
            start -= 1
        if start == end and HOUSE_NUMBER_RE.search(segment[: town.start()]):
            pass  # "Chaussée de Haecht 579 1030 Schaerbeek": street and town in one piece
        address = ", ".join(segments[start : end + 1])
        description = ", ".join(segments[:start])
        return description, address, town.group(2).strip()
    return rest, "", ""


# --------------------------------------------------------------------------- document walk


@dataclass
class Scope:
    """What the chunks under an introduction share: a heading, and maybe whose partners
    they are ("Ses partenaires privilégiés sont :")."""

    heading: str = ""
    partners_of: str = ""
    lead: str = ""  # the sentence that announced the partners
    parts_of: str = ""  # "The CIRTES ... was born of the union of three entities:"


def relation_target(text: str, cue: str) -> str:
    """The name that follows a cue: "fait partie du Mouvement Ouvrier Chrétien" -> it."""
    at = fold(text).find(cue)
    if at < 0:
        return ""
    after = text[at + len(cue):]
    words = split_words(CLAUSE_BREAK_RE.split(after)[0])
    run: list[str] = []
    for word in words:
        if word[:1].isupper() or is_acronym(word) or (run and is_connector(word)):
            run.append(word)
        elif run:
            break
        elif len(run) == 0 and fold(word) in _words("articles") | _words("organisation_words"):
            continue
        else:
            break
    while run and is_connector(run[-1]):
        run.pop()
    return clean_name(" ".join(run).rstrip("…"))


def subject_before(text: str, cue: str, default: str) -> str:
    at = fold(text).find(cue)
    words = _name_tail(_clause_before(text[:at])) if at > 0 else []
    name = clean_name(" ".join(words))
    return name if name and looks_like_name(name) else default


class DocumentReader:
    """Walks one document's chunks and collects its mentions."""

    def __init__(self, info: DocumentInfo, chunks: Sequence[Chunk], chunk_ids: Sequence[str]):
        self.info = info
        self.chunks = chunks
        self.chunk_ids = chunk_ids
        self.mentions: list[Mention] = []
        self.owner = info.organisation or ""

    # -- helpers ---------------------------------------------------------------
    def add(self, name: str, chunk_id: str, evidence: str, *, defined: bool,
            **facts: Any) -> Mention | None:
        name = clean_name(name)
        if not name or len(name) > 90 or not any(c.isalpha() for c in name) and not (
            re.fullmatch(r"\d+(?:\.\d+)+", name)  # "11.11.11" (``_numeric_name``)
        ):
            return None
        mention = Mention(name=name, doc_id=self.info.doc_id, chunk_id=chunk_id,
                          evidence=evidence.strip(), defined=defined,
                          language=self.info.language, **facts)
        self.mentions.append(mention)
        return mention

    def read(self) -> list[Mention]:
        self.read_owner()
        scope = Scope()
        for chunk, cid in zip(self.chunks, self.chunk_ids, strict=True):
            scope = self.next_scope(chunk, scope)
            self.read_chunk(chunk, cid, scope)
        self.link_acronyms()
        return self.mentions

    def link_acronyms(self) -> None:
        """"Le Groupe de recherche pour une stratégie ... le GRESEA est également ...": an
        acronym in the passage that spells a defined long name is that name's acronym."""
        units = {cid: " ".join(c.units)
                 for c, cid in zip(self.chunks, self.chunk_ids, strict=True)}
        for mention in [m for m in self.mentions if m.defined and len(m.name.split()) >= 3]:
            text = units.get(mention.chunk_id, "")
            # In text order: the aliases (and the stored mentions) are the same every run.
            for token in dict.fromkeys(re.findall(r"\b[A-Z][A-Z0-9-]{2,11}\b", text)):
                if token not in mention.aliases and initials_match(
                    acronym_letters(token), mention.name.split()
                ):
                    mention.aliases.append(token)

    def read_owner(self) -> None:
        """The document's organisation (manifest), with the name its title gives it."""
        if not self.owner or not self.chunks:
            return
        subject = re.split(r"\s[:–-]\s|:\s", self.info.title, maxsplit=1)[0].strip()
        aliases = [subject] if subject and name_key(subject) != name_key(self.owner) and (
            looks_like_name(subject, max_words=4)
        ) else []
        names = [n for n in (self.owner, *aliases) if name_key(n)]
        about: list[tuple[str, str]] = []  # (chunk id, unit) of units that name the owner
        for chunk, cid in zip(self.chunks, self.chunk_ids, strict=True):
            units = list(chunk.units)
            for index, unit in enumerate(units):
                if names_any(unit, names) and len(unit.split()) >= 6:
                    about.append((cid, unit))
                    if _announces(unit) and index + 1 < len(units):
                        about.append((cid, units[index + 1]))  # the list it announces
        about = about[:2]  # its introduction: later sentences name it while saying other things
        if not about:
            first = self.chunks[0]
            about = [(self.chunk_ids[0], first.units[0] if first.units else "")]
        self.add(self.owner, about[0][0], about[0][1], defined=True, aliases=aliases,
                 description=one_line(about[0][1]), own_text=" ".join(u for _, u in about))

    def next_scope(self, chunk: Chunk, scope: Scope) -> Scope:
        """A section's introduction opens a scope; its last sentence, when it announces what
        follows ("Ses partenaires privilégiés sont :"), says whose partners they are. A
        paragraph under the same heading that presents an organisation ("Avec la faculté
        ..., l'UCL propose") is one more entry of the scope, not a new introduction."""
        if chunk.kind == "section" and chunk.section == scope.heading and chunk.units and (
            topic_head(chunk.units[0]) is not None
        ):
            return scope
        if chunk.kind == "section":
            last = chunk.units[-1] if chunk.units else ""
            partners_of = self.partners_cue(last) if _announces(last) else ""
            return Scope(chunk.section, partners_of, lead=last if partners_of else "")
        if chunk.kind == "list":
            lead = " ".join(self.lead_in(chunk))
            partners_of = self.partners_cue(lead) if lead else ""
            if partners_of:
                return Scope(scope.heading, partners_of, lead=lead)
            whole = self.whole_of(lead) if lead else ""
            if whole:
                return Scope(scope.heading, parts_of=whole)
        return scope

    def whole_of(self, lead: str) -> str:
        """The organisation a list's items make up, when its lead-in says they compose it:
        the first name the lead-in gives, else the document's organisation."""
        folded = fold(lead)
        if not any(c in folded for c in _words("composed_of_cues")):
            return ""
        named = [name for name, _, kind in parenthesised_pairs(lead) if kind == "alias"]
        head = parse_head(lead)
        return named[0] if named else head.name if head else self.owner

    def lead_in(self, chunk: Chunk) -> list[str]:
        """The units of a list chunk before its first item: up to the sentence that announces
        the list ("Here are the organisations that work with AID …"), else up to an item."""
        for index, unit in enumerate(chunk.units[:3]):
            if _announces(unit) and index + 1 < len(chunk.units):
                return list(chunk.units[: index + 1])
        lead: list[str] = []
        for unit in chunk.units:
            if self.item_head(unit):
                break
            lead.append(unit)
        return lead if len(lead) < len(chunk.units) else []

    @staticmethod
    def item_head(unit: str) -> Head | None:
        head = parse_head(unit)
        if head is None or "/" in head.name or not _short_name(head.name):
            return None
        return head if is_organisation(head.name, unit) and _defines(head, unit) else None

    def partners_cue(self, text: str) -> str:
        folded = fold(text)
        cues = sorted((c for c in _words("partner_cues") if c in folded),
                      key=lambda c: (-len(c), c))
        for cue in cues:  # longest first: "partenaires de X" before "partenaire"
            target = relation_target(text, cue)
            if target and looks_like_name(target, 4):
                return target
        return self.owner if cues else ""

    @staticmethod
    def relate_to_scope(mention: Mention | None, scope: Scope) -> None:
        """An entry under a partner lead-in is a partner of the organisation it names, with
        the lead-in kept beside it ("partenaires privilégiés")."""
        if mention and scope.partners_of and name_key(scope.partners_of) != name_key(
            mention.name
        ):
            mention.relations.append(("partner_of", scope.partners_of))
            mention.relation_context = scope.lead

    def context_of(self, chunk: Chunk, scope: Scope, name: str) -> str:
        headings = [h for h in (chunk.section, scope.heading)
                    if h and name_key(h) != name_key(name)]
        return " / ".join(dict.fromkeys(headings))

    # -- chunks ----------------------------------------------------------------
    def read_chunk(self, chunk: Chunk, cid: str, scope: Scope) -> None:
        units = list(chunk.units)
        if chunk.kind == "entry" and units:
            self.read_entry(chunk, cid, scope)
        elif chunk.kind == "section" and units:
            self.read_topic_entry(chunk, cid, scope)
        if chunk.kind == "list":
            for unit in units[len(self.lead_in(chunk)):]:
                self.read_item(chunk, cid, scope, unit)
                if scope.parts_of:
                    self.read_part(cid, scope.parts_of, unit)
        for unit in units:
            self.read_pairs(chunk, cid, scope, unit)
            self.read_relations(cid, unit)
            self.read_fields(cid, unit)

    def read_topic_entry(self, chunk: Chunk, cid: str, scope: Scope) -> bool:
        """"Avec la faculté Ouverte de Politique Économique et Sociale, l'UCL propose une
        formation ...": a paragraph that opens on an organisation ("avec X, ...") presents
        it (the partner of a list it is in); the clause's own subject is described with it."""
        first = chunk.units[0] if chunk.units else ""
        topic = topic_head(first)
        if topic is None:
            return False
        name, rest = topic
        own_text = " ".join(chunk.units)
        mention = self.add(name, cid, first, defined=True, description=one_line(first),
                           own_text=own_text, context=self.context_of(chunk, scope, name))
        self.relate_to_scope(mention, scope)
        subject = parse_head(rest)
        if subject and name_key(subject.name) != name_key(name) and _short_name(subject.name) and (
            is_organisation(subject.name, rest) and _named_organisation(subject.name, rest)
        ):
            self.add(subject.name, cid, first, defined=True,
                     aliases=[alias_text(a) for a in subject.aliases],
                     description=one_line(first), own_text=own_text,
                     context=self.context_of(chunk, scope, subject.name))
        return True

    def read_entry(self, chunk: Chunk, cid: str, scope: Scope) -> None:
        if self.read_topic_entry(chunk, cid, scope):
            return
        first = chunk.units[0]
        head = parse_head(first)
        name = head.name if head else ""
        if head and _lowercase_subject(name) and chunk.section:
            name = chunk.section if _same_words(name, chunk.section) else ""
        elif not head and chunk.section and looks_like_name(chunk.section, 8):
            name = chunk.section  # a heading, then a paragraph about it
        opening = " ".join(chunk.units[:2])
        if not name or "/" in name or not _short_name(name, entry=True) or not is_organisation(
            name, opening
        ) or not _named_organisation(name, opening):
            return
        description, address, town = split_address(head.rest if head else first)
        mention = self.add(
            name, cid, first, defined=True,
            aliases=[alias_text(a) for a in head.aliases] if head else [],
            description=one_line(first), own_text=" ".join(chunk.units),
            context=self.context_of(chunk, scope, name), address=address, town=town,
        )
        self.relate_to_scope(mention, scope)

    def read_item(self, chunk: Chunk, cid: str, scope: Scope, unit: str) -> None:
        head = self.item_head(unit)
        if head is None:
            return
        description, address, town = split_address(head.rest)
        mention = self.add(
            head.name, cid, unit, defined=True,
            aliases=[alias_text(a) for a in head.aliases],
            description=one_line(LIST_MARK_RE.sub("", unit)), own_text=unit,
            context=self.context_of(chunk, scope, head.name), address=address, town=town,
        )
        self.relate_to_scope(mention, scope)

    def read_part(self, cid: str, whole: str, unit: str) -> None:
        """One item of a list that makes up ``whole``: "the TRAV (school of ...);"."""
        pairs = [name for name, _, kind in parenthesised_pairs(unit) if kind == "alias"]
        head = parse_head(LIST_MARK_RE.sub("", unit))
        name = pairs[0] if pairs else head.name if head else ""
        if name and name_key(name) != name_key(whole) and looks_like_name(name):
            self.add(name, cid, unit, defined=False, relations=[("part_of", whole)])

    def read_pairs(self, chunk: Chunk, cid: str, scope: Scope, unit: str) -> None:
        for name, other, kind in parenthesised_pairs(unit):
            if kind == "alias":
                heading = name_key(chunk.section)
                defined = unit == chunk.units[0] and bool(heading) and any(
                    name_key(n) and name_key(n) in heading for n in (name, other))
                mention = self.add(name, cid, unit, defined=defined, aliases=[other],
                                   description=one_line(unit) if defined else "",
                                   own_text=" ".join(chunk.units) if defined else unit,
                                   context=self.context_of(chunk, scope, name))
                if defined:
                    self.relate_to_scope(mention, scope)
            elif kind == "part_of" and looks_like_name(name):
                self.add(name, cid, unit, defined=False, relations=[("part_of", other)])
            elif kind == "described":
                mention = self.add(name, cid, unit, defined=False, description=other,
                                   own_text=other)
                if mention and has_word(other, _words("partner_cues")) and self.owner:
                    mention.relations.append(("partner_of", self.owner))

    def read_relations(self, cid: str, unit: str) -> None:
        folded = fold(unit)
        member_at = min((folded.find(c) for c in _words("member_cues") if c in folded), default=-1)
        listed = enumerated_names(unit[member_at:], in_parentheses=False) if member_at >= 0 else []
        if listed:
            subject = self.subject_of(unit, _words("member_cues"))
            for name in listed:
                if name_key(name) != name_key(subject):
                    target = self.add(name, cid, unit, defined=False)
                    if target and subject:
                        self.add(subject, cid, unit, defined=False,
                                 relations=[("member_of", target.name)])
        self.read_partners(cid, unit, folded)
        for before, names in parenthesised_lists(unit):
            partners = has_word(" ".join(before.split()[-6:]), _words("partner_cues"))
            whole = "" if partners else _network_before(before)
            for name in names:
                relations = [("partner_of", self.owner)] if partners and self.owner else (
                    [("part_of", whole)] if whole and name_key(whole) != name_key(name) else [])
                self.add(name, cid, unit, defined=False, relations=relations)
        for cue in _words("part_of_cues"):
            if cue in folded and not cue.startswith(("born", "issu")):
                whole = relation_target(unit, cue)
                subject = subject_before(unit, cue, self.owner)
                if whole and subject and name_key(whole) != name_key(subject):
                    self.add(subject, cid, unit, defined=False, relations=[("part_of", whole)])
        for cue in _words("coordinates_cues"):
            if cue in folded:
                coordinated = relation_target(unit, cue)
                if coordinated and self.owner:
                    self.add(coordinated, cid, unit, defined=False)
                    self.add(self.owner, cid, unit, defined=False,
                             relations=[("coordinates", coordinated)])
        self.read_creation(cid, unit, folded)

    def read_partners(self, cid: str, unit: str, folded: str) -> None:
        """"des alliances ... avec d'autres réseaux comme l'AIM (...), l'ITUC-CSI (...)": the
        names enumerated after a partner cue; "maintains a relationship with Solidarité
        Mondiale": the name after a "with" cue. Both are partners of the sentence's subject
        (the document's organisation when the subject is "nous", "we")."""
        cues = frozenset(_words("partner_cues")) | frozenset(_words("partner_with_cues"))
        at = min((folded.find(c) for c in cues if c in folded), default=-1)
        if at < 0:
            return
        partners = enumerated_names(unit[at:], in_parentheses=False)
        for cue in _words("partner_with_cues"):
            if cue in folded and not partners:
                target = relation_target(unit, cue)
                partners = [target] if target and looks_like_name(target, 6) else []
        subject = self.subject_of(unit, cues)
        for name in partners:
            if subject and name_key(name) != name_key(subject):
                self.add(name, cid, unit, defined=False, relations=[("partner_of", subject)])

    def read_creation(self, cid: str, unit: str, folded: str) -> None:
        for cue in sorted(_words("created_by_cues")):  # sorted: same order in every process
            if cue in folded:
                creator = relation_target(unit, cue)
                subject = subject_before(unit, cue, "")
                if creator and subject and is_organisation(subject, unit):
                    self.add(subject, cid, unit, defined=False, relations=[("created_by", creator)])
                if creator:
                    self.add(creator, cid, unit, defined=False)
        for cue in _words("creates_cues"):
            if cue in folded:
                created = relation_target(unit, cue)
                creator = subject_before(unit, cue, "")
                around = fold(unit)[fold(unit).find(cue):][: len(cue) + len(created) + 20]
                if created and creator and (
                    is_acronym(created) or has_word(around, _words("organisation_words"))
                ):
                    for part in creator.split("/"):
                        self.add(part, cid, unit, defined=False, aliases=[
                            p for p in creator.split("/") if p != part])
                    self.add(created, cid, unit, defined=False,
                             relations=[("created_by", creator.split("/")[-1])])

    def subject_of(self, unit: str, cues: frozenset[str]) -> str:
        folded = fold(unit)
        at = min((folded.find(c) for c in cues if c in folded), default=-1)
        words = _name_tail(_clause_before(unit[:at])) if at > 0 else []
        name = clean_name(" ".join(w for w in words if fold(w) not in {"est", "is", "aussi"}))
        return name if name and looks_like_name(name) else self.owner

    def read_fields(self, cid: str, unit: str) -> None:
        """"Adresse principale : ...", "Site web : ..." fields of the document's organisation."""
        folded = fold(unit)
        label = folded.split(":", 1)[0]
        if ":" not in folded or not self.owner or len(label) > 30:
            return
        value = unit.split(":", 1)[1].strip()
        if any(c in label for c in _words("address_cues")):
            _, address, town = split_address(value)
            if town:
                self.add(self.owner, cid, unit, defined=False, address=address, town=town)
        elif any(c in label for c in _words("website_cues")):
            url = URL_RE.search(unit)
            if url:
                self.add(self.owner, cid, unit, defined=False, website=url.group(0).rstrip(">."))


def _network_before(before: str) -> str:
    """"la fédération du MOC de Liège-Belgique (CIEP, CNE, CSC)": the organisation whose
    federation or network the parenthesised names make up (its acronym when it leads)."""
    words = split_words(before)[-6:]
    network = _words("network_nouns")
    nouns = [i for i, w in enumerate(words) if fold(w) in network]
    if not nouns:
        return ""
    name = relation_target(" ".join(words[nouns[-1]:]), fold(words[nouns[-1]]))
    first = name.split()[0] if name else ""
    return first if first and is_acronym(first) else name


def _short_name(name: str, *, entry: bool = False) -> bool:
    """A list item's name: a few words, mostly capitalised when it has more than four. A
    paragraph's subject may be a longer descriptive name when it starts with an
    organisation noun ("Le Groupe de recherche pour une stratégie économique alternative")."""
    content = [w for w in name.split() if not is_connector(w)]
    capitalised = sum(w[:1].isupper() for w in content)
    if entry and content and content[0][:1].isupper() and len(content) <= 8 and has_word(
        content[0], _words("organisation_words")
    ):
        return True
    return len(content) <= 4 or len(content) <= 6 and capitalised * 2 >= len(content)


def _announces(text: str) -> bool:
    return text.rstrip().endswith((":", "…", "..."))


def _named_organisation(name: str, text: str) -> bool:
    """A proper name: an acronym, several capitalised words, or a text that calls it an
    organisation ("Ressources, a network of ...")."""
    content = [w for w in name.split() if not is_connector(w)]
    capitalised = sum(w[:1].isupper() for w in content)
    head = " ".join(fold(text).split()[:16])
    return (is_acronym(content[0]) if content else False) or capitalised >= 2 or (
        _first_position(head, _words("organisation_words")) is not None
    )


def _defines(head: Head, unit: str) -> bool:
    """A list item defines an organisation when something follows its name."""
    rest = LIST_MARK_RE.sub("", head.rest).strip()
    return len(rest.split()) >= 2 and _named_organisation(head.name, unit)


def _same_words(a: str, b: str) -> bool:
    wa = {w for w in re.split(r"[^a-z0-9]+", fold(a)) if len(w) > 2}
    wb = {w for w in re.split(r"[^a-z0-9]+", fold(b)) if len(w) > 2}
    return bool(wa) and len(wa & wb) >= 0.6 * len(wa)


def _mentions_heading(unit: str, heading: str) -> bool:
    return _same_words(heading, unit) or name_key(heading)[:12] in name_key(unit)


def extract_mentions(info: DocumentInfo, chunks: Sequence[Chunk],
                     chunk_ids: Sequence[str]) -> list[Mention]:
    """Every organisation mention of one document, each with the unit it came from."""
    return DocumentReader(info, chunks, chunk_ids).read()


def spelled_aliases(mentions: Sequence[Mention],
                    chunks: Sequence[tuple[str, str]]) -> list[Mention]:
    """Long names anywhere in the corpus whose initials spell a known acronym
    ("Mouvement Ouvrier Chrétien" -> MOC, "Wereldsolidariteit-Solidarité Mondiale" -> WSM).

    ``chunks`` are (chunk_id, unit text) pairs; returns new alias mentions. Ingestion does
    the same per document (``assistant.directory_store``), with the same pieces."""
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
    for pair in sorted(_opening_pairs(words)):  # sorted: the same mentions every run
        for letters in by_first.get(pair, ()):
            if set(letters) <= initials:
                run = _spelled_run(words, letters)
                if run:
                    runs.append((letters, run))
    return runs


def _opening_pairs(words: Sequence[str]) -> set[str]:
    """The first two letters any spelled run of the clause can give: a run starts at a
    capitalised word or an organisation noun; its first word gives one to three letters,
    and a connector after it gives its initial or nothing (see ``_spell``)."""
    org_words = _words("organisation_words")
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
                content[0], _words("organisation_words"))
            if len(content) >= 2 and (not lowercase or leading_noun) and initials_match(
                letters, run
            ):
                return clean_name(_original_span(words, start, end))
    return ""


def _original_span(words: list[str], start: int, end: int) -> str:
    return " ".join(words[start:end])
