"""Answer stage, without an LLM: pick the sentences / list items that answer, cite them.

Every sentence of an answer is copied from the passage it cites, so an answer can
never state what its passage does not say. The engine abstains (in the question's
language, citing nothing) when no unit supports the question well enough.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import cache

import numpy as np

from assistant.answering.checks import answering_units
from assistant.answering.compose import abstain, compose
from assistant.answering.matching import is_strong_name, name_fully_known
from assistant.answering.profile import asks_organisation_kinds, defines_a_name, profile_question
from assistant.answering.scoring import DEFAULT_WEIGHTS, EngineWeights, score_units
from assistant.answering.selection import (
    introduces_list,
    pick_factoid_units,
    pick_list_units,
    pick_summary_units,
    with_context,
)
from assistant.core.types import Answer, Passage, Unit


def answer_from_units(
    question: str, language: str, sources: list[Passage], units: Sequence[Unit],
    query_vector: np.ndarray, idf: Callable[[str], float], *,
    weights: EngineWeights = DEFAULT_WEIGHTS, max_units: int = 4, list_max: int = 12,
    vocabulary: set[str] | None = None,
    aliases_of: Callable[[str], Sequence[str]] | None = None,
) -> Answer:
    """Choose, compose and cite; or abstain when the best evidence is too weak.
    ``aliases_of`` gives an organisation's other names (the directory's)."""
    profile = profile_question(question, language)
    if aliases_of is not None:
        # Once per name and answer: each lookup reads the index state.
        aliases_of = cache(aliases_of)
        other = {n: tuple(a for a in aliases_of(n) if a != n) for n in profile.names}
        profile = replace(profile, known=tuple(
            n for n in profile.names if not is_strong_name(n) and other[n]),
            aliases=tuple((n, names) for n, names in other.items() if names))
    # A name the corpus never writes may be the directory's key for one it does ("CIRÉ",
    # the initials of "Coordination et initiatives pour réfugiés et étrangers").
    if vocabulary is not None and any(
        not any(name_fully_known(a, vocabulary) for a in profile.names_of(n))
        for n in profile.strong_names
    ):
        return abstain(language, sources)  # an organisation the documents never mention
    scored = answering_units(score_units(units, profile, query_vector, idf, weights), profile,
                             aliases_of or (lambda name: ()))
    if not scored or scored[0].score < weights.min_score:
        return abstain(language, sources)
    best = scored[0]
    if profile.is_summary:
        chosen = pick_summary_units(best, scored, max_units)
    elif profile.is_list or introduces_list(best, scored):
        kinds_of = profile if asks_organisation_kinds(question, language) else None
        chosen = pick_list_units(best, scored, list_max, weights, kinds_of=kinds_of)
    elif profile.defines and defines_a_name(best.unit.text, profile.names):
        # The sentence that says what it is; only its own continuation may follow.
        chosen = with_context([best.unit], best, scored, profile, max_units)
    else:
        chosen = with_context(
            pick_factoid_units(best, scored, weights, max_units), best, scored, profile, max_units
        )
    text, citations = compose(chosen, language, profile.is_list)
    return Answer(text, False, language, sources=sources, citations=citations)


