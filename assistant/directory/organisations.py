"""The organisation directory: mentions merged into organisations, with themes.

Mentions (``assistant.directory.extraction``) of one organisation are merged when they share a
name, an alias, an acronym, or when a long name's initials spell a known acronym (FOPES =
"faculté Ouverte de Politique Économique et Sociale"). Themes come from the bilingual
vocabulary in ``data/themes.toml``: a theme's keyword in what the corpus says of the
organisation (its entry, description, names, or the headings above it).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from assistant.core.names import is_acronym
from assistant.core.text import STOPWORDS, fold, folded_words, has_word, term_sequence
from assistant.core.wordlists import word_lists
from assistant.directory.extraction.mention import Mention
from assistant.directory.extraction.names import initials_of, name_key
from assistant.directory.extraction.vocabulary import vocabulary

# --------------------------------------------------------------------------- themes


@dataclass(frozen=True)
class Theme:
    id: str
    fr: str
    en: str
    keywords: tuple[tuple[str, ...], ...]  # each keyword as its sequence of stems
    description: str
    gaps: tuple[tuple[int, ...], ...] = ()  # stop words before each stem, per keyword
    concepts: tuple[int, ...] = ()  # per keyword, its concept (0 names the theme itself)

    def label(self, language: str) -> str:
        return self.en if language == "en" else self.fr


@cache
def themes() -> tuple[Theme, ...]:
    data = word_lists("directory", "themes")["themes"]
    found = []
    for key, value in data.items():
        keyed = [(index, term_sequence(word))
                 for index, concept in enumerate(value["keywords"])
                 for word in ([concept] if isinstance(concept, str) else concept)]
        keyed = [(index, seq) for index, seq in keyed if seq]
        found.append(Theme(key, value["fr"], value["en"],
                           tuple(tuple(t for t, _ in seq) for _, seq in keyed),
                           value["description"],
                           tuple(tuple(g for _, g in seq) for _, seq in keyed),
                           tuple(index for index, _ in keyed)))
    return tuple(found)


def theme_by_id(theme_id: str) -> Theme | None:
    return next((t for t in themes() if t.id == theme_id), None)


def keyword_matches(text: str) -> list[tuple[Theme, int]]:
    """(theme, keyword index) of each keyword found in the text (stems, accent-free,
    phrases in order).

    Longer keywords are matched first and consume their words: "éducation permanente" is
    permanent education, not also education; "lifelong learning" is training."""
    sequence = term_sequence(text)
    terms = [t for t, _ in sequence]
    claimed = [0] * len(terms)  # length of the longest keyword that matched each word
    found: list[tuple[Theme, int]] = []
    present = set(terms)
    for phrase, gaps, theme, index in _phrases_longest_first():
        if phrase[0] not in present:
            continue
        size = len(phrase)
        for start in range(len(terms) - size + 1):
            span = range(start, start + size)
            if tuple(terms[start : start + size]) == phrase and all(
                claimed[i] <= size for i in span  # a keyword of two themes counts for both
            ) and all(  # the phrase's words as close as in the keyword
                sequence[start + i][1] <= gaps[i] for i in range(1, size)
            ):
                found.append((theme, index))
                for i in span:
                    claimed[i] = size
    return found


@cache
def _phrases_longest_first() -> list[tuple[tuple[str, ...], tuple[int, ...], Theme, int]]:
    return sorted(((p, g, t, i) for t in themes()
                   for i, (p, g) in enumerate(zip(t.keywords, t.gaps, strict=True))),
                  key=lambda x: -len(x[0]))


def keyword_themes(text: str) -> dict[str, str]:
    """Theme id -> the (first) keyword found in the text, as stems."""
    found: dict[str, str] = {}
    for theme, index in keyword_matches(text):
        found.setdefault(theme.id, " ".join(theme.keywords[index]))
    return found


def keyword_concepts(text: str) -> dict[str, set[int]]:
    """Theme id -> the concepts (keyword groups of themes.toml) the text names."""
    found: dict[str, set[int]] = {}
    for theme, index in keyword_matches(text):
        found.setdefault(theme.id, set()).add(theme.concepts[index])
    return found


def find_themes(query: str) -> list[Theme]:
    """Themes a query names: a keyword, or the theme's label in either language."""
    folded = fold(query).strip()
    direct = [t for t in themes() if folded in {t.id, fold(t.fr), fold(t.en)}]
    if direct:
        return direct
    ids = keyword_themes(query)
    return [t for t in themes() if t.id in ids]


