"""Query expansion for BM25: the other names of a rare acronym the question names."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assistant.core.names import is_acronym, names_in
from assistant.core.text import fold
from assistant.retrieval.statistics import CorpusStatistics

# An acronym in at most this many chunks gets its other names in the BM25 query.
RARE_CHUNKS = 3


def acronym_expansions(question: str, statistics: CorpusStatistics,
                       aliases_of: Callable[[str], Sequence[str]]) -> list[str]:
    """The directory's other names of the acronyms the question names ("FOPES" ->
    "faculté Ouverte de Politique Économique et Sociale", "Open faculty of ..."): the
    words BM25 needs to find a passage that spells the organisation out. Only for
    acronyms: a full name already holds its words, and its other names (translations,
    former names) would add words the question did not ask about. Only for rare ones: a
    frequent acronym ("WSM", "MOC") already finds its passages; its long names would only
    pull the ranking towards passages that spell it out (measured: MRR down on every
    question set)."""
    found: list[str] = []
    for name in names_in(question):
        if not is_acronym(name) or not statistics.is_rare(name, RARE_CHUNKS):
            continue
        found += [a for a in aliases_of(name) if fold(a) != fold(name) and a not in found]
    return found
