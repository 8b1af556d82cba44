"""Unit tests for assistant.answering.conversation: names, follow-up detection and resolution."""

from __future__ import annotations

import pytest

from assistant.answering.conversation import is_follow_up, resolve_follow_up
from assistant.answering.profile import asked_part, profile_question
from assistant.core.names import names_in


def borrowed_context(resolved: str) -> str:
    """What a resolved follow-up borrowed from the conversation (after it, in brackets)."""
    return resolved[len(asked_part(resolved)):].strip(" ()")

# ----------------------------------------------------------------------------- resolve


@pytest.mark.parametrize(
    ("question", "history", "language", "expected_name"),
    [
        ("Et quelles sont ses trois missions ?",
         [("Qu'est-ce que le CNCD-11.11.11 ?",
           "Le CNCD-11.11.11 coordonne la voix de 90 ONG belges.")], "fr", "CNCD-11.11.11"),
        ("Et son adresse ?", [("Que fait WSM ?", "WSM est l'ONG du MOC.")], "fr", "WSM"),
        ("And how many members does it have?",
         [("What is the Coalition Climat?", "The Coalition Climat is a coalition.")],
         "en", "Coalition Climat"),
        ("Et combien d'organisations réunit-elle ?",
         [("Que fait la Coalition Climat ?", "La Coalition Climat réunit des organisations.")],
         "fr", "Coalition Climat"),
        ("And when was it created?",
         [("What is Solidarité Mondiale?", "Solidarité Mondiale is the NGO of the MOC.")],
         "en", "Solidarité Mondiale"),
        ("Quel est son site web ?", [("Que fait le CIRÉ ?", "")], "fr", "CIRÉ"),
    ],
)
def test_follow_up_borrows_the_previous_name(
    question: str, history: list[tuple[str, str]], language: str, expected_name: str
) -> None:
    resolved = resolve_follow_up(question, history, language)
    assert expected_name in resolved
    assert question.rstrip("?").strip() in resolved  # the question itself is kept


def test_follow_up_uses_the_latest_named_turn() -> None:
    history = [("Que fait le CIEP ?", "Le CIEP forme des adultes."),
               ("Que fait WSM ?", "WSM est l'ONG du MOC.")]
    resolved = resolve_follow_up("Et son adresse ?", history, "fr")
    assert "WSM" in resolved
    assert "CIEP" not in resolved


def test_follow_up_falls_back_on_the_assistant_answer() -> None:
    history = [("Qui soutient les mouvements sociaux ?",
                "WSM soutient les mouvements sociaux. Le MOC aussi.")]
    resolved = resolve_follow_up("Et son adresse ?", history, "fr")
    assert "WSM" in resolved
    assert "MOC" not in resolved  # only the answer's first sentence counts


@pytest.mark.parametrize(
    ("question", "previous", "language", "old_name", "new_name"),
    [
        ("Et le CIEP ?", "Que fait le GRESEA ?", "fr", "GRESEA", "CIEP"),
        ("Et la CNAPD ?", "Quelle est l'adresse de WSM ?", "fr", "WSM", "CNAPD"),
        ("Et pour Vie Féminine ?", "Quels sont les thèmes de la JOC ?", "fr", "JOC",
         "Vie Féminine"),
        ("And the CIEP?", "What does the GRESEA do?", "en", "GRESEA", "CIEP"),
        ("What about the JOC?", "Where is WSM based?", "en", "WSM", "JOC"),
    ],
)
def test_new_name_alone_reuses_the_previous_question(
    question: str, previous: str, language: str, old_name: str, new_name: str
) -> None:
    resolved = resolve_follow_up(question, [(previous, "Une réponse.")], language)
    assert resolved == previous.replace(old_name, new_name)


