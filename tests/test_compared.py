"""Organisations asked about together: found, split into one question each when each has
its own value (a date, a count, "which is older"), kept whole when one sentence relates them."""

from __future__ import annotations

import re

import pytest

from assistant.answering.compared import coordinated_names, split_organisations
from assistant.core.messages import message
from assistant.service.assistant_service import AssistantService


@pytest.mark.parametrize(("question", "names"), [
    ("Quand sont nés PAC et la Ligue des droits humains ?", ["PAC", "Ligue des droits humains"]),
    ("Laquelle est la plus ancienne : la Ligue des droits humains ou la CGSLB ?",
     ["Ligue des droits humains", "CGSLB"]),
    ("Entre la FEANTSA et Eurodiaconia, laquelle est la plus ancienne ?",
     ["FEANTSA", "Eurodiaconia"]),
    ("Which is older, the League of Nations or the Red Cross?", ["League of Nations", "Red Cross"]),
    ("How many members do the CSC, the FGTB and the CGSLB have?", ["CSC", "FGTB", "CGSLB"]),
    ("Qu'ont en commun Iles de Paix et l'Université de Paix ?",
     ["Iles de Paix", "Université de Paix"]),
    # a kind of organisation, then what names it, through a stop word before a capital
    ("Quand sont nées la CSC et la Fédération des maisons médicales de Wallonie ?",
     ["CSC", "Fédération des maisons médicales de Wallonie"]),
    ("Which is older, the Federation of Women of Ontario or the CSC?",
     ["Federation of Women of Ontario", "CSC"]),
])
def test_organisations_asked_together_are_found(question: str, names: list[str]) -> None:
    assert [m.name for m in coordinated_names(question)] == names


@pytest.mark.parametrize("question", [
    "Qui sont les partenaires du MOC dans le réseau AID ?",  # not joined by "et"/"ou"
    "Que fait Lire et Ecrire ?",  # "et" inside one name
    "Which organisations work on housing and energy?",  # no names
    "Quand WSM a-t-elle été fondée ?",
    "Quand la CSC et la Fédération sont-elles nées ?",  # a kind of organisation, no name
])
def test_one_organisation_is_no_coordination(question: str) -> None:
    assert coordinated_names(question) == []


@pytest.mark.parametrize(("question", "language", "parts"), [
    # a typed kind: one value per organisation, the question without the other names
    ("Quand sont nés PAC et la Ligue des droits humains ?", "fr",
     ["Quand sont nés PAC ?", "Quand sont nés Ligue des droits humains ?"]),
    ("How many members do the CSC, the FGTB and the CGSLB have?", "en",
     ["How many members do the CSC have?", "How many members do the FGTB have?",
      "How many members do the CGSLB have?"]),
    # "which is older": the kind's own question for each (data/kinds.toml, prompts/)
    ("Laquelle est la plus ancienne : la Ligue des droits humains ou la CGSLB ?", "fr",
     [message("question_each_founded", "fr", name="Ligue des droits humains"),
      message("question_each_founded", "fr", name="CGSLB")]),
    ("Which is older, SOS Faim or Quinoa?", "en",
     ["When was SOS Faim founded?", "When was Quinoa founded?"]),
    ("Which was set up first, CAFOD or Oxfam?", "en",
     ["When was CAFOD founded?", "When was Oxfam founded?"]),
])
def test_one_question_per_organisation(question: str, language: str, parts: list[str]) -> None:
    assert split_organisations(question, language) == parts


@pytest.mark.parametrize(("question", "language"), [
    ("Quel est le lien entre WSM et le MOC ?", "fr"),  # one sentence relates them
    ("Qu'ont en commun Iles de Paix et l'Université de Paix ?", "fr"),  # compared as a whole
    ("Which organisations do WSM and the MOC both work with?", "en"),  # a list of both
    ("Quand WSM a-t-elle été fondée ?", "fr"),
])
def test_a_question_that_relates_them_stays_whole(question: str, language: str) -> None:
    assert split_organisations(question, language) == [question]


def test_a_follow_ups_borrowed_context_is_not_split() -> None:
    """Only the question asked is read: the brackets a follow-up borrowed name the topic."""
    question = "Et depuis quand ? (Où se trouvent la CSC et la FGTB)"
    assert split_organisations(question, "fr") == [question]


def test_the_service_answers_each_organisation(fake_service: AssistantService) -> None:
    """Through the real pipeline (fake encoder): one paragraph per organisation, each cited."""
    fake_service.ingest()
    answer = fake_service.ask("Où se trouvent WSM et le CNCD-11.11.11 ?")
    paragraphs = answer.text.split("\n\n")
    assert len(paragraphs) == 2
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert numbers and numbers <= {p.rank for p in answer.sources}
    assert answer.standalone_question.count("?") == 2
