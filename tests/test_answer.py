"""Unit tests for assistant.answering.engine: the extractive engine, on synthetic passages.

No model and no Chroma: unit vectors come from the deterministic FakeEncoder, the IDF
from ``idf_table`` over the synthetic passages, the vocabulary from that table, and the
units are ranked by ``engine_fakes.HAND_MODEL`` (weights set in the test helpers, not the
fitted ones: a refit must not move these tests). ``NO_THRESHOLD`` switches the abstention
threshold off, so that only the checks and ``organisation_known`` can make the engine
abstain.
"""

from __future__ import annotations

import pytest
from engine_fakes import (
    CNCD,
    ENCODER,
    HAND_WEIGHTS,
    MOC,
    NO_THRESHOLD,
    Doc,
    ask,
    assert_abstained,
    assert_grounded,
    bullet_doc,
    hand_model,
    kind_in,
    make_passage,
    other_language_notice,
)

from assistant.answering.engine import answer_from_units
from assistant.answering.features import holds_type
from assistant.answering.matching import (
    cognate,
    compound_part,
    is_strong_name,
    name_known,
    supported,
    word_stems,
)
from assistant.answering.profile import asks_organisation_kinds, profile_question
from assistant.answering.units import is_list_item
from assistant.core.messages import message
from assistant.core.text import analyze
from assistant.core.types import Passage, Unit
from assistant.retrieval.statistics import idf_table

# "l'adresse": the kinds' cues are matched as whole words, and an elided article stays glued
# to its word ("l'adresse" is one word for has_cue), so the cue "adresse" is not found.


# ----------------------------------------------------------------------------- corpus

CIEP = Doc("ciep", [
    "Le CIEP est le service d'éducation permanente du MOC.",
    "Il propose des formations pour adultes.",
], "CIEP", 3)
WSM_ADDRESS = Doc("wsm-adresse", [
    "Adresse principale : Chaussée de Haecht 579 1030 Schaerbeek",
], "WSM", 4, section="Contact")
CSC = Doc("csc", [
    "La CSC est le syndicat chrétien.",
    "La CSC compte 1,5 million de membres.",
], "CSC", 5)
MOC_PRESIDENT = Doc("moc-president", [
    "Le MOC a pour président Ariane Estenne, élue en 2019.",
], "MOC", 6)
VIE_FEMININE = Doc("vie-feminine", [
    "Vie Féminine est un mouvement féministe d'éducation permanente.",
    "Elle lutte contre les inégalités entre femmes et hommes.",
], "Vie Féminine", 7)
JOC = Doc("joc", [
    "La JOC est la Jeunesse ouvrière chrétienne.",
    "Elle organise des jeunes des milieux populaires.",
], "JOC", 8)
TVA = Doc("factures", ["Les factures de la CSC mentionnent la TVA."], "CSC", 9)
CORPUS = [CNCD, MOC, CIEP, WSM_ADDRESS, CSC, MOC_PRESIDENT, VIE_FEMININE, JOC, TVA]

MEMBERS_LIST_ITEMS = [
    "Oxfam-Solidarité, une ONG de solidarité internationale.",
    "Entraide et Fraternité, une ONG catholique.",
    "WSM, l'ONG du Mouvement ouvrier chrétien.",
    "Broederlijk Delen, une ONG flamande.",
    "Le CIRÉ, la coordination pour réfugiés.",
    "Vredeseilanden, une ONG agricole.",
]
MEMBERS_LIST = bullet_doc(
    "cncd-membres", "Le CNCD-11.11.11 regroupe plusieurs organisations membres :",
    MEMBERS_LIST_ITEMS, "CNCD-11.11.11", 1,
)
STRATEGY_ITEMS = [
    "1. En coopérant avec les mouvements sociaux.",
    "2. En renforçant les réseaux.",
    "3. En exigeant des décideurs un travail décent.",
]
STRATEGIES = Doc("wsm-strategies", ["Nos stratégies :", *STRATEGY_ITEMS], "WSM", 3,
                 section="Nos stratégies")


# ----------------------------------------------------------------------------- factoids


@pytest.mark.parametrize(
    ("question", "language", "expected_unit", "expected_rank"),
    [
        ("En quelle année le MOC a-t-il été fondé ?", "fr", "Le MOC a été fondé en 1921.", 2),
        ("When was the MOC founded?", "en", "Le MOC a été fondé en 1921.", 2),
        ("Combien de membres compte la CSC ?", "fr", "La CSC compte 1,5 million de membres.", 5),
        ("Qui est le président du MOC ?", "fr",
         "Le MOC a pour président Ariane Estenne, élue en 2019.", 6),
        ("Que fait le CIEP ?", "fr", "Le CIEP est le service d'éducation permanente du MOC.", 3),
    ],
)
def test_factoid_cites_the_sentence_that_answers(
    question: str, language: str, expected_unit: str, expected_rank: int
) -> None:
    answer = ask(question, language, CORPUS)
    assert_grounded(answer)
    assert answer.language == language
    first = answer.citations[0]
    assert first.unit_text == expected_unit
    assert first.number == expected_rank
    # Every passage is French: an English question's answer says so first.
    opening = "" if language == "fr" else other_language_notice(language, "fr") + " "
    assert answer.text.startswith(f"{opening}{expected_unit} [{expected_rank}]")