def test_et_le_ciep_after_que_fait_le_gresea() -> None:
    history = [("Que fait le GRESEA ?", "Le GRESEA est un groupe de recherche.")]
    assert resolve_follow_up("Et le CIEP ?", history, "fr") == "Que fait le CIEP ?"


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Que fait la CNAPD ?", "fr"),
        ("Quelle est l'adresse du CIEP ?", "fr"),
        ("What does the JOC do?", "en"),
    ],
)
def test_standalone_question_is_unchanged(question: str, language: str) -> None:
    history = [("Que fait WSM ?", "WSM est l'ONG du MOC.")]
    assert resolve_follow_up(question, history, language) == question


def test_follow_up_naming_its_own_organisation_is_unchanged() -> None:
    question = "Et quelles sont les missions de la CNAPD en Belgique ?"
    history = [("Que fait WSM ?", "WSM est l'ONG du MOC.")]
    assert resolve_follow_up(question, history, "fr") == question


@pytest.mark.parametrize(
    ("question", "language"),
    [("Et son adresse ?", "fr"), ("And how many members does it have?", "en")],
)
def test_no_history_leaves_the_question_unchanged(question: str, language: str) -> None:
    assert resolve_follow_up(question, [], language) == question


def test_history_without_names_leaves_the_question_unchanged() -> None:
    history = [("bonjour", "bonjour, posez votre question.")]
    assert resolve_follow_up("Et son adresse ?", history, "fr") == "Et son adresse ?"


# ----------------------------------------------------------------------------- names_in


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Qu'est-ce que le CNCD-11.11.11 ?", "CNCD-11.11.11"),
        ("Que fait WSM ?", "WSM"),
        ("Quand WSM a-t-il été fondé ?", "WSM"),
        ("Le CIRÉ aide les réfugiés.", "CIRÉ"),
        ("Que fait l'ACV-CSC ?", "ACV-CSC"),
        ("What is the Coalition Climat?", "Coalition Climat"),
        ("Que fait Vie Féminine ?", "Vie Féminine"),
        ("Solidarité Mondiale soutient des mouvements sociaux.", "Solidarité Mondiale"),
        ("Qui dirige Entraide et Fraternité ?", "Entraide et Fraternité"),
    ],
)
def test_names_in_finds_names(text: str, expected: str) -> None:
    assert expected in names_in(text)


def test_names_in_keeps_an_acronym_joined_to_a_word_whole() -> None:
    """"AEF-Europe" was cut to "AEF-E", a name no passage writes."""
    assert names_in("Who created AEF-Europe?") == ["AEF-Europe"]
    assert names_in("Le CNCD-11.11.11 et l'ACV-CSC") == ["CNCD-11.11.11", "ACV-CSC"]


def test_an_acronym_keeps_the_capitalised_words_of_its_name() -> None:
    """"SOS Faim" cut to "SOS" made the follow-up "Et elle soutient combien ... ?" ask about
    "SOS"; a word in lowercase ends the name."""
    assert names_in("Qu'a fait SOS Faim de marquant en 1987 ?") == ["SOS Faim"]
    assert names_in("ATD Quart Monde est né en 1957.") == ["ATD Quart Monde"]
    assert names_in("Que fait WSM en Afrique ?") == ["WSM", "Afrique"]


def test_months_and_days_name_nobody() -> None:
    assert names_in("Who has chaired the LDH since December 2011?") == ["LDH"]
    assert names_in("The board met on Monday in Brussels.") == ["Brussels"]


def test_a_follow_up_borrows_the_whole_name_of_an_acronym_and_its_words() -> None:
    history = [("Qu'a fait SOS Faim de marquant en 1987 ?",
                "In 1987, SOS Faim became the first Belgian NGO to support microfinance.")]
    standalone = resolve_follow_up("Et elle soutient combien d'institutions aujourd'hui ?",
                                   history, "fr")
    assert names_in(borrowed_context(standalone)) == ["SOS Faim"]


def test_names_in_finds_several_names() -> None:
    names = names_in("WSM travaille avec la Coalition Climat, le CIRÉ et l'ACV-CSC.")
    assert {"CIRÉ", "ACV-CSC", "Coalition Climat", "WSM"} <= set(names)


