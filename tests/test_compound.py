"""Two questions in one: splitting, pronoun resolution, and the joined, renumbered answer."""

from __future__ import annotations

import re

import pytest

from assistant.answering.compound import join_answers, split_compound, standalone_parts
from assistant.core.messages import message
from assistant.core.types import Answer, Citation, Passage
from assistant.service.assistant_service import AssistantService


@pytest.mark.parametrize(("question", "language", "parts"), [
    ("Le CIEP, c'est quoi exactement, et WSM travaille-t-elle avec lui ?", "fr",
     ["Le CIEP, c'est quoi exactement ?", "WSM travaille-t-elle avec lui ?"]),
    ("What is FOPES, and which research centre is it part of?", "en",
     ["What is FOPES ?", "which research centre is it part of?"]),
    ("Que fait le CIEP et qui le finance ?", "fr", ["Que fait le CIEP ?", "qui le finance ?"]),
    ("What is FOPES, which university runs it, and which research centre is it part of?", "en",
     ["What is FOPES ?", "which university runs it ?", "which research centre is it part of?"]),
    ("Le CIEP, qui le finance, et que fait-il ?", "fr",  # "Le CIEP" alone asks nothing
     ["Le CIEP, qui le finance ?", "que fait-il ?"]),
])
def test_two_questions_are_split(question: str, language: str, parts: list[str]) -> None:
    assert split_compound(question, language) == parts


@pytest.mark.parametrize(("question", "language"), [
    ("Qui a cofondé la FOPES et en a été le premier directeur ?", "fr"),  # one subject
    ("Qui sont les partenaires de Lire et Ecrire ?", "fr"),  # "et" inside a name
    ("Combien d'associations compte la coordination pour réfugiés et étrangers ?", "fr"),
    ("Which organisations work on housing and energy?", "en"),
    ("What training does WSM offer, and to whom?", "en"),  # "to whom" is no question alone
])
def test_one_question_stays_whole(question: str, language: str) -> None:
    assert split_compound(question, language) == [question]


def test_a_later_part_borrows_the_first_parts_names_for_its_pronouns() -> None:
    parts = ["What is FOPES ?", "which research centre is it part of?"]
    assert standalone_parts(parts, "en") == [
        "What is FOPES ?", "which research centre is it part of? (FOPES)"]
    own = ["Le CIEP, c'est quoi ?", "WSM travaille-t-elle avec lui ?"]
    assert standalone_parts(own, "fr")[1] == "WSM travaille-t-elle avec lui ? (CIEP)"
    assert standalone_parts(["Que fait le CIEP ?", "Où est WSM ?"], "fr")[1] == "Où est WSM ?"


def passage(chunk_id: str, rank: int) -> Passage:
    return Passage(chunk_id, f"text of {chunk_id}", chunk_id, "", f"{chunk_id}.txt", "", "fr",
                   1.0, rank)


def answered(text_units: list[tuple[str, int]], sources: list[Passage]) -> Answer:
    by_rank = {p.rank: p for p in sources}
    text = " ".join(f"{t} [{r}]" for t, r in text_units)
    return Answer(text, False, "fr", sources=sources,
                  citations=[Citation(r, by_rank[r], t) for t, r in text_units])


def test_joined_answer_renumbers_citations_over_one_source_list() -> None:
    first = answered([("Le CIEP forme.", 2)], [passage("a", 1), passage("b", 2)])
    second = answered([("WSM collabore avec le CIEP.", 1), ("Aussi la FEC.", 3)],
                      [passage("c", 1), passage("a", 2), passage("d", 3)])
    joined = join_answers(["Q1 ?", "Q2 ?"], [first, second], "fr")
    assert not joined.abstained
    ranks = {p.chunk_id: p.rank for p in joined.sources}
    assert [p.rank for p in joined.sources] == list(range(1, len(joined.sources) + 1))
    assert len(ranks) == len(joined.sources) == 4  # "a" is shared, listed once
    # The cited passages come first: each part's evidence stays among the top sources.
    assert [p.chunk_id for p in joined.sources[:3]] == ["b", "c", "d"]
    assert joined.text == (f"Le CIEP forme. [{ranks['b']}]\n\nWSM collabore avec le CIEP. "
                           f"[{ranks['c']}] Aussi la FEC. [{ranks['d']}]")
    for citation in joined.citations:
        assert citation.passage.rank == citation.number
        assert f"[{citation.number}]" in joined.text


