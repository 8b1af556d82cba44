"""Retrieval with the organisation directory: an acronym's other names in the BM25 query.

The real pipeline over a copy of the corpus with the deterministic fake encoder (no model).
"""

from __future__ import annotations

import pytest
from conftest import ingested_copy

from assistant.core.settings import Settings
from assistant.core.types import Passage
from assistant.retrieval.expansion import acronym_expansions
from assistant.service.assistant_service import AssistantService


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> AssistantService:
    settings: Settings = ingested_copy(tmp_path_factory, "retrieval")
    service = AssistantService(settings)
    service.warm()
    return service


def expansions(service: AssistantService, question: str) -> list[str]:
    return acronym_expansions(question, service._ready_retriever().statistics,
                              service._aliases_of)


def test_a_rare_acronym_brings_its_long_names_to_the_lexical_query(
        service: AssistantService) -> None:
    """"FOPES" is written out ("faculté Ouverte de Politique Économique et Sociale") in the
    passage that says what it offers: BM25 needs those words to find it."""
    names = expansions(service, "Que propose la FOPES aux adultes ?")
    assert "faculté Ouverte de Politique Économique et Sociale" in names
    assert "FOPES" not in names


def test_a_frequent_acronym_or_a_full_name_is_left_as_asked(service: AssistantService) -> None:
    """"WSM" is in many chunks: its long names would pull the ranking towards other
    passages (measured: MRR down on every question set). Full names hold their words."""
    assert expansions(service, "Que fait WSM en Belgique ?") == []
    assert expansions(service, "Que fait Solidarité Mondiale ?") == []


def test_the_other_names_find_the_passage_that_spells_the_acronym_out(
        service: AssistantService) -> None:
    retriever = service._ready_retriever()
    question = "Qu'est-ce que la FOPES ?"
    spelled = "faculté Ouverte de Politique Économique et Sociale"

    def rank(passages: list[Passage]) -> int:
        return next((p.rank for p in passages if spelled in p.text), 10**6)

    plain = rank(retriever.retrieve(question))
    expanded = rank(retriever.retrieve(question, expansions(service, question)))
    assert expanded <= service.settings.top_k
    assert expanded < plain
