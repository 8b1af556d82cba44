"""Answer kinds (assistant/answering/kinds.py, data/kinds.toml): which kind of answer a
French or English question asks for, and what the kinds' data says of each kind."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import assistant.answering.kinds as kinds_module
from assistant.answering.detectors import TYPE_PATTERNS
from assistant.answering.kinds import FACTOID, SELECTORS, AnswerKind, answer_kind, kinds
from assistant.answering.profile import profile_question
from assistant.core.messages import message

KIND_TABLE = [
    # e-mail
    ("Quelle est l'adresse e-mail de WSM ?", "fr", "email"),
    ("Quel est le courriel du CIEP ?", "fr", "email"),
    ("What is the CIEP's email address?", "en", "email"),
    pytest.param("Quel est l'e-mail du CIEP ?", "fr", "email"),
    # phone
    ("Quel est le numéro de téléphone du CIEP ?", "fr", "phone"),
    ("Comment joindre le CIEP par téléphone ?", "fr", "phone"),
    ("What's WSM's phone number?", "en", "phone"),
    # web
    ("Quel est le site web de WSM ?", "fr", "web"),
    ("What is the website of WSM?", "en", "web"),
    # amount
    ("Quel est le budget du CIEP ?", "fr", "amount"),
    ("Combien coûte la formation ?", "fr", "amount"),
    ("How much money did WSM raise?", "en", "amount"),
    ("How much does the training cost?", "en", "amount"),
    # frequency
    ("Le CIEP propose des formations tous les combien ?", "fr", "frequency"),
    ("Et il se réunit combien de fois par an ?", "fr", "frequency"),
    ("À quelle fréquence paraît la revue ?", "fr", "frequency"),
    ("How often does the board meet?", "en", "frequency"),
    # founder: before the web kind ("Who created the X website?")
    ("Qui a fondé Financité ?", "fr", "founder"),
    ("Par qui a été fondée la JOC ?", "fr", "founder"),
    ("Qui est le fondateur de la JOC ?", "fr", "founder"),
    ("Who founded the MOC?", "en", "founder"),
    ("Who set up the Max Bastin chair?", "en", "founder"),
    ("Who created the Pédagothèque website?", "en", "founder"),
    ("Who created the AID website?", "en", "founder"),
    # comparison
    ("Qu'ont en commun le MOC et WSM ?", "fr", "comparison"),
    ("Quelle est la différence entre la CSC et la FGTB ?", "fr", "comparison"),
    ("What is the difference between the CSC and the FGTB?", "en", "comparison"),
    # which is older: a date for each (assistant/answering/compared.py)
    ("Which is older, the CSC or the MOC?", "en", "age_comparison"),
    ("Laquelle est la plus ancienne : la CSC ou la FGTB ?", "fr", "age_comparison"),
    ("Which came first, the CCFD or the CSQ?", "en", "age_comparison"),
    # date
    ("En quelle année le MOC a-t-il été fondé ?", "fr", "date"),
    ("Quand WSM a-t-elle été fondée ?", "fr", "date"),
    ("Et quand a-t-il été fondé ?", "fr", "date"),  # after an opening "et"
    ("Depuis quand la JOC existe-t-elle ?", "fr", "date"),
    ("When was the MOC founded?", "en", "date"),
    ("What year was the CSC founded?", "en", "date"),
    ("Since when has the CIEP existed?", "en", "date"),
    # count
    # duration: a length of time, not a count
    ("Combien de temps dure la formation ?", "fr", "duration"),
    ("Quelle est la durée du projet international ?", "fr", "duration"),
    ("How long does the TUC course last?", "en", "duration"),
    ("And how long did he serve?", "en", "duration"),
    ("Combien d'années dure le plan d'action ?", "fr", "duration"),  # not a count of years
    ("How many years did the programme run?", "en", "duration"),
    ("Combien de membres compte la CSC ?", "fr", "count"),
    ("Quel est le nombre de permanents ?", "fr", "count"),
    ("How many members does the JOC have?", "en", "count"),
    ("What is the number of staff?", "en", "count"),
    # place
    ("Où se trouve le siège du MOC ?", "fr", "place"),
    ("Dans quelle ville se trouve le siège de la CSC ?", "fr", "place"),
    ("Quelle est son adresse ?", "fr", "address"),
    ("Et où se trouve-t-il ?", "fr", "place"),
    ("Where is WSM located?", "en", "place"),
    ("In which city is the MOC based?", "en", "place"),
    ("What's WSM's address?", "en", "address"),
    ("And where is it?", "en", "place"),
    # an address: a street and number or a post code answers, a town does not
    ("Quelle est l'adresse de WSM ?", "fr", "address"),
    ("Dans quelle rue se trouve le CIEP ?", "fr", "address"),
    ("What is the postal address of EAPN?", "en", "address"),
    # history: a summary read as a timeline
    ("Résumez l'historique de WSM.", "fr", "history"),
    ("Résume les grandes étapes de l'histoire de SOS Faim.", "fr", "history"),
    ("Give me a short history of the Ligue des droits humains.", "en", "history"),
    ("Summarise the history of the JOC.", "en", "history"),
    ("Quelle est l'histoire du MOC ?", "fr", "history"),
    ("Quels mouvements internationaux WSM soutenait-elle à ses débuts ?", "fr", "list"),
    # summary
    ("Parle-moi de l'évolution du CIEP.", "fr", "summary"),
    ("Parle-moi du CIEP.", "fr", "summary"),
    ("Give me an overview of the CNCD.", "en", "summary"),
    ("Tell me about the CIEP.", "en", "summary"),
    # definition: nothing but the cue and the name
    ("Le CIEP, c'est quoi ?", "fr", "definition"),
    ("Qu'est-ce que l'Aped ?", "fr", "definition"),
    ("Que fait le CIEP ?", "fr", "definition"),
    ("What is FOPES?", "en", "definition"),
    ("What does FOPES stand for?", "en", "definition"),
    # how
    ("Comment devenir volontaire chez WSM ?", "fr", "how"),
    ("De quelle manière WSM soutient-elle ses partenaires ?", "fr", "how"),
    ("How can I join the JOC?", "en", "how"),
    ("What are the steps to become a volunteer?", "en", "how"),
    ("How does WSM plan to address poverty?", "en", "how"),  # "to address" is no address
    # list
    ("Quelles organisations sont membres du CNCD-11.11.11 ?", "fr", "list"),
    ("Citez les mouvements du MOC.", "fr", "list"),
    ("Which organisations are members of the CNCD-11.11.11?", "en", "list"),
    # what something is made of: its parts are a list
    ("De quoi se compose le conseil d'administration du CIEP ?", "fr", "list"),
    ("Le réseau est composé de quelles organisations ?", "fr", "list"),
    ("What does the WSM network consist of?", "en", "list"),
    ("What is the general assembly made up of?", "en", "list"),
    ("What are WSM's strategies?", "en", "list"),
    ("Give the list of the MOC movements.", "en", "list"),
    # "when" inside the question is no date question
    ("What kinds of diversity does the programme take into account when it puts groups "
     "together?", "en", "list"),
    # yes / no
    ("Est-ce que WSM travaille en Afrique ?", "fr", "yesno"),
    ("Y a-t-il des formations en ligne ?", "fr", "yesno"),
    ("Does the CSC have members in Flanders?", "en", "yesno"),
    ("Is the CIEP part of the MOC?", "en", "yesno"),
    # who holds a role: a person's name answers
    ("Qui est le président du MOC ?", "fr", "role_holder"),
    ("Qui préside le MOC ?", "fr", "role_holder"),
    ("Who is the president of the MOC?", "en", "role_holder"),
    ("Who was Refugee Action's chief executive in 2012-2013?", "en", "role_holder"),
    ("Qui a cofondé la FOPES et en a été le premier directeur ?", "fr", "founder"),
    # factoid: no kind's cue
    ("Que fait le CIEP pour les jeunes ?", "fr", "factoid"),  # more than a name: no definition
    ("Que faire quand on perd son emploi ?", "fr", "factoid"),  # "quand" inside: no date
    ("What does Caritas do when an emergency hits?", "en", "factoid"),
    # "s'adresse" is no address (kind_lookalikes)
    ("À qui s'adresse la formation ?", "fr", "factoid"),
    ("À qui s'adresse la formation de la FOPES ?", "fr", "factoid"),
    pytest.param("Qui siège au conseil d'administration de SOLIDAR ?", "fr", "factoid"),
]


@pytest.mark.parametrize(("question", "language", "kind"), KIND_TABLE)
def test_the_kind_a_question_asks_for(question: str, language: str, kind: str) -> None:
    assert profile_question(question, language).kind.id == kind


@pytest.mark.parametrize(("question", "language"), [
    ("À qui s'adresse la formation ?", "fr"),
    ("À qui s'adresse la formation de la FOPES ?", "fr"),
    ("How does WSM plan to address poverty?", "en"),
])
def test_a_verb_holding_a_cue_word_is_no_place_question(question: str, language: str) -> None:
    profile = profile_question(question, language)
    assert profile.kind.type != "place"
    assert "address" not in profile.expects


def test_what_kinds_when_it_puts_groups_together_is_no_date_question() -> None:
    question = "What kinds of diversity does the programme value when it puts groups together?"
    profile = profile_question(question, "en")
    assert profile.kind.id != "date"
    assert profile.kind.type != "date"
    assert "year" not in profile.expects


def test_who_created_a_website_asks_for_a_founder_not_a_web_address() -> None:
    profile = profile_question("Who created the Pédagothèque website?", "en")
    assert profile.kind.id == "founder"
    assert profile.asks_founder and profile.asks_who
    assert profile.kind.type == ""  # no web address required


@pytest.mark.parametrize(("question", "language", "selector", "expects"), [
    ("Quand WSM a-t-elle été fondée ?", "fr", "factoid", {"year"}),
    ("Combien de membres compte la CSC ?", "fr", "factoid", {"number"}),
    ("Où se trouve le siège du MOC ?", "fr", "factoid", {"address"}),
    ("Quel est le numéro de téléphone du CIEP ?", "fr", "factoid", {"phone"}),
    ("Quelle est l'adresse du CIEP ?", "fr", "factoid", {"street"}),
    ("Résumez l'historique de WSM.", "fr", "timeline", set()),
    ("Parle-moi du CIEP.", "fr", "summary", set()),
    ("What is FOPES?", "en", "definition", set()),
    ("How can I join the JOC?", "en", "passage", set()),
    ("Which organisations are members of the CNCD-11.11.11?", "en", "list", set()),
    ("Qu'ont en commun le MOC et WSM ?", "fr", "comparison", set()),
])
def test_a_kind_gives_the_profile_its_selector_and_answer_type(
        question: str, language: str, selector: str, expects: set[str]) -> None:
    profile = profile_question(question, language)
    assert profile.kind.selector == selector
    assert profile.expects == frozenset(expects)
    assert profile.is_list is (selector == "list")
    assert profile.is_summary is (selector in ("summary", "timeline"))
    assert profile.defines is (selector == "definition")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_kind_of_the_data_is_usable(language: str) -> None:
    found = kinds(language)
    assert found, "kinds.toml gives no kind"
    ids = {k.id for k in found}
    assert {"email", "phone", "web", "amount", "frequency", "founder", "comparison", "date",
            "count", "place", "summary", "definition", "how", "list", "yesno"} <= ids
    for kind in found:
        assert kind.selector in SELECTORS, kind
        assert kind.type == "" or kind.type in TYPE_PATTERNS, kind
        assert kind.starts or kind.cues, kind
        assert all(c == c.lower() for c in (*kind.starts, *kind.cues)), kind  # folded
    assert FACTOID.selector == "factoid" and FACTOID.type == ""


def test_a_kinds_question_for_each_organisation_is_a_message_in_both_languages() -> None:
    """``each`` names a message of prompts/<lang>/messages.toml that takes the name."""
    asking = [k for language in ("fr", "en") for k in kinds(language) if k.each]
    assert asking
    for kind in asking:
        for language in ("fr", "en"):
            assert "Vie Féminine" in message(kind.each, language, name="Vie Féminine")


def test_a_question_without_any_cue_is_a_factoid() -> None:
    assert answer_kind("Le MOC et la jeunesse", "fr", ["moc", "jeunesse"], ["MOC"]) == FACTOID


def test_a_kind_needs_its_opening_and_its_cue() -> None:
    who_founded = AnswerKind("founder", "", "factoid", starts=("qui ",),
                             cues=("fonde",))
    assert who_founded.matches("qui a fonde le moc", ["fonde", "moc"], {"moc"})
    assert who_founded.matches("et qui a fonde le moc", ["fonde", "moc"], {"moc"})
    assert not who_founded.matches("quand le moc a-t-il ete fonde", ["fonde", "moc"], {"moc"})
    assert not who_founded.matches("qui preside le moc", ["preside", "moc"], {"moc"})
    only_names = AnswerKind("definition", "", "definition", cues=("c'est quoi",),
                            only_names=True)
    assert only_names.matches("le ciep, c'est quoi", ["ciep"], {"ciep"})
    assert not only_names.matches("la formation, c'est quoi", ["formation"], set())
    assert not only_names.matches("le ciep, c'est quoi pour les jeunes", ["ciep", "jeunes"],
                                  {"ciep"})


@pytest.fixture
def fresh_kinds() -> Iterator[None]:
    kinds.cache_clear()
    yield
    kinds.cache_clear()


def test_a_kind_with_an_unknown_selector_is_refused(
        monkeypatch: pytest.MonkeyPatch, fresh_kinds: None) -> None:
    rows = {"kind": [{"id": "odd", "type": "", "selector": "poem",
                      "fr": {"cues": ["poeme"]}}]}
    monkeypatch.setattr(kinds_module, "word_lists", lambda *args: rows)
    with pytest.raises(ValueError, match="poem"):
        kinds("fr")


def test_a_new_kind_is_a_row_of_data(monkeypatch: pytest.MonkeyPatch,
                                     fresh_kinds: None) -> None:
    rows = {"kind": [
        {"id": "vat", "type": "count", "selector": "factoid",
         "fr": {"cues": ["numero de TVA"]}},  # folded when read
        {"id": "english_only", "type": "", "selector": "summary",
         "en": {"cues": ["recap"]}},
    ]}
    monkeypatch.setattr(kinds_module, "word_lists", lambda *args: rows)
    assert [k.id for k in kinds("fr")] == ["vat"]  # a row without French cues is no kind
    assert answer_kind("Quel est le numéro de TVA du MOC ?", "fr", ["numero", "tva", "moc"],
                       ["MOC"]).id == "vat"
    assert answer_kind("Qui préside le MOC ?", "fr", ["preside", "moc"], ["MOC"]) == FACTOID