# --------------------------------------------------------------------------- organisations


@dataclass(frozen=True)
class Source:
    chunk_id: str
    text: str
    document: str = ""  # the corpus file


@dataclass(frozen=True)
class Relation:
    kind: str  # member_of, partner_of, part_of, coordinates, created_by
    target: str  # the organisation's key (or the raw name when it is not in the directory)
    target_name: str
    source: Source
    context: str = ""  # the lead-in that announced it ("Ses partenaires privilégiés sont :")


@dataclass
class Organisation:
    key: str
    name: str  # short name: the acronym when there is one
    full_name: str  # the long name, "" when only an acronym is known
    aliases: list[str]
    description: str
    sources: list[Source]
    town: str = ""
    address: str = ""
    website: str = ""
    themes: dict[str, str] = field(default_factory=dict)  # id -> why
    theme_sources: dict[str, tuple[str, Source]] = field(default_factory=dict)  # id -> (desc, src)
    concepts: dict[str, set[int]] = field(default_factory=dict)  # theme id -> concepts named
    relations: list[Relation] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    text: str = ""  # what the corpus says of it, for searching
    vectors: np.ndarray | None = None

    @property
    def title(self) -> str:
        if self.full_name and name_key(self.full_name) != name_key(self.name):
            return f"{self.full_name} ({self.name})"
        return self.name

    def all_names(self) -> list[str]:
        return [n for n in dict.fromkeys([self.name, self.full_name, *self.aliases]) if n]

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name, "full_name": self.full_name, "aliases": self.aliases,
            "description": self.description, "town": self.town, "address": self.address,
            "website": self.website, "themes": sorted(self.themes),
            "relations": [
                {"kind": r.kind, "target": r.target_name} for r in self.relations
            ],
            "sources": [{"chunk_id": s.chunk_id, "document": s.document, "text": s.text}
                        for s in self.sources],
        }


def mention_keys(mention: Mention) -> set[str]:
    keys: set[str] = set()
    for name in (mention.name, *mention.aliases):
        keys |= name_keys(name)
    return keys


def name_keys(name: str) -> set[str]:
    """"ACV-CSC" -> {acvcsc, acv, csc}; "Réseau Financité" -> {reseaufinancite, financite}."""
    keys = {name_key(name)}
    parts = [p for p in re.split(r"[-/]", name) if p]
    if len(parts) > 1 and all(is_acronym(p) and len(p) >= 2 for p in parts):
        keys |= {name_key(p) for p in parts}
    words = name.split()
    if len(words) >= 2 and has_word(words[0], frozenset(vocabulary()["organisation_words"])) and (
        all(w[:1].isupper() for w in words[1:])
    ):
        keys.add(name_key(" ".join(words[1:])))
    keys.discard("")
    return keys


