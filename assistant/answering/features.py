"""What the engine knows of each candidate unit, as numbers: the features its fitted model
weighs (assistant/answering/data/unit_model.json, fitted by bench/fit_answer_model.py).

Every feature is general: how close the unit is to the question (embedding, words), whether
it holds what the question's kind asks for (a year, a number, a place...), where it sits
(its passage's rank and names, its heading, its position), what it looks like (a heading, a
list item, its length), its language, and whether the conversation already said it. No
feature names a question, an organisation or a corpus."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.answering.detectors import TYPE_PATTERNS
from assistant.answering.matching import (
    coverage,
    name_known,
    passage_context,
    supported,
    text_stems,
    word_match,
    word_stems,
)
from assistant.answering.profile import QuestionProfile, defines_a_name
from assistant.answering.units import is_list_item
from assistant.core.text import STOPWORDS, tokenize_words
from assistant.core.types import Unit

FEATURES = (
    "dense",  # cosine of the unit's and the question's vectors
    "dense_gap",  # the same, less the best candidate's (0 for the closest unit)
    "rank_prior",  # 1 / the passage's retrieval rank
    "coverage",  # IDF-weighted share of the question's words in the title and the unit
    "context_coverage",  # ... in the whole passage, its title and heading
    "names_passage",  # share of the organisations asked that the passage names
    "names_unit",  # ... that the unit itself names
    "section",  # a question word heads the passage
    "type_match",  # the unit holds the answer type the question asks for (a year...)
    "type_missing",  # the question asks for a type the unit does not hold
    "type_near",  # the type is in the sentence before or after
    "focus_unit",  # the attribute asked ("président", "budget") is in the unit
    "focus_missing",  # the attribute asked is nowhere in the passage
    "defines",  # a definition question, and the unit opens on the name and defines it
    "heading_like",  # short, no verb-like ending punctuation: a heading or navigation line
    "list_item",
    "first_in_passage",
    "log_length",  # log of the unit's length in characters
    "cross_language",  # the passage is in the other language than the question
    "dense_x_cross",  # dense similarity when the languages differ (words cannot match)
    "coverage_x_same",  # word coverage when the languages are the same
    "echo",  # share of the unit's content words that are the question's (it restates it)
    "said_before",  # share of the unit's content words the conversation's answers hold
    "rarest_missing",  # IDF of the rarest question word neither the unit nor its passage
    # holds (same language only: across languages words do not match)
    "dense_alone",  # cosine of the question's vector and the unit's embedded on its own
    "dense_alone_gap",  # the same, less the best candidate's
    "dense_alone_x_cross",  # ... when the languages differ
)
CROSS_LANGUAGE = FEATURES.index("cross_language")
HEADING_MAX_CHARS = 80
ENDS_SENTENCE = re.compile(r"[.!?…:;»\")]\s*$")


@dataclass(frozen=True)
class QuestionContext:
    """What the features of every unit of one question share."""

    profile: QuestionProfile
    query_vector: np.ndarray
    idf: Callable[[str], float]
    said: frozenset[str] = frozenset()  # content words of the conversation's answers


def unit_words(text: str) -> set[str]:
    return {w for w in tokenize_words(text) if w not in STOPWORDS and len(w) > 2}


def said_words(answers: Sequence[str]) -> frozenset[str]:
    """Content words of the assistant's earlier answers (citation markers dropped)."""
    return frozenset(w for a in answers for w in unit_words(re.sub(r"\[\d+\]", " ", a)))


def feature_matrix(units: Sequence[Unit], context: QuestionContext) -> np.ndarray:
    """One row of FEATURES per unit."""
    if not units:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    dense = np.array([float(np.dot(u.vector, context.query_vector)) for u in units])
    alone = np.array([float(np.dot(u.alone_vector, context.query_vector)) for u in units])
    passages: dict[str, tuple[float, float, float, float]] = {}
    by_position = {(u.passage.chunk_id, u.index): u for u in units}
    rows = []
    for unit, similarity, own in zip(units, dense, alone, strict=True):
        passage = unit.passage
        if passage.chunk_id not in passages:
            passages[passage.chunk_id] = passage_features(unit, context)
        context_cov, names_passage, section, focus_missing = passages[passage.chunk_id]
        neighbours = [by_position.get((passage.chunk_id, unit.index + step)) for step in (-1, 1)]
        row = unit_row(unit, context, similarity, float(dense.max()), context_cov,
                       names_passage, section, focus_missing, neighbours)
        cross = row[CROSS_LANGUAGE]
        rows.append([*row, own, own - float(alone.max()), own * cross])
    return np.asarray(rows, dtype=np.float32)