@pytest.mark.parametrize("max_units", [
    pytest.param(1), 2, 4])
def test_factoid_answers_stay_short(max_units: int) -> None:
    question = "Quel est le rôle du CNCD-11.11.11 ?"  # a factoid: the runner-up may join
    assert profile_question(question, "fr").kind.selector == "factoid"
    every_unit_joins = hand_model(join_ratio=0.0)  # every runner-up is "close enough"
    answer = ask(question, "fr", CORPUS, max_units=max_units, model=every_unit_joins)
    assert_grounded(answer)
    assert 1 <= len(answer.citations) <= max_units
    assert "\n" not in answer.text


def test_a_definition_answer_stays_short() -> None:
    answer = ask("Que fait le CNCD-11.11.11 ?", "fr", CORPUS, max_units=1,
                 model=hand_model(join_ratio=0.0))
    assert_grounded(answer)
    assert len(answer.citations) == 1


def test_answer_keeps_sources_and_the_question_language() -> None:
    answer = ask("Que fait le CIEP ?", "fr", CORPUS)
    assert answer.sources == [d.passage for d in CORPUS]
    abstention = ask("What does the WWF do?", "en", CORPUS)
    assert_abstained(abstention, "en")
    assert abstention.sources == [d.passage for d in CORPUS]


# ----------------------------------------------------------------------------- lists


def assert_list_intro(line: str, language: str) -> None:
    """A list opens with its own cited lead-in, or with the generic intro of prompts/."""
    if line != message("list_intro", language):
        assert not line.startswith("- ") and line.endswith("]"), line


def list_lines(text: str, language: str, quoted_from: str = "fr") -> list[str]:
    """The answer's lines, without the other-language notice that opens a list quoted
    from a document in the other language."""
    lines = text.split("\n")
    if language != quoted_from:
        assert lines[0] == other_language_notice(language, quoted_from)
        return lines[1:]
    return lines


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Quelles organisations sont membres du CNCD-11.11.11 ?", "fr"),
        ("Which organisations are members of the CNCD-11.11.11?", "en"),
    ],
)
def test_list_question_gets_every_bullet_item(question: str, language: str) -> None:
    answer = ask(question, language, [MEMBERS_LIST, MOC, CIEP], max_units=4)
    assert_grounded(answer)
    lines = list_lines(answer.text, language)
    assert_list_intro(lines[0], language)
    assert all(line.startswith("- ") and line.endswith("[1]") for line in lines[1:])
    for item in MEMBERS_LIST_ITEMS:  # all six, although max_units is 4
        assert f"- {item} [1]" in lines
    cited = {c.unit_text for c in answer.citations}
    assert set(MEMBERS_LIST_ITEMS) <= cited
    assert "•" not in answer.text


def test_list_respects_list_max() -> None:
    answer = ask("Quelles organisations sont membres du CNCD-11.11.11 ?", "fr",
                 [MEMBERS_LIST, MOC], list_max=3)
    assert_grounded(answer)
    items = [c for c in answer.citations if c.unit_text in MEMBERS_LIST_ITEMS]
    assert 1 <= len(items) <= 3


@pytest.mark.parametrize(
    ("question", "language"),
    [("Quelles sont les stratégies de WSM ?", "fr"), ("What are WSM's strategies?", "en")],
)
def test_inline_numbered_list_counts_as_a_list(question: str, language: str) -> None:
    answer = ask(question, language, [CNCD, MOC, STRATEGIES])
    assert_grounded(answer)
    lines = list_lines(answer.text, language)
    assert_list_intro(lines[0], language)
    for item in STRATEGY_ITEMS:
        bare = item.split(" ", 1)[1]  # the "1. " mark is dropped in favour of "- "
        assert f"- {bare} [3]" in lines
    assert {c.unit_text for c in answer.citations} >= set(STRATEGY_ITEMS)


# ----------------------------------------------------------------------------- answer types


@pytest.mark.parametrize(
    ("question", "language", "expected_unit"),
    [
        ("What's WSM's phone number?", "en", "Tél. : 02 246 38 81"),
        ("Quelle est l'adresse e-mail de WSM ?", "fr", "Courriel : info@wsm.be"),
        ("La revue de WSM sort tous les combien ?", "fr", "La revue de WSM est trimestrielle."),
        ("How much money did WSM raise?", "en", "WSM a récolté 2 millions d'euros en 2018."),
    ],
)
def test_present_kind_of_answer_is_answered(question: str, language: str,
                                            expected_unit: str) -> None:
    contact = Doc("wsm-contact", ["Tél. : 02 246 38 81", "Courriel : info@wsm.be"], "WSM", 10,
                  separator="\n")
    review = Doc("wsm-revue", ["La revue de WSM est trimestrielle.",
                               "WSM a récolté 2 millions d'euros en 2018."], "WSM", 11)
    answer = ask(question, language, [*CORPUS, contact, review], disabled_checks=NO_THRESHOLD)
    assert_grounded(answer)
    assert answer.citations[0].unit_text == expected_unit