class _Groups:
    """Union-find over mention indexes."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> None:
        self.parent[self.find(a)] = self.find(b)


def merge_mentions(mentions: Sequence[Mention]) -> list[list[Mention]]:
    """Groups of mentions of the same organisation."""
    acronyms = {
        name_key(n) for m in mentions for n in (m.name, *m.aliases) if is_acronym(n)
    }
    groups = _Groups(len(mentions))
    owner: dict[str, int] = {}
    for index, mention in enumerate(mentions):
        keys = mention_keys(mention)
        for name in (mention.name, *mention.aliases):
            spelled = initials_of(name).lower()
            if spelled and spelled in acronyms:
                keys.add(spelled)
        for key in keys:
            if key in owner:
                groups.union(index, owner[key])
            else:
                owner[key] = index
    merged: dict[int, list[Mention]] = {}
    for index, mention in enumerate(mentions):
        merged.setdefault(groups.find(index), []).append(mention)
    return list(merged.values())


def _keeps(group: Sequence[Mention], lowercase: frozenset[str]) -> bool:
    """Mentions in passing enter the directory only with a fact: a relation, a description,
    or a name that says it is an organisation ("réseau belge des ressources naturelles").
    A lone common word opening an entry ("Actuellement, quelque 280 asbl ...", "Members:",
    "Currently, ...") names nobody: ``lowercase`` holds the words the corpus writes in
    lowercase."""
    if all(common_word(n, lowercase) for m in group for n in (m.name, *m.aliases)) and not any(
            calls_it_an_organisation(m.description, m.name) for m in group):
        return False
    org_words = frozenset(vocabulary()["organisation_words"])
    return any(
        m.defined or m.relations or m.description or m.town or m.website
        or any(has_word(n, org_words) and _proper(n, m.aliases) for n in (m.name, *m.aliases))
        for m in group
    )


def common_word(name: str, lowercase: frozenset[str]) -> bool:
    """A single word, no acronym, that is a stop word or that the corpus also writes in
    lowercase: a sentence's first word, not a name."""
    words = name.split()
    if len(words) != 1 or is_acronym(name):
        return False
    folded = fold(name)
    return folded in STOPWORDS or folded in lowercase


DEFINITE_OPENINGS = ("a", "an", "un", "une", "the", "le", "la", "l")


def calls_it_an_organisation(description: str, name: str) -> bool:
    """Does the description, after the name it may open on, call it an organisation ("a
    network of ...", "une asbl qui ...")? "Ressources, a network of ..." does; "Actuellement,
    quelque 280 asbl sont reconnues" does not."""
    words = folded_words(description).split()
    named = folded_words(name).split()
    if words[:len(named)] == named:
        words = words[len(named):]
    words = words[:3]
    org_words = frozenset(vocabulary()["organisation_words"])
    return bool(words) and words[0] in DEFINITE_OPENINGS and any(w in org_words for w in words[1:])


def lowercase_words(mentions: Sequence[Mention]) -> frozenset[str]:
    """The words the mentions' sentences write in lowercase (folded)."""
    return frozenset(fold(w) for m in mentions for w in re.findall(r"\b[^\W\d_]+\b", m.evidence)
                     if w.islower())


def _proper(name: str, aliases: Sequence[str]) -> bool:
    """A proper name: several capitalised words, or an acronym beside it."""
    capitalised = sum(w[:1].isupper() for w in name.split())
    return capitalised >= 2 or any(is_acronym(a) for a in aliases) or is_acronym(name)


def _choose_names(group: Sequence[Mention]) -> tuple[str, str, list[str]]:
    counts: Counter[str] = Counter()
    for mention in group:
        counts[mention.name] += 3 if mention.defined else 1
        for alias in mention.aliases:
            counts[alias] += 1
    names = list(counts)
    acronyms = [n for n in names if is_acronym(n)]
    long_names = [n for n in names if not is_acronym(n)]
    short = max(acronyms, key=lambda n: (counts[n], -len(n)), default="")
    full = max(long_names, key=lambda n: (counts[n], len(n)), default="")
    name = short or full
    aliases = [n for n in names if n not in (name, full)]
    return name, (full if short else ""), _distinct(aliases, {name_key(name), name_key(full)})


def _distinct(names: Iterable[str], taken: set[str]) -> list[str]:
    kept: list[str] = []
    for name in sorted(names, key=len, reverse=True):
        key = name_key(name)
        if key and key not in taken and not any(t.startswith(key) for t in taken):
            kept.append(name)
            taken.add(key)
    return sorted(kept)