@pytest.mark.parametrize(
    "text",
    [
        "Quelles organisations travaillent sur le climat ?",
        "Où se trouve le siège ?",
        "Que fait le mouvement ?",
        "Which organisations are members?",
        "Qui est le président ?",
        "Et son adresse ?",
    ],
)
def test_names_in_ignores_sentence_initial_common_words(text: str) -> None:
    assert names_in(text) == []


def test_names_in_strips_a_leading_question_word() -> None:
    names = names_in("Quand WSM a-t-il été fondé ?")
    assert "Quand" not in " ".join(names)


# ----------------------------------------------------------------------------- is_follow_up


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Et son adresse ?", "fr"),
        ("Et le CIEP ?", "fr"),
        ("Quel est son rôle ?", "fr"),
        ("Quelles sont leurs missions ?", "fr"),
        ("Et quelles sont ses trois missions ?", "fr"),
        ("Où cette organisation est-elle active ?", "fr"),
        ("And the CIEP?", "en"),
        ("What is its address?", "en"),
        ("Where is it located?", "en"),
        ("What about the JOC?", "en"),
        ("And how many members does it have?", "en"),
    ],
)
def test_is_follow_up_positive(question: str, language: str) -> None:
    assert is_follow_up(question, language)


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Que fait le CIEP ?", "fr"),
        ("Qu'est-ce que la CNAPD ?", "fr"),
        ("Etudes sur le climat", "fr"),  # "Et" is not a word here
        ("Combien de membres compte la CSC ?", "fr"),
        ("What does WSM do?", "en"),
        ("Android apps for the CIEP?", "en"),  # "And" is not a word here
        ("Is the CIEP in Brussels?", "en"),
    ],
)
def test_is_follow_up_negative(question: str, language: str) -> None:
    assert not is_follow_up(question, language)


# ------------------------------------------------------------- defects found and fixed


@pytest.mark.parametrize(
    "question",
    ["Que fait-elle ?", "Où se trouve-t-il ?", "Combien de membres compte-t-elle ?"],
)
def test_inverted_pronoun_is_a_follow_up(question: str) -> None:
    history = [("Qu'est-ce que Vie Féminine ?", "Vie Féminine est un mouvement féministe.")]
    assert is_follow_up(question, "fr")
    assert "Vie Féminine" in resolve_follow_up(question, history, "fr")


def test_second_follow_up_keeps_the_organisation() -> None:
    history = [
        ("Que fait WSM ?", "WSM est l'ONG du Mouvement ouvrier chrétien. [1]"),
        ("Et son adresse ?", "Adresse principale : Chaussée de Haecht 579 1030 Schaerbeek [1]"),
    ]
    resolved = resolve_follow_up("Et quelles sont ses missions ?", history, "fr")
    assert "WSM" in resolved
    assert "Haecht" not in resolved


def test_dotted_acronym_after_an_article() -> None:
    assert "CNCD-11.11.11" in names_in("Le CNCD-11.11.11 coordonne 90 ONG belges.")
    history = [("Qui coordonne les ONG belges ?", "Le CNCD-11.11.11 coordonne 90 ONG belges.")]
    assert "CNCD-11.11.11" in resolve_follow_up("Et son adresse ?", history, "fr")


def test_a_name_after_an_elision_is_found_and_l_apostrophe_is_no_acronym() -> None:
    assert names_in("Qu'est-ce que l'Aped ?") == ["Aped"]
    found = names_in("L’Appel pour une école démocratique (Aped) est un mouvement belge")
    assert "Aped" in found
    assert not any(n.startswith(("L’", "L'")) for n in found)
    history = [("Qu'est-ce que l'Aped ?", "L’Appel pour une école démocratique (Aped) est …")]
    resolved = resolve_follow_up("Et ses missions ?", history, "fr")
    assert resolved.startswith("Et ses missions ? (")
    assert names_in(borrowed_context(resolved)) == ["Aped"]


