"""Answer stage, without an LLM: pick the sentences / list items that answer, cite them.

Every sentence of an answer is copied from the passage it cites, so an answer can
never state what its passage does not say. The engine abstains (in the question's
language, citing nothing) when no unit supports the question well enough.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from assistant.messages import message, prompt_file
from assistant.retrieval import Passage
from assistant.textproc import STOPWORDS, analyze, fold, tokenize_words

YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
NUMBER = re.compile(r"\d")
WEB = re.compile(r"(www\.|https?:|\.be\b|\.org\b|\.com\b|\.eu\b)")
ADDRESS = re.compile(r"\b(rue|chaussée|chaussee|avenue|place|boulevard|quai|\d{4})\b", re.I)


@dataclass(frozen=True)
class Unit:
    """A sentence or list item of a retrieved passage, with its embedding."""

    passage: Passage
    index: int
    text: str
    vector: np.ndarray


@dataclass
class ScoredUnit:
    unit: Unit
    dense: float
    coverage: float
    score: float


@dataclass(frozen=True)
class Citation:
    number: int  # [n] in the answer: the passage's rank among the sources
    passage: Passage
    unit_text: str


@dataclass
class Answer:
    text: str
    abstained: bool
    language: str
    sources: list[Passage] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    standalone_question: str = ""


@dataclass(frozen=True)
class QuestionProfile:
    """What shape of answer a question expects (from the word lists in prompts/)."""

    language: str
    is_list: bool
    expects: frozenset[str]  # "number", "year", "web", "address"
    words: tuple[str, ...]  # content words, folded


def profile_question(question: str, language: str) -> QuestionProfile:
    cues = prompt_file(language, "question")
    text = " " + fold(question).strip() + " "
    lowered = text.strip() + " "
    is_list = any(lowered.startswith(fold(s)) for s in cues["list_starts"]) or any(
        fold(w) in text for w in cues["list_words"]
    )
    expects = {
        kind
        for kind, key in (("number", "number_words"), ("year", "year_words"),
                          ("web", "web_words"), ("address", "address_words"))
        if any(fold(w) in text for w in cues[key])
    }
    if "number" in expects:
        is_list = False  # "how many X" wants a count, not the list of X
    words = tuple(w for w in tokenize_words(question) if w not in STOPWORDS and len(w) > 1)
    return QuestionProfile(language, is_list, frozenset(expects), words)


def word_stems(word: str) -> set[str]:
    return set(analyze(word)) or {fold(word)}


def cognate(a: str, b: str) -> bool:
    """French/English cognates share a long prefix (processus/process, Copenhague/Copenhagen)."""
    shortest = min(len(a), len(b))
    if shortest < 5:
        return False
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return common >= 5 and common >= 0.8 * shortest


def word_match(word_stems_: set[str], unit_stems: set[str]) -> float:
    if word_stems_ & unit_stems:
        return 1.0
    if any(cognate(w, u) for w in word_stems_ for u in unit_stems):
        return 0.8
    return 0.0


def coverage(words: Sequence[str], text: str, idf: Callable[[str], float]) -> float:
    """IDF-weighted share of the question's content words found in ``text``."""
    if not words:
        return 0.0
    unit_stems = set(analyze(text))
    total = found = 0.0
    for word in words:
        stems = word_stems(word)
        weight = max(idf(s) for s in stems)
        total += weight
        found += weight * word_match(stems, unit_stems)
    return found / total if total else 0.0


def type_bonus(profile: QuestionProfile, text: str) -> float:
    checks = {"number": NUMBER, "year": YEAR, "web": WEB, "address": ADDRESS}
    wanted = [checks[k] for k in profile.expects]
    if not wanted:
        return 0.0
    return 0.08 if any(p.search(text) for p in wanted) else -0.08


@dataclass(frozen=True)
class EngineWeights:
    """How unit evidence is combined; chosen on our own question set (tests/questions.jsonl)."""

    coverage: float = 0.35
    context_coverage: float = 0.15
    rank_prior: float = 0.05
    min_score: float = 0.95
    followers: float = 0.06  # how close a second unit must be to join a factoid answer