def test_raising_awareness_is_no_question_of_money() -> None:
    assert "amount" not in profile_question("How does WSM raise awareness?", "en").expects
    assert profile_question("Combien d'ONG le CNCD coordonne-t-il ?", "fr").expects == {"number"}
    assert profile_question("Quelle est l'adresse e-mail du CIEP ?", "fr").expects == {"email"}


@pytest.mark.parametrize(
    ("question", "language", "expected_unit"),
    [
        ("Quelle est l'adresse principale de WSM ?", "fr",
         "Adresse principale : Chaussée de Haecht 579 1030 Schaerbeek"),
        ("Quel est le numéro de TVA du MOC ?", "fr",
         "Le numéro de TVA du MOC est BE 0409.123.456."),
        ("How many members does the CSC have?", "en", "La CSC compte 1,5 million de membres."),
        ("Who is the president of the MOC?", "en",
         "Le MOC a pour président Ariane Estenne, élue en 2019."),
    ],
)
def test_present_attribute_is_answered(question: str, language: str, expected_unit: str) -> None:
    vat = Doc("moc-tva", ["Le numéro de TVA du MOC est BE 0409.123.456."], "MOC", 10)
    answer = ask(question, language, [*CORPUS, vat], disabled_checks=NO_THRESHOLD)
    assert_grounded(answer)
    assert answer.citations[0].unit_text == expected_unit


def test_address_question_cites_the_address_with_its_rank() -> None:
    answer = ask("Où se trouve le siège de WSM ?", "fr", CORPUS)
    assert_grounded(answer)
    assert answer.citations[0].unit_text == WSM_ADDRESS.unit_texts[0]
    assert answer.citations[0].number == 4
    assert "Chaussée de Haecht 579 1030 Schaerbeek [4]" in answer.text


# ----------------------------------------------------------------------------- abstention


@pytest.mark.parametrize(
    ("question", "language"),
    [("What does the WWF do?", "en"), ("Que fait Médecins du Monde ?", "fr")],
)
def test_unknown_strong_name_abstains_whatever_the_score(question: str, language: str) -> None:
    assert_abstained(ask(question, language, CORPUS, disabled_checks=NO_THRESHOLD), language)


@pytest.mark.parametrize(
    ("question", "language"),
    [("What does Greenpeace do?", "en"), ("Que fait Greenpeace ?", "fr")],
)
def test_unknown_organisation_the_directory_knows_abstains(question: str, language: str) -> None:
    """A lone capitalised word is no organisation to require, unless the directory knows it:
    then no document writing it (under any of its names), the engine refuses."""
    directory = {"Greenpeace": ["Greenpeace International"]}
    assert_abstained(ask(question, language, CORPUS, disabled_checks=NO_THRESHOLD,
                         aliases_of=lambda name: directory.get(name, [])), language)


def test_known_name_passes_the_vocabulary_check() -> None:
    answer = ask("Que fait le CIEP ?", "fr", CORPUS, disabled_checks=NO_THRESHOLD)
    assert_grounded(answer)
    # Same question, a vocabulary that never mentions the CIEP: abstain.
    vocabulary = set(idf_table([d.passage.text for d in CORPUS if d is not CIEP]))
    vocabulary -= {"ciep"}
    assert_abstained(ask("Que fait le CIEP ?", "fr", CORPUS, vocabulary=vocabulary,
                         disabled_checks=NO_THRESHOLD), "fr")


def test_no_units_abstains() -> None:
    answer = answer_from_units("Que fait le CIEP ?", "fr", [], [],
                               ENCODER.encode_queries(["x"])[0], lambda stem: 1.0)
    assert_abstained(answer, "fr")


# ----------------------------------------------------------------------------- profiles


@pytest.mark.parametrize(
    ("question", "language", "is_list"),
    [
        ("Quelles organisations sont membres du CNCD-11.11.11 ?", "fr", True),
        ("Quels sont les thèmes du MOC ?", "fr", True),
        ("Citez les mouvements du MOC.", "fr", True),
        ("Qu'est-ce que le CIEP ?", "fr", False),
        ("Que fait WSM ?", "fr", False),
        ("Combien de membres compte la CSC ?", "fr", False),
        ("Quelles sont les organisations membres ? Combien sont-elles ?", "fr", False),
        ("Which organisations are members of the CNCD-11.11.11?", "en", True),
        ("What are WSM's strategies?", "en", True),
        ("Give the list of the MOC movements.", "en", True),
        ("What does WSM do?", "en", False),
        ("How many members does the JOC have?", "en", False),
    ],
)
def test_profile_detects_lists(question: str, language: str, is_list: bool) -> None:
    assert profile_question(question, language).is_list is is_list


