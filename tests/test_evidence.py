"""The evidence a question is answered from (assistant/answering/evidence.py): rankings
merged for comparisons, and the question about each organisation compared."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

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

    def idf_of(self, stem: str) -> float:
        return 5.0 if stem == "eza" else 1.0  # the acronym is the name's rarest word


@dataclass
class FakeRetriever:
    """A retriever whose rankings are given by query; records the queries it is sent."""

    rankings: dict[str, list[Passage]]
    queries: list[str] = field(default_factory=list)
    statistics: FakeStatistics = field(default_factory=FakeStatistics)
    documents: dict[str, list[Passage]] = field(default_factory=dict)
    default: list[Passage] = field(default_factory=list)  # for a query not in rankings

    def retrieve(self, query: str, other_names: Sequence[str] = ()) -> list[Passage]:
        self.queries.append(query)
        return self.rankings.get(query, self.default)

    def query_vector(self, query: str) -> np.ndarray:
        return np.ones(4, dtype=np.float32)

    def document_passages(self, source: str) -> list[Passage]:
        return self.documents.get(source, [])

    def units_for(self, passages: Sequence[Passage]) -> list[Unit]:
        return [u for p in passages for u in Doc(p.chunk_id, [p.text], p.title, p.rank).units()]

    def passages_holding(self, stem: str, query_vector: np.ndarray, limit: int
                         ) -> list[Passage]:
        pages = {"eza": [chunk_of("eza", 1, "What we do"), chunk_of("eza", 0, "Who we are"),
                         chunk_of("eza", 2, "Dialogue")]}
        return pages.get(stem, [])[:limit]


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


def chunk_of(document: str, number: int, section: str, rank: int = 0) -> Passage:
    passage = make_passage(f"{document}-{number}", [f"Texte {number}."], "WSM", max(rank, 1),
                           section=section)
    return replace(passage, source=f"{document}.md", rank=rank)


def history_retriever() -> FakeRetriever:
    """A page retrieved for its address; its history section and another document's are
    not retrieved."""
    page = [chunk_of("fiche", 0, "Adresse"), chunk_of("fiche", 1, "Mission"),
            chunk_of("fiche", 2, "Historique"), chunk_of("fiche", 3, "Histoire de la région")]
    other = [chunk_of("autre", 0, "Historique")]
    return FakeRetriever({}, default=[replace(page[0], rank=1), chunk_of("mission", 0, "", 2)],
                         documents={"fiche.md": page, "autre.md": other})


def test_the_section_a_question_names_comes_after_the_retrieved_passages() -> None:
    question = "Résume l'histoire de WSM"
    evidence = gather_evidence(question, "fr", history_retriever(),
                               lambda: None,  # type: ignore[arg-type]
                               top_k=5, aliases_of=lambda name: [], section_passages=1)
    # The retrieved passages keep their places; the first section of a retrieved document
    # whose heading holds "histoire" follows them (not the unretrieved document's).
    assert [p.chunk_id for p in evidence.sources] == ["fiche-0", "mission-0", "fiche-2"]
    assert [p.rank for p in evidence.sources] == [1, 2, 3]
    assert "fiche-2" in {u.passage.chunk_id for u in evidence.units}
    two = gather_evidence(question, "fr", history_retriever(),
                          lambda: None,  # type: ignore[arg-type]
                          top_k=5, aliases_of=lambda name: [], section_passages=2)
    assert [p.chunk_id for p in two.sources][2:] == ["fiche-2", "fiche-3"]


def test_no_section_without_a_heading_holding_a_question_word() -> None:
    question = "Où se trouve le siège de WSM ?"  # "WSM" heads no section; a name is no topic
    retriever = history_retriever()
    retriever.documents["fiche.md"].append(chunk_of("fiche", 4, "WSM"))
    evidence = gather_evidence(question, "fr", retriever, lambda: None,  # type: ignore[arg-type]
                               top_k=5, aliases_of=lambda name: [], section_passages=1)
    assert [p.chunk_id for p in evidence.sources] == ["fiche-0", "mission-0"]


def test_sections_are_off_at_zero_and_a_retrieved_section_is_not_added_twice() -> None:
    question = "Résume l'histoire de WSM"
    retriever = history_retriever()
    off = gather_evidence(question, "fr", retriever, lambda: None,  # type: ignore[arg-type]
                          top_k=5, aliases_of=lambda name: [], section_passages=0)
    assert [p.chunk_id for p in off.sources] == ["fiche-0", "mission-0"]
    retriever.default.append(chunk_of("fiche", 2, "Historique", 3))
    again = gather_evidence(question, "fr", retriever, lambda: None,  # type: ignore[arg-type]
                            top_k=5, aliases_of=lambda name: [], section_passages=1)
    assert [p.chunk_id for p in again.sources] == ["fiche-0", "mission-0", "fiche-2", "fiche-3"]


def test_a_history_reads_the_dated_chunks_of_its_first_document() -> None:
    """The chunks of the first retrieved document that hold a year follow the retrieved
    passages, in the order of the text; an undated chunk and another document's do not."""
    def dated(document: str, number: int, text: str) -> Passage:
        return replace(chunk_of(document, number, ""), text=text)

    page = [dated("sos", 0, "En 1964, le comité est créé."), dated("sos", 1, "Sans date."),
            dated("sos", 2, "En 1966, il fonde le CNCD."), dated("sos", 3, "En 1987, ...")]
    retriever = FakeRetriever({}, default=[replace(page[0], rank=1),
                                           replace(page[3], rank=2)],
                              documents={"sos.md": page,
                                         "autre.md": [dated("autre", 0, "En 1970.")]})
    question = "Résume les grandes étapes de l'histoire de SOS Faim."
    evidence = gather_evidence(question, "fr", retriever, lambda: None,  # type: ignore[arg-type]
                               top_k=5, aliases_of=lambda name: [], timeline_passages=3)
    assert [p.chunk_id for p in evidence.sources] == ["sos-0", "sos-3", "sos-2"]
    assert "sos-2" in {u.passage.chunk_id for u in evidence.units}
    # Not for another kind of question, nor at zero.
    for other, number in (("Quand SOS Faim a-t-elle été créée ?", 3), (question, 0)):
        plain = gather_evidence(other, "fr", retriever, lambda: None,  # type: ignore[arg-type]
                                top_k=5, aliases_of=lambda name: [], timeline_passages=number)
        assert [p.chunk_id for p in plain.sources] == ["sos-0", "sos-3"]


