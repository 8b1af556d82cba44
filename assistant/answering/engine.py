"""Answer stage, without an LLM: pick the sentences / list items that answer, cite them.

Every sentence of an answer is copied from the passage it cites, so an answer can never
state what its passage does not say. The candidate units are ranked by the fitted unit
model (model.py), filtered by the checks (checks.py) and chosen by the answer kind's
selector (kinds.py, selection.py). The engine abstains (in the question's language,
citing nothing) when the question names an organisation the documents never write, when no
unit survives the checks, or when the best one is under the model's fitted threshold.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache

import numpy as np

from assistant.answering.checks import answering_units
from assistant.answering.compose import abstain, compose
from assistant.answering.features import QuestionContext, feature_matrix, said_words
from assistant.answering.matching import is_strong_name, name_fully_known
from assistant.answering.model import UnitModel, unit_model
from assistant.answering.profile import QuestionProfile, profile_question
from assistant.answering.selection import Choice, select
from assistant.core.types import Answer, Passage, ScoredUnit, Unit

# The refusal of a question naming an organisation the documents never write, and the fitted
# abstention threshold, by the names ablations switch them off with.
ORGANISATION_KNOWN = "organisation_known"
ABSTAIN_THRESHOLD = "abstain_threshold"


def question_profile(question: str, language: str,
                     aliases_of: Callable[[str], Sequence[str]] | None) -> QuestionProfile:
    """The question's profile, with the directory's other names of the names it asks about
    (``aliases_of``, cached: each lookup reads the index state)."""
    profile = profile_question(question, language)
    if aliases_of is None:
        return profile
    other = {n: tuple(a for a in aliases_of(n) if a != n) for n in profile.names}
    return replace(profile, known=tuple(
        n for n in profile.names if not is_strong_name(n) and other[n]),
        aliases=tuple((n, names) for n, names in other.items() if names))


def names_unknown(profile: QuestionProfile, vocabulary: set[str]) -> bool:
    """Does the question name an organisation the documents never write? A name the corpus
    never writes may be the directory's key for one it does ("CIRÉ", the initials of
    "Coordination et initiatives pour réfugiés et étrangers")."""
    return any(not any(name_fully_known(a, vocabulary) for a in profile.names_of(n))
               for n in profile.strong_names)


def ranked_units(units: Sequence[Unit], context: QuestionContext,
                 model: UnitModel) -> list[ScoredUnit]:
    """Every unit with the model's probability that it answers, best first."""
    matrix = feature_matrix(units, context)
    probabilities = model.probabilities(matrix)
    dense = matrix[:, 0] if len(units) else np.zeros(0)
    scored = [ScoredUnit(u, float(d), 0.0, float(p))
              for u, d, p in zip(units, dense, probabilities, strict=True)]
    return sorted(scored, key=lambda s: s.score, reverse=True)


def answer_from_units(
    question: str, language: str, sources: list[Passage], units: Sequence[Unit],
    query_vector: np.ndarray, idf: Callable[[str], float], *, max_units: int = 6,
    list_max: int = 12, vocabulary: set[str] | None = None,
    aliases_of: Callable[[str], Sequence[str]] | None = None, said: Sequence[str] = (),
    disabled_checks: frozenset[str] = frozenset(), model: UnitModel | None = None,
) -> Answer:
    """Choose, compose and cite; or abstain when the best evidence is too weak.
    ``aliases_of`` gives an organisation's other names (the directory's); ``said``: the
    conversation's earlier answers; ``disabled_checks``: checks switched off (ablation)."""
    model = model or unit_model()
    if aliases_of is not None:
        aliases_of = cache(aliases_of)
    profile = question_profile(question, language, aliases_of)
    if (vocabulary is not None and ORGANISATION_KNOWN not in disabled_checks
            and names_unknown(profile, vocabulary)):
        return abstain(language, sources)  # an organisation the documents never mention
    context = QuestionContext(profile, query_vector, idf, said_words(said))
    ranked = answering_units(ranked_units(units, context, model), profile,
                             aliases_of or (lambda name: ()), disabled_checks)
    threshold = 0.0 if ABSTAIN_THRESHOLD in disabled_checks else model.thresholds.abstain_below
    if not profile.kind.threshold and profile.strong_names:
        threshold = 0.0  # "Résume l'histoire de X": a summary of X always has something to say
    if not ranked or ranked[0].score < threshold:
        return abstain(language, sources)
    chosen = select(Choice(ranked, units, profile, model.thresholds, max_units, list_max))
    text, citations = compose(chosen, language, profile.is_list)
    return Answer(text, False, language, sources=sources, citations=citations,
                  confidence=ranked[0].score)