@pytest.mark.parametrize(
    ("question", "language", "expects"),
    [
        ("Combien de membres compte la CSC ?", "fr", {"number"}),
        ("Quel est le nombre de permanents ?", "fr", {"number"}),
        ("En quelle année le MOC a-t-il été fondé ?", "fr", {"year"}),
        ("Depuis quand la JOC existe-t-elle ?", "fr", {"year"}),
        ("Quel est le site web de WSM ?", "fr", {"web"}),
        ("Quelle est l'adresse de WSM ?", "fr", {"street"}),
        ("Quelle est son adresse ?", "fr", {"street"}),
        ("Où se trouve le siège du MOC ?", "fr", {"address"}),
        ("Que fait le CIEP ?", "fr", set()),
        ("How many members does the JOC have?", "en", {"number"}),
        ("When was the MOC founded?", "en", {"year"}),
        ("What is the website of WSM?", "en", {"web"}),
        ("Where is WSM located?", "en", {"address"}),
        ("What does the CIEP do?", "en", set()),
    ],
)
def test_profile_expectations(question: str, language: str, expects: set[str]) -> None:
    assert profile_question(question, language).expects == frozenset(expects)


@pytest.mark.parametrize(
    ("question", "language", "focus", "duration"),
    [
        ("Quel est le numéro de TVA du MOC ?", "fr", ("numero",), False),
        ("Qui est la présidente de Vie Féminine ?", "fr", ("presidente",), False),
        ("Combien de membres compte la JOC ?", "fr", ("membres",), False),
        ("Quel est le rôle du CIEP ?", "fr", (), False),  # generic focus
        ("Quelles sont les missions de WSM ?", "fr", (), False),
        ("Combien d'années dure la formation de la FOPES ?", "fr", (), True),
        ("Combien de mois dure le stage ?", "fr", (), True),
        ("Que fait le CIEP ?", "fr", (), False),
        ("Qui dirige WSM aujourd'hui ? J'aimerais connaître le nom du directeur.", "fr",
         ("directeur",), False),
        ("Who is the president of Vie Féminine?", "en", ("president",), False),
        ("How many members does the JOC have?", "en", ("members",), False),
        # the kind asked for (a phone number) replaces the focus word
        ("What is the phone number of the CIEP?", "en", (), False),
        ("Quelle est l'adresse du CIEP ?", "fr", (), False),  # a street answers, no "adresse"
        ("What is the mission of WSM?", "en", (), False),
        ("How many years does the FOPES training last?", "en", (), True),
        ("What does the CIEP do?", "en", (), False),
    ],
)
def test_profile_focus_and_duration(
    question: str, language: str, focus: tuple[str, ...], duration: bool
) -> None:
    profile = profile_question(question, language)
    assert profile.focus == focus
    assert profile.duration is duration


def test_profile_words_names_and_language() -> None:
    profile = profile_question("Quel est le numéro de TVA du MOC ?", "fr")
    assert profile.language == "fr"
    assert profile.words == ("numero", "tva", "moc")
    assert "MOC" in profile.names
    english = profile_question("Who is the president of Vie Féminine?", "en")
    assert english.language == "en"
    assert "Vie Féminine" in english.names
    assert "president" in english.words and "who" not in english.words


# ----------------------------------------------------------------------------- word checks


def test_cognate() -> None:
    assert cognate("processus", "process")
    assert cognate("international", "internationale")
    # Copenhague/Copenhagen, as the engine compares them: by stems.
    assert any(cognate(a, b) for a in word_stems("Copenhague") for b in word_stems("Copenhagen"))
    assert not cognate("web", "webs")  # too short to tell
    assert not cognate("formation", "formidable")  # shared prefix too short
    assert not cognate("president", "secretaire")


def test_compound_part() -> None:
    assert compound_part("web", "website")
    assert compound_part("website", "web")  # symmetric
    assert compound_part("mail", "email")
    assert not compound_part("we", "website")  # piece too short
    assert not compound_part("web", "webmasterings")  # piece too small a share
    assert not compound_part("art", "party")  # inside, neither prefix nor suffix


def test_supported() -> None:
    def stems(text: str) -> set[str]:
        return set(analyze(text))

    assert supported("fondé", stems("Le MOC a été fondé en 1921."))
    assert supported("processus", stems("the process of change"))  # cognate
    assert supported("website", stems("Voir le site web de WSM."))  # compound part / synonym
    assert supported("members", stems("La CSC compte 1,5 million de membres."))
    assert not supported("president", stems("Vie Féminine est un mouvement féministe."))
    assert not supported("numero", stems("Les factures de la CSC mentionnent la TVA."))
    # bilingual synonym groups (core/data/synonyms.toml): everyday words of the sector
    assert supported("values", stems("Nos valeurs sont la solidarité et le respect."))
    assert supported("enfants", stems("We support children and their families."))
    assert supported("cotisation", stems("The membership fee is 10 euros."))
    # "salariés" are employees, not wages ("salaries" in English)
    assert not supported("salaries", stems("Les salaires ont augmenté."))


def test_is_strong_name() -> None:
    for name in ("WSM", "MOC", "CNCD-11.11.11", "Coalition Climat", "Vie Féminine", "ACV-CSC"):
        assert is_strong_name(name), name
    for name in ("Belgium", "Greenpeace", "W", "Sud"):
        assert not is_strong_name(name), name