def test_the_page_of_an_organisation_no_passage_names_comes_after_them() -> None:
    """Union training pages in French can outrank every page of EZA for a French question
    naming it: the chunks of the documents that write "EZA", nearest first, follow."""
    question = "Combien de séminaires l'EZA organise-t-elle ?"
    retriever = FakeRetriever({}, default=ranking("ftq", "movendo"))
    evidence = gather_evidence(question, "fr", retriever, lambda: None,  # type: ignore[arg-type]
                               top_k=5, aliases_of=lambda name: [], naming_passages=2)
    assert [p.chunk_id for p in evidence.sources] == ["ftq", "movendo", "eza-1", "eza-0"]
    assert [p.rank for p in evidence.sources] == [1, 2, 3, 4]
    assert "eza-1" in {u.passage.chunk_id for u in evidence.units}
    off = gather_evidence(question, "fr", retriever, lambda: None,  # type: ignore[arg-type]
                          top_k=5, aliases_of=lambda name: [], naming_passages=0)
    assert [p.chunk_id for p in off.sources] == ["ftq", "movendo"]


def test_no_page_is_added_when_a_passage_names_the_organisation() -> None:
    question = "Combien de séminaires l'EZA organise-t-elle ?"
    named = replace(ranking("eza-0")[0], text="EZA organise des séminaires.")
    retriever = FakeRetriever({}, default=[*ranking("ftq"), replace(named, rank=2)])
    evidence = gather_evidence(question, "fr", retriever, lambda: None,  # type: ignore[arg-type]
                               top_k=5, aliases_of=lambda name: [], naming_passages=2)
    assert [p.chunk_id for p in evidence.sources] == ["ftq", "eza-0"]
