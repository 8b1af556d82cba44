"""The evidence a question is answered from: the retrieved passages (plus, for "What is
X?", the passage the directory took X's description from, and the section of a retrieved
document that the question names), their units, and the question's vector."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import zip_longest

import numpy as np

from assistant.answering.detectors import YEAR
from assistant.answering.features import section_match
from assistant.answering.matching import passage_context, text_stems
from assistant.answering.profile import QuestionProfile, profile_question, search_text
from assistant.core.text import analyze
from assistant.core.types import Passage, Unit
from assistant.directory.organisations import Directory
from assistant.retrieval.expansion import acronym_expansions
from assistant.retrieval.hybrid import HybridRetriever


@dataclass
class Evidence:
    sources: list[Passage]  # top_k passages, in rank order
    units: list[Unit]  # their sentences and list items, with vectors
    query_vector: np.ndarray


def gather_evidence(question: str, language: str, retriever: HybridRetriever,
                    directory: Callable[[], Directory], top_k: int,
                    aliases_of: Callable[[str], Sequence[str]], *,
                    section_passages: int = 0, naming_passages: int = 0,
                    timeline_passages: int = 0) -> Evidence:
    """Retrieve for the question (without its instruction words) and read the units:
    ``top_k`` passages, then up to ``section_passages`` named sections (``named_sections``)
    up to ``timeline_passages`` dated chunks of the first document for a history
    (``dated_passages``), and up to ``naming_passages`` passages of the page of each
    organisation asked that no other passage names (``pages_of_the_unnamed``)."""
    query = search_text(question, language)
    passages = retriever.retrieve(
        query, acronym_expansions(question, retriever.statistics, aliases_of))
    profile = profile_question(question, language)
    if profile.kind.selector == "comparison" and len(profile.strong_names) > 1:
        passages = interleaved([passages, *(
            retriever.retrieve(without_other_names(query, name, profile.strong_names))
            for name in profile.strong_names)])
    query_vector = retriever.query_vector(query)
    extra = describing_passages(question, language, passages[:top_k], retriever, directory,
                                top_k)
    # The describing passage takes the last places: the sources stay top_k long.
    sources = passages[: top_k - len(extra)] + [
        replace(p, rank=top_k - len(extra) + i) for i, p in enumerate(extra, start=1)]
    if section_passages > 0:
        sources = appended(sources, named_sections(profile, sources, retriever)[
            :section_passages])
    if profile.kind.selector == "timeline" and timeline_passages > 0:
        sources = appended(sources, dated_passages(sources, retriever)[:timeline_passages])
    if naming_passages > 0:
        sources = appended(sources, pages_of_the_unnamed(profile, sources, retriever,
                                                         query_vector, naming_passages))
    return Evidence(sources, retriever.units_for(sources), query_vector)


def appended(sources: list[Passage], added: Sequence[Passage]) -> list[Passage]:
    """The sources with passages added after them, ranked on from the last."""
    return sources + [replace(p, rank=len(sources) + i) for i, p in enumerate(added, start=1)]


def pages_of_the_unnamed(profile: QuestionProfile, sources: Sequence[Passage],
                         retriever: HybridRetriever, query_vector: np.ndarray,
                         limit: int) -> list[Passage]:
    """For each organisation the question names that no source names by the rarest word of
    its name: up to ``limit`` chunks of the documents that write that word, the closest to
    the question first. Pages of other organisations in the question's language can outrank
    every page of the one asked on their words alone ("Combien de séminaires de formation
    l'EZA organise-t-elle ?": union training pages in French over EZA's English page, which
    "EZA" alone does not lift into the top passages); the engine then has nothing it may
    answer from (checks.names_the_organisation)."""
    found: list[Passage] = []
    for name in profile.strong_names:
        stems = analyze(name)
        if not stems:
            continue
        rarest = max(stems, key=retriever.statistics.idf_of)
        if any(rarest in text_stems(passage_context(p)) for p in [*sources, *found]):
            continue
        have = {p.chunk_id for p in [*sources, *found]}
        found += [p for p in retriever.passages_holding(rarest, query_vector, limit + len(have))
                  if p.chunk_id not in have][:limit]
    return found


def dated_passages(sources: Sequence[Passage], retriever: HybridRetriever) -> list[Passage]:
    """The chunks of the first retrieved document that hold a year and that retrieval did
    not bring, in the order of its text: "Résume les grandes étapes de l'histoire de SOS
    Faim" retrieves the chunks on its founding and on its microfinance work, not the one
    in between that holds 1966; a history reads its document's dates."""
    if not sources:
        return []
    have = {p.chunk_id for p in sources}
    return [p for p in retriever.document_passages(sources[0].source)
            if p.chunk_id not in have and YEAR.search(p.text)]


def named_sections(profile: QuestionProfile, sources: Sequence[Passage],
                   retriever: HybridRetriever) -> list[Passage]:
    """The chunks of the retrieved documents (in their rank order) whose section heading
    holds a word of the question other than a name, that retrieval did not bring: the
    "Historique" section of a page retrieved for its address and mission, for "Résume
    l'histoire de WSM" (the question shares "WSM" with every passage and "histoire" with the
    heading alone). They come after the retrieved passages, which keep their places."""
    have = {p.chunk_id for p in sources}
    found = []
    for document in dict.fromkeys(p.source for p in sources):
        for passage in retriever.document_passages(document):
            if (passage.chunk_id not in have and passage.section
                    and section_match(profile, passage.section)):
                have.add(passage.chunk_id)
                found.append(passage)
    return found


def without_other_names(query: str, name: str, names: Sequence[str]) -> str:
    """The question about one of the organisations it compares ("Qu'ont en commun X et Y ?"
    -> "Qu'ont en commun X et ?"): each gets its own evidence."""
    for other in names:
        if other != name:
            query = query.replace(other, " ")
    return " ".join(query.split())


def interleaved(rankings: Sequence[Sequence[Passage]]) -> list[Passage]:
    """One ranking from several, taking each one's next passage in turn, without repeats;
    ranks renumbered."""
    seen: set[str] = set()
    merged: list[Passage] = []
    for row in zip_longest(*rankings):
        for passage in row:
            if passage is not None and passage.chunk_id not in seen:
                seen.add(passage.chunk_id)
                merged.append(replace(passage, rank=len(merged) + 1))
    return merged


def describing_passages(question: str, language: str, sources: Sequence[Passage],
                        retriever: HybridRetriever, directory: Callable[[], Directory],
                        top_k: int) -> list[Passage]:
    """For "Le CIEP, c'est quoi ?": the passage the directory took the organisation's
    description from, when retrieval missed it (a one-line list item like "CIEP,
    Christian Workers' Movement's Centre for Popular Information and Education" ranks
    low in BM25 and dense search over longer passages)."""
    profile = profile_question(question, language)
    if not profile.defines:
        return []
    found = directory()
    have = {p.chunk_id for p in sources}
    extra: list[Passage] = []
    for name in profile.names:
        org = found.find(name)
        passage = retriever.passage_of(org.sources[0].chunk_id) if org and org.sources else None
        if passage is not None and passage.chunk_id not in have:
            have.add(passage.chunk_id)
            extra.append(passage)
    return extra[: max(0, top_k - 1)]
