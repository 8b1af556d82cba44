"""How strongly each unit answers the question: its evidence combined with the engine's weights."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.answering.detectors import TYPE_PATTERNS
from assistant.answering.matching import (
    coverage,
    name_known,
    passage_context,
    text_stems,
    word_match,
    word_stems,
)
from assistant.answering.profile import QuestionProfile, defines_a_name
from assistant.core.text import tokenize_words
from assistant.core.types import ScoredUnit, Unit


def section_match(profile: QuestionProfile, section: str) -> float:
    """1.0 when a question word (other than an organisation's name) heads the passage."""
    if not section:
        return 0.0
    name_words_ = {w for n in profile.names for w in tokenize_words(n)}
    section_stems = text_stems(section)
    return float(any(
        word_match(word_stems(w), section_stems) > 0 for w in profile.words if w not in name_words_
    ))


def type_bonus(profile: QuestionProfile, text: str) -> float:
    wanted = [TYPE_PATTERNS[k] for k in profile.expects]
    if not wanted:
        return 0.0
    text = profile.without_names(text)
    return 0.08 if any(p.search(text) for p in wanted) else -0.08


@dataclass(frozen=True)
class EngineWeights:
    """How unit evidence is combined; chosen on our own question set (tests/questions.jsonl)."""

    coverage: float = 0.35
    context_coverage: float = 0.15
    rank_prior: float = 0.05
    names: float = 0.15  # share of the organisations named in the question that the passage names
    section: float = 0.15  # the passage's heading matches a question word ("Historique")
    definition: float = 0.1  # "What is X?": a sentence that opens with X and describes it
    min_score: float = 0.95
    followers: float = 0.06  # how close a second unit must be to join a factoid answer


DEFAULT_WEIGHTS = EngineWeights()


def score_units(
    units: Sequence[Unit], profile: QuestionProfile, query_vector: np.ndarray,
    idf: Callable[[str], float], weights: EngineWeights,
) -> list[ScoredUnit]:
    scored = []
    context_cache: dict[str, float] = {}
    names_cache: dict[str, float] = {}
    section_cache: dict[str, float] = {}
    strong_names = profile.strong_names
    for unit in units:
        passage = unit.passage
        if passage.chunk_id not in context_cache:
            context = passage_context(passage)
            context_cache[passage.chunk_id] = coverage(profile.words, context, idf)
            stems = text_stems(context)
            section_cache[passage.chunk_id] = section_match(profile, passage.section)
            names_cache[passage.chunk_id] = (
                sum(name_known(n, stems) for n in strong_names) / len(strong_names)
                if strong_names else 0.0
            )
        dense = float(np.dot(unit.vector, query_vector))
        # A sentence inherits its document's subject: "1974: crée le service Solidarité
        # Mondiale" in a page titled WSM does answer "When was WSM founded?".
        cov = coverage(profile.words, f"{passage.title} {unit.text}", idf)
        score = (
            dense
            + weights.coverage * cov
            + weights.context_coverage * context_cache[passage.chunk_id]
            + weights.names * names_cache[passage.chunk_id]
            + weights.section * section_cache[passage.chunk_id]
            + weights.rank_prior / passage.rank
            + type_bonus(profile, unit.text)
            + (weights.definition if profile.defines
               and defines_a_name(unit.text, profile.names) else 0.0)
        )
        scored.append(ScoredUnit(unit, dense, cov, score))
    return sorted(scored, key=lambda s: s.score, reverse=True)
