"""Word statistics of the indexed chunks: each stem's IDF, and which names are rare.

Built once per index generation (with the retriever), read by the answer engine (how much
a question word weighs) and by query expansion (is an acronym rare enough to expand?)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from assistant.core.text import analyze


def idf_table(texts: Sequence[str]) -> Mapping[str, float]:
    """Smoothed IDF of every stem over the chunk texts."""
    return idf_of_analyzed([analyze(text) for text in texts])


def idf_of_analyzed(analyzed: Sequence[Sequence[str]]) -> Mapping[str, float]:
    """Smoothed IDF of every stem over the chunk texts' analyzer tokens."""
    df: dict[str, int] = {}
    for tokens in analyzed:
        for stem in set(tokens):
            df[stem] = df.get(stem, 0) + 1
    n = max(1, len(analyzed))
    return {stem: math.log(1 + (n - count + 0.5) / (count + 0.5)) for stem, count in df.items()}


class CorpusStatistics:
    """IDF of the index's stems; a stem the index lacks weighs as much as the rarest."""

    def __init__(self, texts: Sequence[str],
                 analyzed: Sequence[Sequence[str]] | None = None,
                 names: Sequence[str] = ()) -> None:
        """``analyzed``: the texts' analyzer tokens, when the caller has them already (the
        retriever's BM25 index needs them too: the corpus is then analyzed once, not twice).
        ``names``: what the documents are called (their file names as words, the
        organisations they are about): their words are in the vocabulary, not in the IDF,
        so that an organisation a page never writes out ("rugby-credit-union-faq.txt") is
        known to the engine's check of the names asked."""
        self.chunks = len(texts)
        if analyzed is None:
            analyzed = [analyze(text) for text in texts]
        self.idf: Mapping[str, float] = idf_of_analyzed(analyzed)
        # Once per index: the max over 100,000 stems took 1 ms a call at x1000.
        self.idf_max = max(self.idf.values(), default=1.0)
        self.vocabulary: set[str] = set(self.idf) | {s for n in names for s in analyze(n)}

    def idf_of(self, stem: str) -> float:
        return self.idf.get(stem, self.idf_max)

    def is_rare(self, name: str, chunks: int) -> bool:
        """Is every stem of the name in at most ``chunks`` chunks?"""
        stems = analyze(name)
        if not stems:
            return False
        n = max(1, self.chunks)
        threshold = math.log(1 + (n - chunks + 0.5) / (chunks + 0.5))
        return all(self.idf_of(s) >= threshold for s in stems)