def test_name_known() -> None:
    vocabulary = set(idf_table([d.passage.text for d in CORPUS]))
    assert name_known("CIEP", vocabulary)
    assert name_known("Vie Féminine", vocabulary)
    assert name_known("CNCD-11.11.11", vocabulary)
    assert not name_known("Greenpeace", vocabulary)
    assert not name_known("WWF", vocabulary)
    assert not name_known("", vocabulary)


def _unit(passage: Passage, text: str) -> Unit:
    return Unit(passage, 0, text, ENCODER.encode_passages([text])[0], kind_in(passage.text, text))


def test_is_list_item() -> None:
    bullets = MEMBERS_LIST.passage
    assert is_list_item(_unit(bullets, MEMBERS_LIST_ITEMS[0]))
    assert is_list_item(_unit(bullets, MEMBERS_LIST_ITEMS[-1]))
    assert not is_list_item(_unit(bullets, "Le CNCD-11.11.11 regroupe plusieurs organisations"))
    dashes = make_passage("dash", ["Thèmes :\n- climat\n- logement"], "MOC", 1)
    assert is_list_item(_unit(dashes, "logement"))
    inline = STRATEGIES.passage
    assert is_list_item(_unit(inline, STRATEGY_ITEMS[1]))  # "2. En renforçant ..."
    assert not is_list_item(_unit(inline, "Nos stratégies :"))
    prose = MOC.passage
    assert not is_list_item(_unit(prose, "Le MOC a été fondé en 1921."))
    assert not is_list_item(_unit(prose, "Son siège est à Bruxelles."))
    assert not is_list_item(_unit(prose, "Un texte absent du passage."))
    year = make_passage("year", ["2019 fut une année de luttes."], "MOC", 1)
    assert not is_list_item(_unit(year, "2019 fut une année de luttes."))


def test_digits_of_a_name_are_not_a_count() -> None:
    profile = profile_question("Combien d'ONG le CNCD-11.11.11 coordonne-t-il ?", "fr")
    assert "number" in profile.expects
    assert holds_type(profile, "Il coordonne 90 ONG belges.") is True
    assert holds_type(profile, "Le CNCD-11.11.11 est la coupole des ONG belges.") is False
    assert holds_type(profile_question("Que fait le CIEP ?", "fr"), "Il a 90 ans.") is None


# ------------------------------------------------- definitions, dates, persons, summaries

CIEP_ITEM = bullet_doc("aid-moc", "Here are the organisations of the MOC:", [
    "CIEP, Christian Workers' Movement's Centre for Popular Information and Education",
    "JOC, Organized and Combative Youth",
], "AID network", 1)
CIEP_COLLABORATION = Doc("wsm-formations", [
    "Articulation et collaborations avec des instances de formation du mouvement, dont le "
    "CIEP (MOC) et la FEC (CSC) : inscrire nos formations dans leurs programmes.",
], "WSM", 2)


def test_a_definition_question_prefers_the_sentence_that_defines_the_name() -> None:
    """"Le CIEP, c'est quoi ?": the item that opens with the name and describes it, not a
    sentence that merely mentions it; the definition selector opens on it even when the
    model gives no weight to ``defines``."""
    docs = [CIEP_COLLABORATION, CIEP_ITEM]
    question = "Le CIEP, c'est quoi exactement ?"
    assert profile_question(question, "fr").defines
    answer = ask(question, "fr", docs, disabled_checks=NO_THRESHOLD)
    assert answer.citations[0].unit_text.startswith("CIEP, Christian Workers")
    without = ask(question, "fr", docs, disabled_checks=NO_THRESHOLD,
                  model=hand_model({**HAND_WEIGHTS, "defines": 0.0}))
    assert without.citations[0].unit_text.startswith("CIEP, Christian Workers")


@pytest.mark.parametrize(("question", "language", "defines"), [
    ("What is FOPES?", "en", True),
    ("Qu'est-ce que l'Aped ?", "fr", True),
    ("What is the address of WSM?", "en", False),  # asks for an attribute
    ("C'est quoi la formation ?", "fr", False),  # names no organisation
])
def test_definition_questions_are_a_name_and_nothing_else(question: str, language: str,
                                                         defines: bool) -> None:
    assert profile_question(question, language).defines is defines


def test_a_possessive_opening_brings_the_sentence_it_refers_to() -> None:
    """"Sa recherche porte sur la dette": the sentence before says whose research it is."""
    gresea = Doc("gresea", [
        "Le GRESEA travaille sur l'économie internationale.",
        "Sa recherche porte notamment sur la dette du Tiers-Monde.",
    ], "MOC", 1)
    answer = ask("Quelle organisation étudie la dette du Tiers-Monde ?", "fr", [gresea],
                 disabled_checks=NO_THRESHOLD)
    assert "GRESEA" in answer.text
    assert answer.text.index("GRESEA") < answer.text.index("Sa recherche")