def build_organisation(group: Sequence[Mention], vectors: np.ndarray | None) -> Organisation:
    name, full_name, aliases = _choose_names(group)
    defined = [m for m in group if m.defined]
    described = defined or [m for m in group if m.description]
    description = next((m.description for m in described if m.description), "")
    # A dict keeps the order and tests membership at once: the list's "in" made this
    # quadratic in an organisation's mentions (410 s at x1000, where the MOC has thousands).
    sources = list(dict.fromkeys(
        Source(m.chunk_id, m.evidence, m.doc_id)
        for m in sorted(group, key=lambda m: not m.defined) if m.evidence))
    located = next((m for m in group if m.town), None)
    website = next((m.website for m in group if m.website), "")
    org = Organisation(
        key=name_key(name), name=name, full_name=full_name, aliases=aliases,
        description=description, sources=sources,
        town=located.town if located else "", address=located.address if located else "",
        website=website, vectors=vectors,
    )
    for mention in group:
        org.keys |= mention_keys(mention)
    for n in org.all_names():
        spelled = initials_of(n).lower()
        if spelled:
            org.keys.add(spelled)  # "CIRE" finds "Coordination et initiatives pour réfugiés ..."
    org.text = " ".join(dict.fromkeys(
        [*org.all_names(), *(m.own_text for m in defined), *(m.description for m in group),
         *(m.context for m in defined)]
    ))
    return org


def organisation_themes(
    group: Sequence[Mention],
) -> tuple[dict[str, tuple[str, Mention]], dict[str, set[int]]]:
    """Themes from what the corpus says of the organisation itself: its entries, its
    descriptions and the headings above its entries (not sentences naming it in passing);
    each with the keyword found and the mention that holds it (the answer cites it); and
    the concepts of each theme it names."""
    found: dict[str, tuple[str, Mention]] = {}
    concepts: dict[str, set[int]] = {}
    for mention in sorted(group, key=lambda m: not m.defined):
        for theme, index in keyword_matches(theme_text(mention)):
            found.setdefault(theme.id, (f"keyword: {' '.join(theme.keywords[index])}", mention))
            concepts.setdefault(theme.id, set()).add(theme.concepts[index])
    return found, concepts


def theme_text(mention: Mention) -> str:
    """What a mention says of its organisation itself, where its themes are read."""
    pieces = [mention.name, *mention.aliases, mention.description]
    if mention.defined:
        pieces += [mention.own_text, mention.context]
    text = " . ".join(p for p in pieces if p)
    if mention.address:  # "Place de l'Université 16" says where, not what it does
        text = text.replace(mention.address, " ")
    return text


@dataclass
class Directory:
    organisations: list[Organisation]

    def __post_init__(self) -> None:
        self._names: tuple[dict[str, list[Organisation]], int] | None = None
        self._by_key: dict[str, Organisation] = {}
        for org in self.organisations:
            for key in sorted(org.keys | {org.key}):
                self._by_key.setdefault(key, org)

    def __len__(self) -> int:
        return len(self.organisations)

    def find(self, name: str) -> Organisation | None:
        for key in name_keys(name) | {initials_of(name).lower()} - {""}:
            if key in self._by_key:
                return self._by_key[key]
        return None

    def named_in(self, text: str) -> list[Organisation]:
        """Organisations whose name or alias the text contains (whole words), in directory
        order. Looked up by the text's word runs in an index of every name: scanning every
        organisation's names per question took 330 ms at x1000 (24,000 organisations)."""
        index, longest = self._name_index()
        words = folded_words(text).split()
        spans: list[tuple[int, int, Organisation]] = []
        for start in range(len(words)):
            for end in range(start + 1, min(len(words), start + longest) + 1):
                for org in index.get(" ".join(words[start:end]), ()):
                    spans.append((start, end, org))
        # "11.11.11" inside "CNCD-11.11.11" names the CNCD only: a match that lies within
        # another organisation's longer match is not a mention of its own.
        found: set[int] = set()
        for start, end, org in spans:
            if not any(s <= start and end <= e and (e - s) > (end - start) and o is not org
                       for s, e, o in spans):
                found.add(id(org))
        return [o for o in self.organisations if id(o) in found]

    def _name_index(self) -> tuple[dict[str, list[Organisation]], int]:
        if self._names is None:
            index: dict[str, list[Organisation]] = {}
            for org in self.organisations:
                for name in org.all_names():
                    key = folded_words(name)
                    if len(key) >= 2 and org not in index.setdefault(key, []):
                        index[key].append(org)
            longest = max((k.count(" ") + 1 for k in index), default=1)
            self._names = (index, longest)
        return self._names

    def with_themes(self, theme_ids: Iterable[str]) -> list[Organisation]:
        wanted = set(theme_ids)
        return [o for o in self.organisations if wanted <= set(o.themes)]

    def in_town(self, town: str) -> list[Organisation]:
        names = town_names(town)
        located = [o for o in self.organisations if town_key(o.town) in names]
        if located:
            return located
        # Hyphens join: "Wallonia-Brussels Federation" is an institution, not a place.
        return [o for o in self.organisations if has_word(o.text, names, joined="-")]

    def related(self, org: Organisation, kinds: set[str]) -> list[Organisation]:
        """Organisations in one of the relations with ``org``, in either direction."""
        found: list[Organisation] = []
        for other in self.organisations:
            if other is org:
                continue
            if self.relations_between(org, other, kinds):
                found.append(other)
        return found

    def relations_between(self, org: Organisation, other: Organisation,
                          kinds: set[str]) -> list[Relation]:
        """The relations of those kinds between two organisations, in either direction."""
        return [r for a, b in ((org, other), (other, org)) for r in a.relations
                if r.kind in kinds and r.target == b.key]

    def relation_evidence(self, org: Organisation, other: Organisation,
                          kinds: set[str]) -> list[str]:
        """The passages that relate two organisations, with the lead-in that announced each."""
        return [" ".join(filter(None, (r.source.text, r.context)))
                for r in self.relations_between(org, other, kinds)]

    def towns(self) -> list[str]:
        return sorted({o.town for o in self.organisations if o.town})


