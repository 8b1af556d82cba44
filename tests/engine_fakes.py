"""Synthetic evidence for the answer engine's tests: passages and units built in the test,
with FakeEncoder vectors, an IDF over the synthetic passages, and unit models set by hand.

No model and no Chroma. The fitted model (assistant/answering/data/unit_model.json) is
refitted on every change of the engine and its weights are on the real encoder's scale, so
the tests here rank with ``HAND_MODEL``: a model whose weights are chosen in this file
(``hand_model``), so that what a test asserts does not move with a refit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from assistant.answering.engine import ABSTAIN_THRESHOLD, answer_from_units
from assistant.answering.features import FEATURES
from assistant.answering.model import Thresholds, UnitModel, model_from_dict
from assistant.answering.profile import QuestionProfile, profile_question
from assistant.answering.selection import Choice
from assistant.core.messages import message, prompt_file
from assistant.core.types import Answer, Passage, ScoredUnit, Unit
from assistant.ingestion.chunking.units import split_units, unit_kinds
from assistant.retrieval.statistics import idf_table
from embeddings.fake import FakeEncoder

ENCODER = FakeEncoder()
# The abstention threshold switched off: only the checks (and organisation_known) abstain.
NO_THRESHOLD = frozenset({ABSTAIN_THRESHOLD})

# Logit weights of the hand-set test model, by feature name (features left out weigh 0).
# Features are not rescaled (mean 0, scale 1). What matters for the tests: word coverage and
# the answer type asked for decide, then the defining sentence, names, and the rank.
HAND_WEIGHTS: Mapping[str, float] = {
    "dense": 1.0,
    "rank_prior": 0.5,
    "coverage": 4.0,
    "context_coverage": 1.0,
    "names_passage": 0.5,
    "names_unit": 1.0,
    "section": 0.5,
    "type_match": 2.0,
    "type_missing": -1.5,
    "type_near": 0.5,
    "focus_unit": 1.0,
    "focus_missing": -1.0,
    "defines": 3.0,
    "heading_like": -1.0,
    "list_item": 0.3,
    "said_before": -3.0,
}
HAND_THRESHOLDS = {"abstain_below": 0.0, "join_ratio": 0.8, "list_ratio": 0.5,
                   "summary_ratio": 0.4}


def model_dict(weights: Mapping[str, float] = HAND_WEIGHTS, intercept: float = -3.0,
               **thresholds: float) -> dict[str, object]:
    """The JSON form of a unit model (as data/unit_model.json holds it)."""
    unknown = set(weights) - set(FEATURES)
    assert not unknown, f"not features: {unknown}"
    return {
        "features": list(FEATURES),
        "mean": [0.0] * len(FEATURES),
        "scale": [1.0] * len(FEATURES),
        "weights": [float(weights.get(f, 0.0)) for f in FEATURES],
        "intercept": intercept,
        "thresholds": {**HAND_THRESHOLDS, **thresholds},
    }


def hand_model(weights: Mapping[str, float] = HAND_WEIGHTS, intercept: float = -3.0,
               **thresholds: float) -> UnitModel:
    """A unit model with the given weights and thresholds (the others: HAND_THRESHOLDS)."""
    return model_from_dict(model_dict(weights, intercept, **thresholds))


HAND_MODEL = hand_model()


def make_passage(chunk_id: str, units: Sequence[str], title: str, rank: int, *,
                 separator: str = " ", section: str = "", language: str = "fr",
                 organisation: str | None = None) -> Passage:
    return Passage(
        chunk_id=chunk_id,
        text=separator.join(units),
        title=title,
        section=section,
        source=f"{chunk_id}.md",
        organisation=title if organisation is None else organisation,
        language=language,
        score=1.0 / rank,
        rank=rank,
    )


def kind_in(passage_text: str, unit_text: str) -> str:
    """The unit's kind as the chunker decides it for the passage's text ("sentence" for a
    text the chunker does not cut out as a unit)."""
    kinds = dict(zip(split_units(passage_text), unit_kinds(passage_text), strict=True))
    return kinds.get(unit_text, "sentence")


class Doc:
    """A passage and the units (sentences / list items) it is made of, in text order."""

    def __init__(self, chunk_id: str, units: Sequence[str], title: str, rank: int, *,
                 text: str | None = None, **kwargs: str) -> None:
        self.passage = make_passage(chunk_id, [text] if text else units, title, rank, **kwargs)
        self.unit_texts = list(units)
        assert all(u in self.passage.text for u in self.unit_texts)
        self._units: list[Unit] | None = None

    def units(self) -> list[Unit]:
        """The units, built once (the selectors compare units by identity)."""
        if self._units is None:
            vectors = ENCODER.encode_passages(self.unit_texts)
            self._units = [Unit(self.passage, i, text, vectors[i],
                                kind_in(self.passage.text, text))
                           for i, text in enumerate(self.unit_texts)]
        return self._units


def bullet_doc(chunk_id: str, lead: str, items: Sequence[str], title: str, rank: int,
               **kwargs: str) -> Doc:
    """A lead-in line and "• item" lines; units hold the item text (as chunking gives it)."""
    text = lead + "".join(f"\n• {item}" for item in items)
    return Doc(chunk_id, [lead, *items], title, rank, text=text, **kwargs)


def idf_of(docs: Sequence[Doc]) -> tuple[dict[str, float], float]:
    table = idf_table([f"{d.passage.title} {d.passage.section} {d.passage.text}" for d in docs])
    return table, max(table.values())


def ask(question: str, language: str, docs: Sequence[Doc], *,
        vocabulary: set[str] | None = None, model: UnitModel | None = HAND_MODEL,
        **kwargs: object) -> Answer:
    """The engine's answer from the docs' units (``model=None``: the fitted model)."""
    passages = [d.passage for d in docs]
    table, top = idf_of(docs)

    def idf(stem: str) -> float:
        return table.get(stem, top)

    units = [u for d in docs for u in d.units()]
    query_vector = ENCODER.encode_queries([question])[0]
    return answer_from_units(
        question, language, passages, units, query_vector, idf,
        vocabulary=set(table) if vocabulary is None else vocabulary, model=model,
        **kwargs,  # type: ignore[arg-type]
    )


def assert_grounded(answer: Answer) -> None:
    """Every citation quotes its passage and appears as [rank] in the answer text."""
    assert not answer.abstained, answer.text
    assert answer.citations
    for citation in answer.citations:
        assert citation.unit_text in citation.passage.text
        assert citation.number == citation.passage.rank
        assert f"[{citation.number}]" in answer.text
        assert citation.passage in answer.sources


def assert_abstained(answer: Answer, language: str) -> None:
    assert answer.abstained, answer.text
    assert answer.text == message("not_found", language)
    assert answer.citations == []
    assert answer.language == language


def scored(units: Sequence[Unit], scores: Sequence[float]) -> list[ScoredUnit]:
    """Units with chosen probabilities, best first (as the engine ranks them)."""
    pairs = [ScoredUnit(u, 0.0, 0.0, s) for u, s in zip(units, scores, strict=True)]
    return sorted(pairs, key=lambda s: s.score, reverse=True)


def choice(question: str, language: str, ranked: Sequence[ScoredUnit],
           every_unit: Sequence[Unit], *, profile: QuestionProfile | None = None,
           max_units: int = 4, list_max: int = 12, **thresholds: float) -> Choice:
    """What a selector works with, thresholds chosen by the test."""
    return Choice(ranked, every_unit, profile or profile_question(question, language),
                  Thresholds(**{**HAND_THRESHOLDS, **thresholds}), max_units, list_max)


def vector(text: str) -> np.ndarray:
    return ENCODER.encode_queries([text])[0]


def other_language_notice(language: str, other: str) -> str:
    """The line an answer quoted from a document in ``other`` opens with."""
    names = prompt_file(language, "messages")["language_names"]
    return message("quoted_in_other_language", language, language=names[other])


# Two passages the engine tests share (test_engine.py, test_answer.py).
CNCD = Doc("cncd", [
    "Le CNCD-11.11.11 est la coupole des ONG belges de solidarité internationale.",
    "Il coordonne 90 ONG belges et des centaines de comités locaux.",
    "Il organise chaque année l'Opération 11.11.11.",
], "CNCD-11.11.11", 1)
MOC = Doc("moc", [
    "Le Mouvement ouvrier chrétien rassemble cinq organisations constitutives.",
    "Le MOC a été fondé en 1921.",
    "Son siège est à Bruxelles.",
], "MOC", 2)