def test_a_summary_reads_the_passage_that_says_most_not_a_lone_heading() -> None:
    heading = Doc("vision-titre", ["Solidarité Mondiale : notre vision !"], "WSM", 1)
    vision = Doc("vision", [
        "La vision de Solidarité Mondiale : une société durable et inclusive.",
        "Durable : l'économie, l'écologie et le social se développent de concert.",
        "Inclusive : tous les acteurs jouent leur rôle dans le développement.",
    ], "WSM", 2)
    answer = ask("Résume la vision de Solidarité Mondiale.", "fr", [heading, vision],
                 disabled_checks=NO_THRESHOLD)
    assert {c.passage.chunk_id for c in answer.citations} == {"vision"}
    assert len(answer.citations) == 3


def test_a_summary_reads_on_into_the_next_chunk_of_the_same_section() -> None:
    """A long paragraph cut into chunks "<doc>-3" and "<doc>-4" is summarised as one."""
    first = Doc("abc123-3", [
        "Quelques succès : 2018 fut une année riche en mobilisations de WSM.",
        "La campagne Vêtements Clean a battu son plein en 2018.",
    ], "WSM", 1, section="Mission Nord")
    second = Doc("abc123-4", [
        "En septembre 2018, une motion pour des achats publics durables a été votée.",
        "En novembre 2018, un groupe est parti en République dominicaine.",
    ], "WSM", 2, section="Mission Nord")
    elsewhere = Doc("abc123-5", ["Le rapport de WSM est disponible."], "WSM", 3,
                    section="Rapport")  # next in number, not in section
    answer = ask("Résumez les succès de WSM en 2018.", "fr", [first, second, elsewhere],
                 disabled_checks=NO_THRESHOLD)
    assert {c.passage.chunk_id for c in answer.citations} == {"abc123-3", "abc123-4"}
    texts = [c.unit_text for c in answer.citations]
    assert texts == sorted(texts, key=lambda t: answer.text.index(t))  # in the text's order
    assert answer.text.index("Quelques succès") < answer.text.index("République dominicaine")


def test_a_year_dates_the_organisation_under_another_of_its_names() -> None:
    history = Doc("wsm-historique", [
        "1974 : l'ACW/MOC crée le service Solidarité Mondiale.",
        "En 2006, les activités internationales sont rassemblées.",
        "L'asbl Solidarité Mondiale et l'asbl Wereldsolidariteit fusionnent leurs activités.",
    ], "WSM", 1)
    aliases = {"WSM": ["Solidarité Mondiale", "World Solidarity"]}

    def aliases_of(name: str) -> list[str]:
        return aliases.get(name, [])

    founded = ask("Quand WSM a-t-elle été fondée ?", "fr", [history],
                  disabled_checks=NO_THRESHOLD, aliases_of=aliases_of)
    assert founded.citations[0].unit_text.startswith("1974")


DIRECTORY_NAMES = {
    "Aped": ["Appel pour une école démocratique"],
    "FOPES": ["faculté Ouverte de Politique Économique et Sociale"],
    "Financité": ["Réseau Financité"],
    "CREDAL": ["CREDAL"],
    "Vie Féminine": ["Vie Féminine"],
}


def directory_names(name: str) -> list[str]:
    return DIRECTORY_NAMES.get(name, [])


def test_a_lone_word_the_directory_knows_is_a_name_to_find() -> None:
    cf2d = Doc("pedagotheque", [
        "The Pédagothèque website was created by the CF2D, born out of the CF2m association.",
    ], "AID network", 1, language="en")
    answer = ask("Who founded the Aped?", "en", [cf2d], disabled_checks=NO_THRESHOLD,
                 aliases_of=directory_names)
    assert_abstained(answer, "en")


def test_a_who_question_finds_the_organisation_under_its_long_name() -> None:
    fopes = Doc("fopes", [
        "Avec la faculté Ouverte de Politique Économique et Sociale, l'UCL forme des adultes.",
        "François Martou en fut co-fondateur et premier directeur en 1974.",
    ], "MOC", 1)
    cirtes = Doc("cirtes", ["The CIRTES unites the TRAV and the FOPES."], "AID", 2, language="en")
    answer = ask("Qui a cofondé la FOPES et en a été le premier directeur ?", "fr",
                 [fopes, cirtes], disabled_checks=NO_THRESHOLD, aliases_of=directory_names)
    assert "Martou" in answer.text


def test_every_word_of_a_name_in_the_questions_language_but_one_across_languages() -> None:
    campaign = Doc("campagne", [
        "Par la création d'outils, nous voulons convaincre les gens.",
        "Une attention féminine et féministe guide nos campagnes.",
    ], "WSM", 1)
    elsewhere = Doc("vie", ["La vie associative est riche."], "MOC", 2)
    assert ask("Qui a fondé Vie Féminine ?", "fr", [campaign, elsewhere],
               disabled_checks=NO_THRESHOLD, aliases_of=directory_names).abstained
    platform = Doc("plateforme", [
        "Nous coordonnons la plateforme Travail Décent.",
        "Y sont représentés les trois syndicats belges et trois ONG.",
    ], "WSM", 1)
    english = Doc("en", ["Our work is about decent jobs."], "AID", 2, language="en")
    answer = ask("Who is represented in the Decent Work platform?", "en", [platform, english],
                 disabled_checks=NO_THRESHOLD, aliases_of=directory_names)
    assert "syndicats" in answer.text


