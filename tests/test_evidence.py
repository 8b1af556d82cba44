"""The evidence a question is answered from (assistant/answering/evidence.py): rankings
merged for comparisons, and the question about each organisation compared."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from engine_fakes import Doc, make_passage

from assistant.answering.evidence import gather_evidence, interleaved, without_other_names
from assistant.core.types import Passage, Unit


def ranking(*ids: str) -> list[Passage]:
    return [make_passage(cid, [f"Texte {cid}."], "T", rank) for rank, cid in enumerate(ids, 1)]


def test_interleaved_takes_each_rankings_next_passage_in_turn() -> None:
    merged = interleaved([ranking("a1", "a2", "a3"), ranking("b1", "b2")])
    assert [p.chunk_id for p in merged] == ["a1", "b1", "a2", "b2", "a3"]
    assert [p.rank for p in merged] == [1, 2, 3, 4, 5]


def test_interleaved_drops_repeats_and_renumbers() -> None:
    merged = interleaved([ranking("x", "a", "b"), ranking("x", "b", "c"), ranking("c")])
    assert [p.chunk_id for p in merged] == ["x", "c", "a", "b"]
    assert [p.rank for p in merged] == [1, 2, 3, 4]
    # The passages are copies with a new rank; the rest is unchanged.
    first = ranking("x")[0]
    assert merged[0].text == first.text and merged[0].score == first.score


def test_interleaved_of_nothing() -> None:
    assert interleaved([]) == []
    assert interleaved([[], []]) == []
    assert [p.chunk_id for p in interleaved([ranking("a"), []])] == ["a"]


def test_without_other_names_keeps_the_organisation_asked_about() -> None:
    query = "Qu'ont en commun le MOC et la CSC ?"
    assert without_other_names(query, "MOC", ["MOC", "CSC"]) == "Qu'ont en commun le MOC et la ?"
    assert without_other_names(query, "CSC", ["MOC", "CSC"]) == "Qu'ont en commun le et la CSC ?"
    assert without_other_names(query, "MOC", ["MOC"]) == query
    three = without_other_names("Compare Vie Féminine, la JOC et le MOC.", "JOC",
                                ["Vie Féminine", "JOC", "MOC"])
    assert three == "Compare , la JOC et le ."


@dataclass
class FakeStatistics:
    def is_rare(self, name: str, limit: int) -> bool:
        return False


@dataclass
class FakeRetriever:
    """A retriever whose rankings are given by query; records the queries it is sent."""

    rankings: dict[str, list[Passage]]
    queries: list[str] = field(default_factory=list)
    statistics: FakeStatistics = field(default_factory=FakeStatistics)

    def retrieve(self, query: str, other_names: Sequence[str] = ()) -> list[Passage]:
        self.queries.append(query)
        return self.rankings.get(query, [])

    def query_vector(self, query: str) -> np.ndarray:
        return np.ones(4, dtype=np.float32)

    def units_for(self, passages: Sequence[Passage]) -> list[Unit]:
        return [u for p in passages for u in Doc(p.chunk_id, [p.text], p.title, p.rank).units()]


def test_a_comparison_gathers_evidence_for_each_organisation() -> None:
    question = "Qu'ont en commun le MOC et la CSC ?"
    retriever = FakeRetriever({
        question: ranking("both", "moc1"),
        "Qu'ont en commun le MOC et la ?": ranking("moc1", "moc2"),
        "Qu'ont en commun le et la CSC ?": ranking("csc1", "csc2"),
    })
    evidence = gather_evidence(question, "fr", retriever, lambda: None,  # type: ignore[arg-type]
                               top_k=5, aliases_of=lambda name: [])
    assert retriever.queries == [question, "Qu'ont en commun le MOC et la ?",
                                 "Qu'ont en commun le et la CSC ?"]
    assert [p.chunk_id for p in evidence.sources] == ["both", "moc1", "csc1", "moc2", "csc2"]
    assert [p.rank for p in evidence.sources] == [1, 2, 3, 4, 5]
    assert {u.passage.chunk_id for u in evidence.units} == {"both", "moc1", "csc1", "moc2",
                                                            "csc2"}


def test_a_question_about_one_organisation_is_retrieved_once() -> None:
    question = "Quand le MOC a-t-il été fondé ?"
    retriever = FakeRetriever({question: ranking("moc1", "moc2", "moc3")})
    evidence = gather_evidence(question, "fr", retriever, lambda: None,  # type: ignore[arg-type]
                               top_k=2, aliases_of=lambda name: [])
    assert retriever.queries == [question]
    assert [p.chunk_id for p in evidence.sources] == ["moc1", "moc2"]