def passage_features(unit: Unit, context: QuestionContext) -> tuple[float, float, float, float]:
    """(context coverage, names in the passage, section match, focus missing)."""
    profile = context.profile
    passage = unit.passage
    text = passage_context(passage)
    stems = text_stems(text)
    names = profile.strong_names
    named = sum(name_known(n, stems) for n in names) / len(names) if names else 0.0
    focus_missing = float(bool(profile.focus) and not all(supported(f, stems)
                                                          for f in profile.focus))
    return (coverage(profile.words, text, context.idf), named,
            section_match(profile, passage.section), focus_missing)


def unit_row(unit: Unit, context: QuestionContext, dense: float, best_dense: float,
             context_cov: float, names_passage: float, section: float, focus_missing: float,
             neighbours: Sequence[Unit | None]) -> list[float]:
    profile = context.profile
    text = unit.text
    cov = coverage(profile.words, f"{unit.passage.title} {text}", context.idf)
    cross = float(bool(unit.passage.language) and unit.passage.language != profile.language)
    typed = holds_type(profile, text)
    near = any(n is not None and holds_type(profile, n.text) for n in neighbours)
    stems = text_stems(text)
    names = profile.strong_names
    words = unit_words(text)
    question_words = set(profile.words)
    rarest_missing = 0.0 if cross else missing_weight(
        profile, text_stems(f"{passage_context(unit.passage)} {text}"), context.idf)
    return [
        dense,
        dense - best_dense,
        1.0 / max(1, unit.passage.rank),
        cov,
        context_cov,
        names_passage,
        sum(name_known(n, stems) for n in names) / len(names) if names else 0.0,
        section,
        float(typed is True),
        float(typed is False),
        float(typed is False and near),
        float(bool(profile.focus) and all(supported(f, stems) for f in profile.focus)),
        focus_missing,
        float(profile.defines and defines_a_name(text, profile.names)),
        float(is_heading_like(text)),
        float(is_list_item(unit)),
        float(unit.index == 0),
        math.log(1 + len(text)),
        cross,
        dense * cross,
        cov * (1 - cross),
        len(words & question_words) / len(words) if words else 0.0,
        len(words & context.said) / len(words) if words and context.said else 0.0,
        rarest_missing,
    ]


def missing_weight(profile: QuestionProfile, stems: frozenset[str],
                   idf: Callable[[str], float]) -> float:
    """The IDF of the rarest question word the text does not hold (0 when it holds all)."""
    missing = [max(idf(s) for s in word_stems(w)) for w in profile.words
               if not supported(w, stems)]
    return max(missing, default=0.0)


def is_heading_like(text: str) -> bool:
    """Short and not ended like a sentence: a heading, a label or a navigation line."""
    return len(text) <= HEADING_MAX_CHARS and not ENDS_SENTENCE.search(text)


def holds_type(profile: QuestionProfile, text: str) -> bool | None:
    """Does the text hold one of the answer types the question asks for (None: it asks
    for none)? The question's own names are blanked: "CNCD-11.11.11" holds no count."""
    if not profile.kind.type:
        return None
    return bool(TYPE_PATTERNS[profile.kind.type].search(profile.without_names(text)))


def section_match(profile: QuestionProfile, section: str) -> float:
    """1.0 when a question word (other than an organisation's name) heads the passage."""
    if not section:
        return 0.0
    section_stems = text_stems(section)
    return float(any(word_match(word_stems(w), section_stems) > 0
                     for w in profile.words if w not in profile.name_words))