def score_units(
    units: Sequence[Unit], profile: QuestionProfile, query_vector: np.ndarray,
    idf: Callable[[str], float], weights: EngineWeights,
) -> list[ScoredUnit]:
    scored = []
    context_cache: dict[str, float] = {}
    for unit in units:
        passage = unit.passage
        if passage.chunk_id not in context_cache:
            context = f"{passage.title} {passage.section} {passage.text}"
            context_cache[passage.chunk_id] = coverage(profile.words, context, idf)
        dense = float(np.dot(unit.vector, query_vector))
        cov = coverage(profile.words, unit.text, idf)
        score = (
            dense
            + weights.coverage * cov
            + weights.context_coverage * context_cache[passage.chunk_id]
            + weights.rank_prior / passage.rank
            + type_bonus(profile, unit.text)
        )
        scored.append(ScoredUnit(unit, dense, cov, score))
    return sorted(scored, key=lambda s: s.score, reverse=True)


def pick_list_units(best: ScoredUnit, scored: Sequence[ScoredUnit], limit: int) -> list[Unit]:
    """All the items of the list the best unit belongs to (lead-in first), in text order."""
    passage = best.unit.passage
    same_chunk = sorted(
        (s.unit for s in scored if s.unit.passage.chunk_id == passage.chunk_id),
        key=lambda u: u.index,
    )
    items = [u for u in same_chunk if is_list_item(u.text)]
    if len(items) >= 2:
        lead = [u for u in same_chunk if u.index < items[0].index][-1:]
        return (lead + items)[: limit + 1]
    return [best.unit]


def is_list_item(text: str) -> bool:
    return bool(re.match(r"^\s*(•|-|\d+[.)]|[a-z][.)])\s", text))


def pick_factoid_units(best: ScoredUnit, scored: Sequence[ScoredUnit], weights: EngineWeights,
                       limit: int) -> list[Unit]:
    """The best unit, plus close runners-up that add something (at most ``limit``)."""
    chosen = [best.unit]
    for other in scored[1:]:
        if len(chosen) >= min(limit, 2):
            break
        if other.score < best.score - weights.followers:
            break
        if other.unit.text != best.unit.text:
            chosen.append(other.unit)
    return chosen


def compose(units: Sequence[Unit], language: str, as_list: bool) -> tuple[str, list[Citation]]:
    citations = [Citation(u.passage.rank, u.passage, u.text) for u in units]
    if as_list and len(units) > 2:
        lines = [message("list_intro", language)]
        for unit in units:
            item = re.sub(r"^\s*(•|-|\d+[.)])\s*", "", unit.text).strip()
            lines.append(f"- {item} [{unit.passage.rank}]")
        return "\n".join(lines), citations
    return " ".join(f"{u.text.strip()} [{u.passage.rank}]" for u in units), citations


def abstain(language: str, sources: list[Passage]) -> Answer:
    return Answer(message("not_found", language), True, language, sources=sources)


def answer_from_units(
    question: str, language: str, sources: list[Passage], units: Sequence[Unit],
    query_vector: np.ndarray, idf: Callable[[str], float], *,
    weights: EngineWeights = EngineWeights(), max_units: int = 4, list_max: int = 12,
) -> Answer:
    """Choose, compose and cite; or abstain when the best evidence is too weak."""
    profile = profile_question(question, language)
    scored = score_units(units, profile, query_vector, idf, weights)
    if not scored or scored[0].score < weights.min_score:
        return abstain(language, sources)
    best = scored[0]
    if profile.is_list:
        chosen = pick_list_units(best, scored, list_max)
    else:
        chosen = pick_factoid_units(best, scored, weights, max_units)
    text, citations = compose(chosen, language, profile.is_list)
    return Answer(text, False, language, sources=sources, citations=citations)


def idf_table(texts: Sequence[str]) -> Mapping[str, float]:
    """Smoothed IDF of every stem over the chunk texts."""
    df: dict[str, int] = {}
    for text in texts:
        for stem in set(analyze(text)):
            df[stem] = df.get(stem, 0) + 1
    n = max(1, len(texts))
    return {stem: math.log(1 + (n - count + 0.5) / (count + 0.5)) for stem, count in df.items()}