def test_an_address_question_is_answered_by_a_place() -> None:
    based = Doc("ciep", ["Le CIEP est basé à Bruxelles."], "CIEP", 1)
    answer = ask("Où se trouve le CIEP ?", "fr", [based], disabled_checks=NO_THRESHOLD,
                 aliases_of=directory_names)
    assert "Bruxelles" in answer.text
    cncd = Doc("cncd-missions", [
        "Le CNCD-11.11.11 coordonne la voix de 90 ONG belges.",
        "Il est actif en communauté française depuis 1966.",  # a year is no postcode
    ], "CNCD-11.11.11", 1)
    wsm_sheet = Doc("wsm-fiche", [
        "Adresse principale : Chaussée de Haecht 579 1030 Schaerbeek",
        "WSM est membre du CNCD-11.11.11.",
    ], "WSM", 2, separator="\n")
    wsm = ask("Où se trouve le siège de WSM ?", "fr", [cncd, wsm_sheet],
              disabled_checks=NO_THRESHOLD, aliases_of=directory_names)
    assert "Chaussée de Haecht" in wsm.text


def test_a_count_asked_in_french_is_found_in_english() -> None:
    """"niveaux" / "level": the bilingual synonym groups carry the focus across languages."""
    eqf = Doc("eqf", [
        "EQF – the European Qualifications Framework is a common 8-level reference framework "
        "for comparing qualifications.",
    ], "AID network", 1, language="en")
    answer = ask("Le cadre européen des certifications, il compte combien de niveaux ?", "fr",
                 [eqf], disabled_checks=NO_THRESHOLD)
    assert "8-level" in answer.text


def test_kinds_of_organisations_are_answered_by_a_list_of_kinds() -> None:
    exchanges = bullet_doc("echanges", "Echanges Nord-Sud :", [
        "Organisations de semaines internationales dans le Sud",
        "Missions dans le Sud pour l'équipe de WSM",
        "Voyages d'immersion dans le Sud",
    ], "WSM", 1)
    support = bullet_doc("soutien", "Via le soutien d'organisations sur place :", [
        "Dans un syndicat", "Une organisation de femmes", "Un mouvement de jeunes",
        "Une mutuelle de santé", "Une coopérative",
    ], "Solidarité Mondiale", 2)
    question = "Quels types d'organisations WSM soutient-elle dans le Sud ?"
    answer = ask(question, "fr", [exchanges, support], disabled_checks=NO_THRESHOLD,
                 aliases_of=lambda name: ["Solidarité Mondiale"] if name == "WSM" else [])
    assert "Une mutuelle de santé" in answer.text and "Missions" not in answer.text
    # Without the directory's other name, the list is not about WSM: the closer list stays.
    plain = ask(question, "fr", [exchanges, support], disabled_checks=NO_THRESHOLD)
    assert "Missions" in plain.text


@pytest.mark.parametrize(("question", "language", "asks"), [
    ("Quels types d'organisations WSM soutient-elle ?", "fr", True),
    ("What kinds of organisations does WSM support?", "en", True),
    ("Quelles sortes de mouvements le MOC rassemble-t-il ?", "fr", True),
    ("Quels types de formations le CIEP propose-t-il ?", "fr", False),
    ("What kinds of training does WSM offer?", "en", False),
])
def test_questions_asking_for_kinds_of_organisations(question: str, language: str,
                                                     asks: bool) -> None:
    assert asks_organisation_kinds(question, language) is asks


def test_a_generic_word_does_not_hide_the_focus_after_it() -> None:
    """"le nom de la présidente": "nom" is too generic to require, "présidente" is not."""
    profile = profile_question("Quel est le nom de la présidente de Vie Féminine ?", "fr")
    assert profile.focus == ("presidente",)
    assert profile_question("Quel est le rôle du CIEP ?", "fr").focus == ()


# ------------------------------------------------- who founded it, look-alikes

PLATFORMS = Doc("wsm-missions", [
    "Notre travail prend un aspect concret dans la création d'outils pédagogiques.",
    "Nous sommes membre actif de plates-formes telles que le CNCD-11.11.11, Acodev et "
    "Financité.",
], "Solidarité Mondiale", 1, section="MISSIONS")
FINANCITE = Doc("financite", [
    "Le Réseau Financité est un réseau qui promeut l'éthique et la solidarité dans les "
    "rapports à l'argent.",
], "MOC", 2)
WSM_HISTORY = Doc("wsm-historique", [
    "1974 : l'ACW/MOC crée le service Solidarité Mondiale.",
    "Solidarité Mondiale est reconnue comme ONG en 1976.",
], "WSM", 1, section="Historique")
FOPES = Doc("fopes", [
    "Avec la faculté Ouverte de Politique Économique et Sociale, l'UCL propose une formation "
    "destinée aux adultes.",
    "François Martou, président du MOC, en fut co-fondateur et premier directeur en 1974.",
], "MOC", 1)