def test_a_common_noun_in_capitals_does_not_stop_a_follow_up() -> None:
    history = [("Qu'est-ce que le CNCD-11.11.11 ?", "Le CNCD-11.11.11 coordonne 90 ONG.")]
    resolved = resolve_follow_up("Et combien d'ONG coordonne-t-il ?", history, "fr")
    assert resolved.startswith("Et combien d'ONG coordonne-t-il ? (")
    assert names_in(borrowed_context(resolved)) == ["CNCD-11.11.11"]


def test_an_organisation_noun_is_not_a_name_even_after_an_elision() -> None:
    assert names_in("Combien d'ONG le CNCD-11.11.11 coordonne-t-il ?") == ["CNCD-11.11.11"]
    assert names_in("Which NGOs does WSM support?") == ["WSM"]


@pytest.mark.parametrize(
    ("question", "language", "expected"),
    [
        ("Qui en fait partie ?", "fr", True),  # "en" before a verb: a pronoun
        ("Combien en compte-t-elle ?", "fr", True),
        ("Quels sont les membres ?", "fr", True),  # a relation with no complement
        ("What kinds of organisations are members?", "en", True),
        ("Who are the partners?", "en", True),
        ("Que fait WSM en Belgique ?", "fr", False),  # "en": a preposition
        ("Qui travaille sur le logement en Wallonie ?", "fr", False),
        ("Who are the partners of WSM?", "en", False),
        ("Quels sont les membres de la Coalition Climat ?", "fr", False),
    ],
)
def test_follow_up_cues_without_a_subject(question: str, language: str, expected: bool) -> None:
    assert is_follow_up(question, language) is expected


def test_dangling_relation_borrows_the_previous_name() -> None:
    history = [("What is the Coalition Climat?", "It brings together 70 organisations.")]
    resolved = resolve_follow_up("What kinds of organisations are members?", history, "en")
    assert "Coalition Climat" in resolved


def test_a_follow_up_borrows_the_earlier_questions_topic_not_only_its_names() -> None:
    history = [("Où se trouve le siège de Quinoa ?", "Siège social : Mundo-b, Bruxelles.")]
    resolved = resolve_follow_up("Et les bureaux sont ouverts quand ?", history, "fr")
    assert resolved.startswith("Et les bureaux sont ouverts quand ? (")
    assert {"siège", "Quinoa"} <= set(borrowed_context(resolved).split())


def test_a_follow_ups_kind_of_answer_is_its_own_not_the_borrowed_questions() -> None:
    history = [("Où se trouve le siège de Quinoa ?", "Siège social : Mundo-b, Bruxelles.")]
    resolved = resolve_follow_up("Et les bureaux sont ouverts quand ?", history, "fr")
    assert profile_question(resolved, "fr").kind.id != "place"  # "où se trouve" is borrowed
    resolved = resolve_follow_up("Et depuis quand ?", history, "fr")
    assert profile_question(resolved, "fr").kind.id == "date"
    assert profile_question(resolved, "fr").names == ("Quinoa",)


def test_the_earlier_questions_own_brackets_do_not_hide_what_is_borrowed() -> None:
    history = [("Où se trouve le siège de la Fédération des CPAS (FCPAS) ?", "Rue de l'Étoile.")]
    resolved = resolve_follow_up("Et les bureaux sont ouverts quand ?", history, "fr")
    assert asked_part(resolved) == "Et les bureaux sont ouverts quand ?"
    assert profile_question(resolved, "fr").kind.id != "place"
    assert "FCPAS" in names_in(borrowed_context(resolved))


def test_a_question_that_ends_in_brackets_keeps_them_as_its_own_words() -> None:
    assert asked_part("(MOC)") == "(MOC)"
    assert asked_part("Quand le MOC (ACW) a-t-il été créé ?") == (
        "Quand le MOC (ACW) a-t-il été créé ?")