def test_a_part_without_answer_says_so_and_the_other_part_stands() -> None:
    first = answered([("Le CIEP forme.", 1)], [passage("a", 1)])
    missing = Answer(message("not_found", "fr"), True, "fr", sources=[passage("z", 1)])
    joined = join_answers(["Que fait le CIEP ?", "Qui le finance ?"], [first, missing], "fr")
    assert not joined.abstained
    assert joined.text.startswith("Le CIEP forme. [1]")
    assert message("part_not_found", "fr", part="Qui le finance") in joined.text
    both = join_answers(["Q1 ?", "Q2 ?"], [missing, missing], "fr")
    assert both.abstained and both.text == message("not_found", "fr")


COMPOUND = "Quelle est l'adresse de WSM, et combien d'ONG le CNCD-11.11.11 coordonne-t-il ?"


def test_the_service_answers_both_parts_with_valid_citations(
        fake_service: AssistantService) -> None:
    """Through the real pipeline (fake encoder): each part is answered and cited. Which
    sentence answers the second part is the real model's to say (below): the fake
    encoder's similarities are noise."""
    fake_service.ingest()
    answer = fake_service.ask(COMPOUND)
    assert not answer.abstained
    paragraphs = answer.text.split("\n\n")
    assert len(paragraphs) == 2
    assert "Haecht" in paragraphs[0]
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert numbers <= {p.rank for p in answer.sources}
    assert answer.standalone_question.count("?") == 2


@pytest.mark.integration
@pytest.mark.slow
def test_the_real_model_answers_each_part_with_its_fact(real_service: AssistantService) -> None:
    paragraphs = real_service.ask(COMPOUND).text.split("\n\n")
    assert len(paragraphs) == 2
    assert "Haecht" in paragraphs[0] and "90" in paragraphs[1]


def test_a_sentence_that_answers_both_parts_is_said_once() -> None:
    """"Qu'est-ce que la CNAPD, et depuis quand est-elle active ?": one sentence says both."""
    sentence = "La CNAPD est une coordination pluraliste, active depuis 1970."
    first = answered([(sentence, 1)], [passage("a", 1)])
    second = answered([(sentence, 1)], [passage("a", 1)])
    joined = join_answers(["Q1 ?", "Q2 ?"], [first, second], "fr")
    assert joined.text == f"{sentence} [1]"


def test_a_later_part_does_not_repeat_what_an_earlier_part_quoted() -> None:
    """"What is FOPES, and which research centre is it part of?": the sentence naming both
    is quoted once; the second part adds only what the first did not say."""
    both = "The CIRTES was born of the union of FOPES and two centres."
    first = answered([(both, 1)], [passage("a", 1)])
    second = answered([(both, 1), ("The CIRTES is a research centre of UCLouvain.", 2)],
                      [passage("a", 1), passage("b", 2)])
    joined = join_answers(["Q1 ?", "Q2 ?"], [first, second], "fr")
    assert joined.text.count(both) == 1
    assert joined.text == f"{both} [1]\n\nThe CIRTES is a research centre of UCLouvain. [2]"
    listed = Answer(f"Lead: [1]\n- {both} [1]\n- Another item. [1]", False, "fr",
                    sources=[passage("a", 1)],
                    citations=[Citation(1, passage("a", 1), "Lead:"),
                               Citation(1, passage("a", 1), both),
                               Citation(1, passage("a", 1), "Another item.")])
    joined = join_answers(["Q1 ?", "Q2 ?"], [first, listed], "fr")
    assert joined.text == f"{both} [1]\n\nLead: [1]\n- Another item. [1]"


def test_each_part_takes_the_route_of_a_question_of_its_own(
        fake_service: AssistantService, monkeypatch: pytest.MonkeyPatch) -> None:
    """A part that asks for organisations meets the same directory-or-passages gate and
    naming as the question alone would (one route, not two)."""
    fake_service.ingest()
    routed: list[str] = []
    route = fake_service._routed_answer

    def spy(question: str, language: str, said: object = ()) -> object:
        routed.append(question)
        return route(question, language)

    monkeypatch.setattr(fake_service, "_routed_answer", spy)
    fake_service.ask("Quelle est l'adresse de WSM, et qui travaille sur le logement ?")
    assert len(routed) == 2 and "logement" in routed[1]