def test_a_founder_question_is_not_answered_by_a_sentence_that_only_lists_the_name() -> None:
    """"Qui a fondé Financité ?": Financité in a list of platforms, a "création d'outils"
    beside it, and its own passage with no founder: none says who founded it."""
    answer = ask("Qui a fondé Financité ?", "fr", [PLATFORMS, FINANCITE],
                 disabled_checks=NO_THRESHOLD, aliases_of=directory_names)
    assert_abstained(answer, "fr")


def test_a_founder_question_wants_the_organisation_as_what_is_founded() -> None:
    """"l'ACW/MOC crée le service Solidarité Mondiale" says who created Solidarité Mondiale,
    not who created the MOC (the founder there)."""
    created = ask("Qui a créé Solidarité Mondiale ?", "fr", [WSM_HISTORY],
                  disabled_checks=NO_THRESHOLD)
    assert created.citations[0].unit_text.startswith("1974 : l'ACW/MOC crée")
    assert_abstained(ask("Qui a créé le MOC ?", "fr", [WSM_HISTORY],
                         disabled_checks=NO_THRESHOLD), "fr")


def test_a_founder_is_found_in_a_paragraph_about_the_organisation() -> None:
    """"... en fut co-fondateur": the sentence does not name the FOPES, its paragraph does
    (under its long name); a passive "was created by" names it before the verb."""
    answer = ask("Qui a fondé la FOPES ?", "fr", [FOPES], disabled_checks=NO_THRESHOLD,
                 aliases_of=directory_names)
    assert "Martou" in answer.text
    site = Doc("pedagotheque", [
        "The Pédagothèque website was created by the CF2D, a training centre.",
        "The CF2D created many tools for trainers.",
    ], "AID network", 1, language="en")
    created = ask("Who created the Pédagothèque website?", "en", [site],
                  disabled_checks=NO_THRESHOLD)
    assert created.citations[0].unit_text.startswith("The Pédagothèque website was created")
    assert len(created.citations) == 1  # "The CF2D created ..." is about what the CF2D made


@pytest.mark.parametrize(("question", "language", "founder", "current"), [
    ("Qui a fondé Financité ?", "fr", True, False),
    ("Qui a cofondé la FOPES ?", "fr", True, False),
    ("Who set up the Max Bastin chair?", "en", True, False),
    ("Qui est le directeur actuel de la FOPES ?", "fr", False, True),
    ("Qui dirige WSM aujourd'hui ?", "fr", False, True),
    ("Who currently heads the CSC?", "en", False, True),
    ("Who knows the FOPES?", "en", False, False),  # "now" is no word of "knows"
    ("Quand WSM a-t-elle été fondée ?", "fr", False, False),  # when, not who
])
def test_profile_detects_founder_and_current_questions(question: str, language: str,
                                                       founder: bool, current: bool) -> None:
    profile = profile_question(question, language)
    assert (profile.asks_founder, profile.asks_current) == (founder, current)


@pytest.mark.parametrize(("question", "language", "expects"), [
    ("À qui s'adresse la formation de la FOPES ?", "fr", set()),
    ("How does WSM plan to address poverty?", "en", set()),
    ("What's WSM's address?", "en", {"street"}),
    ("Quelle est son adresse ?", "fr", {"street"}),
    ("Quelle est l'adresse de WSM ?", "fr", {"street"}),
])
def test_a_verb_that_holds_a_cue_word_asks_for_no_address(question: str, language: str,
                                                          expects: set[str]) -> None:
    """"À qui s'adresse la formation ?" asks who it is for: no street address required."""
    assert profile_question(question, language).expects == frozenset(expects)


def test_a_name_the_corpus_never_writes_is_known_under_the_directorys_other_name() -> None:
    """"CIRÉ" is the directory's initials for "Coordination et initiatives pour réfugiés et
    étrangers", which the corpus writes out: the question is answered, not refused."""
    cire = Doc("cire", [
        "Coordination et initiatives pour réfugiés et étrangers travaille sur l'asile.",
    ], "MOC", 1)
    names = {"CIRÉ": ["Coordination et initiatives pour réfugiés et étrangers"]}
    answer = ask("Sur quoi travaille le CIRÉ ?", "fr", [cire], disabled_checks=NO_THRESHOLD,
                 aliases_of=lambda name: names.get(name, []))
    assert "asile" in answer.text
    assert_abstained(ask("Sur quoi travaille le CIRÉ ?", "fr", [cire],
                         disabled_checks=NO_THRESHOLD), "fr")


def test_a_founding_lead_in_keeps_the_list_it_introduces() -> None:
    """"Qui a créé le CIRTES ?": "it was born of the union of three entities:" answers with
    its items, which hold no founding word themselves."""
    cirtes = bullet_doc("cirtes", "The CIRTES was born of the union of three entities:",
                        ["the CERISIS (research centre);", "the TRAV (school of work);",
                         "and the FOPES (open faculty)."], "AID network", 1)
    answer = ask("Qui a créé le CIRTES ?", "fr", [cirtes], disabled_checks=NO_THRESHOLD)
    assert [c.unit_text for c in answer.citations] == cirtes.unit_texts
