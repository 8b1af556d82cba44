"""Directory questions: which organisations work on a theme, are based somewhere, belong
to a network or are partners of another; answered with the complete list, each entry
with its one-line description and the passage it comes from.

A question goes to the directory when it asks for organisations (word lists in
``assistant/directory/data/directory.toml``) *and* names a theme, a town or a relation the directory
can filter on; every other question keeps the passage pipeline. The routing is
measured on the dev set (README).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assistant.answering.matching import supported, text_stems
from assistant.core.messages import message
from assistant.core.names import is_acronym, names_in
from assistant.core.text import STOPWORDS, fold, has_word, tokenize_words, without_words
from assistant.core.types import Answer, Citation, Passage
from assistant.directory.extraction.mention import Mention
from assistant.directory.extraction.spelling import spelled_aliases
from assistant.directory.extraction.vocabulary import vocabulary
from assistant.directory.organisations import (
    Directory,
    Organisation,
    Source,
    Theme,
    build_directory,
    find_themes,
    keyword_concepts,
    town_key,
    town_names,
)
from assistant.retrieval.hybrid import NodeWithScore, passage_from
from assistant.store.chroma import get_all

MEMBERSHIP = {"member_of", "part_of"}
PARTNERSHIP = {"partner_of", "coordinates"}


@dataclass
class DirectoryQuery:
    """What a question asks of the directory."""

    asks_organisations: bool
    themes: list[Theme] = field(default_factory=list)
    town: str = ""
    relation: set[str] = field(default_factory=set)
    named: list[Organisation] = field(default_factory=list)
    extra_words: list[str] = field(default_factory=list)
    concepts: dict[str, set[int]] = field(default_factory=dict)  # theme id -> concepts named

    @property
    def filters(self) -> bool:
        """A question that names an organisation is about it ("Quels mouvements Solidarité
        Mondiale soutenait-elle ?"), unless it asks for its members or partners: measured on
        the dev set, routing it to the directory lost d11."""
        if self.named:
            return bool(self.relation)
        return bool(self.themes or self.town)


def _cues(language: str, key: str) -> list[str]:
    routing = vocabulary()["routing"]
    return [fold(c) for c in routing.get(language, routing["fr"])[key]]


def cited_fact(org: Organisation, query: DirectoryQuery) -> tuple[str, Source | None]:
    """What to say of an organisation in an answer, and the passage it comes from: for a
    theme question, the passage that gave it the theme."""
    for theme in query.themes:
        if theme.id in org.theme_sources:
            description, source = org.theme_sources[theme.id]
            return description or source.text, source
    return org.description, org.sources[0] if org.sources else None


def relation_source(org: Organisation, query: DirectoryQuery,
                    directory: Directory | None) -> Source | None:
    """For a member or partner question, the sentence that relates the organisation to the
    one named ("Nous sommes membre actif de ... telles que le CNCD-11.11.11"): cited beside
    the description, so the reader sees why it is listed."""
    if directory is None or not query.relation:
        return None
    for named in query.named:
        for relation in directory.relations_between(org, named, query.relation):
            return relation.source
    return None


def parse_query(question: str, language: str, directory: Directory) -> DirectoryQuery:
    folded = " ".join(re.split(r"[^a-z0-9'-]+", fold(question))).strip()
    asks = (has_word(folded, _cues(language, "asks_organisations"))
            or _opens_on_who_noun(folded)) and not _asks_for_other(folded)
    named = directory.named_in(question)
    named += [o for o in _acronyms_in(question, directory) if o not in named]
    relation: set[str] = set()
    # One organisation named: its relations; two ("les partenaires du MOC dans le réseau
    # AID") is a question the passages answer better.
    if len(named) == 1 and has_word(folded, _cues(language, "member_of")):
        relation |= MEMBERSHIP
    if len(named) == 1 and has_word(folded, _cues(language, "partner_of")):
        relation |= PARTNERSHIP
    town = _town_in(folded, directory)
    # "Solidarité Mondiale" names an organisation, not the theme "mondialisation".
    topic = without_names(question, named)
    query = DirectoryQuery(asks, find_themes(topic), town, relation, named,
                           concepts=keyword_concepts(topic))
    query.extra_words = _extra_words(question, query, language)
    return query


ASKED_NOUN = re.compile(r"^(?:(?:et|and) )?(?:quel|quelle|quels|quelles|which|what) ([a-z][a-z-]+)")


def _singulars(noun: str) -> set[str]:
    return {noun, noun.removesuffix("s"), noun.removesuffix("x"), re.sub(r"ies$", "y", noun),
            noun.replace("s-", "-").removesuffix("s")}


def _opens_on_who_noun(folded: str) -> bool:
    """"Which partner works on ...", "Quelle fédération ...": the noun asked for is a kind
    of organisation, in any number, without a cue phrase for each."""
    match = ASKED_NOUN.match(folded)
    return match is not None and bool(_singulars(match.group(1)) & set(vocabulary()["who_nouns"]))


def _asks_for_other(folded: str) -> bool:
    """"Et quelles valeurs partage-t-il avec les organisations ... ?" asks for values: the
    noun the question opens on, when it is not an organisation, says what is wanted."""
    match = ASKED_NOUN.match(folded)
    if not match or match.group(1) in STOPWORDS:
        return False
    noun = match.group(1)
    words = vocabulary()
    known = {*words["organisation_words"], *words["who_nouns"]}
    return not _singulars(noun) & known


def without_names(question: str, named: Sequence[Organisation]) -> str:
    """The question folded, with the named organisations' names blanked out."""
    return without_words(question, [n for org in named for n in org.all_names()])


def _acronyms_in(question: str, directory: Directory) -> list[Organisation]:
    found = []
    for token in re.findall(r"[A-Za-zÀ-ÿ0-9.'’-]+", question):
        if is_acronym(token):
            org = directory.find(token)
            if org and org not in found:
                found.append(org)
    return found


def _town_in(folded: str, directory: Directory) -> str:
    padded = f" {town_key(folded)} "
    known = {town_key(t): t for t in directory.towns()}
    for canonical, others in vocabulary().get("towns", {}).items():
        known.setdefault(town_key(canonical), canonical)
        for other in others:
            known.setdefault(town_key(other), canonical)
    for name, town in sorted(known.items(), key=lambda kv: -len(kv[0])):
        if name and f" {name} " in padded:
            return town
    return ""


def _extra_words(question: str, query: DirectoryQuery, language: str) -> list[str]:
    """Question words that are not routing words, names or the town."""
    ignore: set[str] = set(STOPWORDS)
    for key in ("asks_organisations", "member_of", "partner_of"):
        for cue in _cues(language, key):
            ignore |= set(tokenize_words(cue))
    ignore |= {fold(w) for w in vocabulary()["organisation_words"]}
    ignore |= {fold(w) for w in vocabulary()["question_filler"]}
    for org in query.named:
        for name in org.all_names():
            ignore |= set(tokenize_words(name))
    ignore |= set(tokenize_words(" ".join(town_names(query.town)))) if query.town else set()
    # The theme's own words stay: "undocumented" narrows the migration list to the
    # organisations that say so (measured on the check set: precision 0.73 -> 0.78).
    return [w for w in tokenize_words(question) if w not in ignore and len(w) > 2]


def search(query: DirectoryQuery, directory: Directory) -> list[Organisation]:
    """The complete list of organisations the filters select (empty when none applies)."""
    if not query.filters:
        return []
    candidates = list(directory.organisations)
    selected = 0  # how many the theme selected, before its narrower concepts kept some
    if query.relation and query.named:
        related: list[Organisation] = []
        for org in query.named:
            related += [o for o in directory.related(org, query.relation) if o not in related]
        candidates = [o for o in candidates if o in related]
    if query.themes:
        with_themes = directory.with_themes(t.id for t in query.themes)
        if not with_themes and len(query.themes) > 1:  # no organisation has them all
            with_themes = [o for o in directory.organisations
                           if any(t.id in o.themes for t in query.themes)]
        themed = [o for o in candidates if o in with_themes]
        candidates = narrow_to_concepts(themed, query)
        selected = len(themed)
    words = list(query.extra_words)
    if query.town:
        in_town = directory.in_town(query.town)
        located = [o for o in candidates if o in in_town]
        if located or not query.relation:
            candidates = located
        else:  # "the MOC federation of Liège": the town says which part of the network,
            # in the passages that relate them
            words += tokenize_words(query.town)
            query.town = ""
    texts = {id(o): o.text for o in candidates}
    if query.relation:  # "strategic alliances" is said in the passage that relates them
        for org in candidates:
            for named in query.named:
                texts[id(org)] += " " + " ".join(
                    directory.relation_evidence(org, named, query.relation))
    return refine(candidates, words, texts, selected)


def narrow_to_concepts(candidates: list[Organisation],
                       query: DirectoryQuery) -> list[Organisation]:
    """A question that names one of a theme's narrower concepts ("sans-papiers" in
    migration, "fracture numérique" in digital) keeps the organisations whose own text
    names one of them, when some do; a question that names the theme's own concept (0:
    "migration") wants it whole."""
    wanted = {(theme, c) for theme, concepts in query.concepts.items() for c in concepts
              if c and 0 not in concepts}  # "solidarity and development cooperation": broad
    if not wanted:
        return candidates
    naming = [o for o in candidates
              if any(c in o.concepts.get(theme, set()) for theme, c in wanted)]
    return naming or candidates


REFINE_ABOVE = 3  # short lists stay whole: a word missing from one entry is weak evidence


def refine(candidates: list[Organisation], words: Sequence[str],
           texts: Mapping[int, str] | None = None, selected: int = 0) -> list[Organisation]:
    """The question's other words narrow the list when some organisations hold them
    ("a more democratic school system": the school organisations that say democratic);
    when none does, the whole list stands (a theme question wants it complete)."""
    if not candidates or not words or max(len(candidates), selected) <= REFINE_ABOVE:
        return candidates
    text_of = texts or {}
    matches = {id(o): sum(supported(w, text_stems(text_of.get(id(o), o.text))) for w in words)
               for o in candidates}
    best = max(matches.values())
    if best == 0:
        return candidates
    return [o for o in candidates if matches[id(o)] == best]


# --------------------------------------------------------------------------- loading


def load_directory(orgs_collection: Any, chunk_texts: Sequence[tuple[str, str]]) -> Directory:
    """The directory of a store generation: its mentions, plus long names anywhere in the
    corpus whose initials spell a known acronym."""
    got = get_all(orgs_collection, ["documents"])
    mentions = [Mention.from_dict(json.loads(doc)) for doc in got["documents"] or []]
    return build_directory([*mentions, *spelled_aliases(mentions, chunk_texts)])


# --------------------------------------------------------------------------- answers

# The passages' answer replaces the directory's list when the fitted model's probability
# of its best sentence is at least this and its passage is the page of an organisation the
# list leaves out ("Which organisation speaks for lifelong learning at European level?":
# the Lifelong Learning Platform's own page, against a "training" list without it). Chosen
# by a sweep on the 355 tune questions (bench/QUALITY.md, 2026-12-07): 262 right from 0 to
# 0.25, 264 from 0.30 to 0.40, 263 at 0.45-0.5, 261 at 0.7, 260 never; the middle of the best.
PASSAGES_OVER_LIST = 0.35


def passages_answer_instead(answer: Answer, found: Sequence[Organisation],
                            directory: Directory) -> bool:
    """Is the passages' answer to an organisation question better evidence than the
    directory's list: confident, and from the page of an organisation not in the list?"""
    if answer.abstained or not answer.citations or answer.confidence < PASSAGES_OVER_LIST:
        return False
    owner = answer.citations[0].passage.organisation
    listed = directory.find(owner) if owner else None
    return listed is not None and listed not in found


def naming_its_organisation(answer: Answer, language: str) -> Answer:
    """An organisation question answered by a sentence that names no organisation ("Les
    axes principaux sur lesquels nous agissons sont : accueil des enfants ...") says whose
    page it quotes first: "Amis d'Aladdin : Les axes principaux ..."."""
    if answer.abstained or not answer.citations:
        return answer
    owner = answer.citations[0].passage.organisation
    if owner and not names_in(answer.text):
        answer.text = message("answer_of_organisation", language, organisation=owner,
                              answer=answer.text)
    return answer


def criteria_label(query: DirectoryQuery, language: str) -> str:
    parts = [t.label(language) for t in query.themes]
    if query.town:
        parts.append(message("directory_criteria_town", language, town=query.town))
    if query.relation and query.named:
        names = ", ".join(o.name for o in query.named)
        parts.append(message("directory_criteria_related", language, name=names))
    return ", ".join(parts)


def short_description(org: Organisation, text: str = "", limit: int = 140) -> str:
    """The description without the organisation's name leading it ("CSC, Confederation ...")."""
    text = text or org.description or (org.sources[0].text if org.sources else "")
    for name in sorted(org.all_names(), key=len, reverse=True):
        leading = rf"^(?:the |le |la |l['’])?{re.escape(name)}\s*(?:\([^)]*\))?\s*[,:\-–]\s*"
        stripped = re.sub(leading, "", text, flags=re.IGNORECASE)
        if stripped != text:
            text = stripped
            break
    text = text.strip()
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:") + " …"
    return text


def compose_directory_answer(query: DirectoryQuery, found: Sequence[Organisation],
                             language: str, nodes: Mapping[str, Any], limit: int,
                             directory: Directory | None = None) -> Answer:
    """One line per organisation: its name, one-line description and the cited passage."""
    sources: list[Passage] = []
    rank_of: dict[str, int] = {}
    lines = [message("directory_intro", language, criteria=criteria_label(query, language),
                     count=len(found))]
    citations: list[Citation] = []
    for org in found[:limit]:
        fact, source = cited_fact(org, query)
        if source is None or source.chunk_id not in nodes:
            source = next((s for s in org.sources if s.chunk_id in nodes), None)
        cited: list[int] = []  # this line's citation numbers
        related = relation_source(org, query, directory)
        for evidence in (source, related):
            if evidence is None or evidence.chunk_id not in nodes:
                continue
            if evidence.chunk_id not in rank_of:
                rank_of[evidence.chunk_id] = len(sources) + 1
                sources.append(passage_from(
                    NodeWithScore(node=nodes[evidence.chunk_id], score=1.0),
                    rank_of[evidence.chunk_id]))
            passage = sources[rank_of[evidence.chunk_id] - 1]
            if passage.rank not in cited:  # description and relation in one passage: once
                cited.append(passage.rank)
                citations.append(Citation(passage.rank, passage, evidence.text))
        description = short_description(org, fact)
        cite = "".join(f" [{rank}]" for rank in cited)
        lines.append(f"- {org.title}" + (f" — {description}" if description else "") + cite)
    if len(found) > limit:
        lines.append(message("directory_more", language, count=len(found) - limit))
    return Answer("\n".join(lines), False, language, sources=sources, citations=citations,
                  route="directory")
