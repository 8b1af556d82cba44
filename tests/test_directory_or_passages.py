"""An organisation question: the directory's list, or the passages' answer when it is
confident and quotes the page of an organisation the list leaves out; a passage answer that
names no organisation says whose page it quotes (assistant/answering/directory_answers.py)."""

from __future__ import annotations

from engine_fakes import make_passage

from assistant.answering.directory_answers import (
    PASSAGES_OVER_LIST,
    naming_its_organisation,
    passages_answer_instead,
)
from assistant.core.types import Answer, Citation
from assistant.directory.extraction.mention import Mention
from assistant.directory.organisations import build_directory

DIRECTORY = build_directory([
    Mention(name=name, doc_id="d", chunk_id=f"c{i}", defined=True,
            evidence=f"{name} : passage c{i}")
    for i, name in enumerate(["Lifelong Learning Platform", "ECVET", "AEF"])
])
LISTED = [o for o in DIRECTORY.organisations if o.name in ("ECVET", "AEF")]


def passage_answer(text: str, organisation: str, confidence: float,
                   language: str = "en") -> Answer:
    passage = make_passage("llp-1", [text], "About us", 1, organisation=organisation,
                           language=language)
    return Answer(f"{text} [1]", False, language, sources=[passage],
                  citations=[Citation(1, passage, text)], confidence=confidence)


def test_a_confident_answer_from_the_page_of_an_organisation_left_out_wins() -> None:
    answer = passage_answer("The Platform voices citizens' concerns.",
                            "Lifelong Learning Platform", PASSAGES_OVER_LIST + 0.1)
    assert passages_answer_instead(answer, LISTED, DIRECTORY)


def test_the_list_stands_when_the_passages_are_unsure_or_name_a_listed_one() -> None:
    unsure = passage_answer("The Platform voices citizens' concerns.",
                            "Lifelong Learning Platform", PASSAGES_OVER_LIST - 0.1)
    assert not passages_answer_instead(unsure, LISTED, DIRECTORY)
    listed = passage_answer("ECVET promotes lifelong learning.", "ECVET", 0.9)
    assert not passages_answer_instead(listed, LISTED, DIRECTORY)
    unknown = passage_answer("We voice citizens' concerns.", "Nobody Known", 0.9)
    assert not passages_answer_instead(unknown, LISTED, DIRECTORY)  # not an organisation
    abstained = Answer("I cannot find this information in the documents.", True, "en")
    assert not passages_answer_instead(abstained, LISTED, DIRECTORY)


def test_an_answer_naming_no_organisation_says_whose_page_it_quotes() -> None:
    answer = passage_answer("Les axes principaux sur lesquels nous agissons sont l'accueil.",
                            "Amis d'Aladdin", 0.6, "fr")
    named = naming_its_organisation(answer, "fr")
    assert named.text == ("Amis d'Aladdin : Les axes principaux sur lesquels nous agissons "
                          "sont l'accueil. [1]")
    english = passage_answer("It gathers 40 networks.", "Lifelong Learning Platform", 0.6)
    assert naming_its_organisation(english, "en").text.startswith(
        "Lifelong Learning Platform: It gathers")


def test_an_answer_that_names_an_organisation_is_left_as_it_is() -> None:
    text = "The Lifelong Learning Platform is an umbrella of 40 networks."
    answer = passage_answer(text, "Lifelong Learning Platform", 0.6)
    assert naming_its_organisation(answer, "en").text == f"{text} [1]"
    abstained = Answer("Je ne trouve pas cette information dans les documents.", True, "fr")
    assert naming_its_organisation(abstained, "fr").text == abstained.text