def town_key(text: str) -> str:
    """A town name as it is compared: folded, "s/" read as "sur" (postal writing of
    "Monceau-sur-Sambre"), hyphens and punctuation as spaces."""
    folded = re.sub(r"\bs/\s*", "sur ", fold(text))
    return " ".join(re.split(r"[^a-z0-9']+", folded)).strip()


def town_names(town: str) -> set[str]:
    folded = town_key(town)
    names = {folded}
    for canonical, others in vocabulary().get("towns", {}).items():
        aliases = {town_key(canonical), *(town_key(o) for o in others)}
        if folded in aliases:
            names |= aliases
    return names


def build_directory(mentions: Sequence[Mention],
                    vectors: Sequence[np.ndarray] | None = None) -> Directory:
    """Merge mentions into organisations; resolve relations to directory entries."""
    vector_of = {id(m): v for m, v in zip(mentions, vectors, strict=True)} if vectors else {}
    organisations: list[Organisation] = []
    pending: list[tuple[Organisation, list[Mention]]] = []
    # A name listed as someone's network or partner is kept even with no fact of its own.
    targets = {key for m in mentions for _, target in m.relations for key in name_keys(target)}
    lowercase = lowercase_words(mentions)
    for group in merge_mentions(mentions):
        if not _keeps(group, lowercase) and not any(mention_keys(m) & targets for m in group):
            continue
        stacked = [vector_of[id(m)] for m in group if id(m) in vector_of]
        org = build_organisation(group, np.vstack(stacked) if stacked else None)
        found, org.concepts = organisation_themes(group)
        for theme_id, (why, mention) in found.items():
            org.themes[theme_id] = why
            org.theme_sources[theme_id] = (
                mention.description, Source(mention.chunk_id, mention.evidence, mention.doc_id))
        organisations.append(org)
        pending.append((org, group))
    directory = Directory(sorted(organisations, key=lambda o: fold(o.title)))
    for org, group in pending:
        for mention in group:
            for kind, target_name in mention.relations:
                target = directory.find(target_name)
                relation = Relation(kind, target.key if target else name_key(target_name),
                                    target.name if target else target_name,
                                    Source(mention.chunk_id, mention.evidence, mention.doc_id),
                                    mention.relation_context if kind == "partner_of" else "")
                if target is not org and not any(
                    (r.kind, r.target) == (relation.kind, relation.target) for r in org.relations
                ):
                    org.relations.append(relation)
    return directory
