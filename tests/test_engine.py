"""The engine's decisions (assistant/answering/engine.py): when it abstains (an organisation
no document writes, a best unit under the model's threshold, no unit kept by the checks),
the checks that ablations switch off, and answers that only ever quote their passages."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from engine_fakes import (
    CNCD,
    HAND_MODEL,
    MOC,
    NO_THRESHOLD,
    Doc,
    ask,
    assert_abstained,
    assert_grounded,
    hand_model,
    idf_of,
    vector,
)

from assistant.answering.checks import CHECK_NAMES
from assistant.answering.engine import (
    ABSTAIN_THRESHOLD,
    ORGANISATION_KNOWN,
    answer_from_units,
    names_unknown,
    question_profile,
    ranked_units,
)
from assistant.answering.features import QuestionContext
from assistant.answering.model import UnitModel
from assistant.answering.profile import profile_question
from assistant.core.settings import Settings

WEBSITE = Doc("web", ["Site web : http://www.wsm.be"], "WSM", 1)
WSM_HISTORY = Doc("wsm-historique", [
    "1974 : l'ACW/MOC crée le service Solidarité Mondiale.",
    "Solidarité Mondiale est reconnue comme ONG en 1976.",
], "WSM", 2, section="Historique")
ENGLISH = Doc("aid", [
    "The AID network gathers training centres for adults.",
    "It was set up in 1998 by the MOC.",
], "AID network", 3, language="en")
CORPUS = [CNCD, MOC, WEBSITE, WSM_HISTORY, ENGLISH]


def best_probability(question: str, language: str, docs: list[Doc], model: UnitModel) -> float:
    table, top = idf_of(docs)
    context = QuestionContext(profile_question(question, language), vector(question),
                              lambda stem: table.get(stem, top))
    ranked = ranked_units([u for d in docs for u in d.units()], context, model)
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)
    return ranked[0].score


# ----------------------------------------------------------------------------- organisation


@pytest.mark.parametrize(("question", "language"), [
    ("Que fait Médecins du Monde ?", "fr"),
    ("What does the WWF do?", "en"),
    ("Quand la FGTB a-t-elle été fondée ?", "fr"),
])
def test_an_organisation_no_document_writes_is_refused(question: str, language: str) -> None:
    assert_abstained(ask(question, language, CORPUS, disabled_checks=NO_THRESHOLD), language)
    # Switched off (and names_the_organisation, which may refuse the same passages), the
    # engine answers from what it has.
    answer = ask(question, language, CORPUS, disabled_checks=NO_THRESHOLD | {
        ORGANISATION_KNOWN, "names_the_organisation"})
    assert_grounded(answer)


def test_the_organisation_check_needs_every_word_of_the_name() -> None:
    vocabulary = {"medecins", "monde", "moc", "cncd"}
    assert not names_unknown(profile_question("Que fait Médecins du Monde ?", "fr"), vocabulary)
    assert names_unknown(profile_question("Que fait Médecins Sans Frontières ?", "fr"),
                         vocabulary)
    # A lone capitalised word is not required ...
    assert not names_unknown(profile_question("Que fait Greenpeace ?", "fr"), vocabulary)
    # ... unless the directory knows it under another name.
    known = question_profile("Que fait Greenpeace ?", "fr",
                             lambda name: ["Greenpeace Belgium"] if name == "Greenpeace" else [])
    assert known.strong_names == ["Greenpeace"]
    assert names_unknown(known, vocabulary)


def test_without_a_vocabulary_no_organisation_is_refused() -> None:
    question = "Que fait Médecins du Monde ?"
    units = [u for d in CORPUS for u in d.units()]
    answer = answer_from_units(question, "fr", [d.passage for d in CORPUS], units,
                               vector(question), lambda stem: 1.0, vocabulary=None,
                               disabled_checks=NO_THRESHOLD, model=HAND_MODEL)
    assert_grounded(answer)


# ----------------------------------------------------------------------------- threshold


def test_the_engine_abstains_under_the_models_threshold_and_answers_over_it() -> None:
    question = "Combien d'ONG le CNCD-11.11.11 coordonne-t-il ?"
    best = best_probability(question, "fr", CORPUS, HAND_MODEL)
    assert 0.0 < best < 1.0
    above = hand_model(abstain_below=min(1.0, best + 1e-6))
    below = hand_model(abstain_below=max(0.0, best - 1e-6))
    assert_abstained(ask(question, "fr", CORPUS, model=above), "fr")
    assert_grounded(ask(question, "fr", CORPUS, model=below))
    # Switched off, the threshold no longer decides.
    assert_grounded(ask(question, "fr", CORPUS, model=above,
                        disabled_checks=frozenset({ABSTAIN_THRESHOLD})))


def test_a_summary_of_a_named_organisation_is_answered_under_the_threshold() -> None:
    """A summary, a history, a definition or a list of an organisation the question names
    always has something to say (data/kinds.toml: threshold = false); a factoid keeps it."""
    summary = "Résume l'histoire de Solidarité Mondiale."
    best = best_probability(summary, "fr", CORPUS, HAND_MODEL)
    above = hand_model(abstain_below=min(1.0, best + 1e-6))
    assert_grounded(ask(summary, "fr", CORPUS, model=above))
    listed = "Quels sont les membres du CNCD-11.11.11 ?"
    above = hand_model(abstain_below=min(1.0, best_probability(listed, "fr", CORPUS,
                                                               HAND_MODEL) + 1e-6))
    assert_grounded(ask(listed, "fr", CORPUS, model=above))
    factoid = "Combien d'ONG le CNCD-11.11.11 coordonne-t-il ?"
    above = hand_model(abstain_below=min(1.0, best_probability(factoid, "fr", CORPUS,
                                                               HAND_MODEL) + 1e-6))
    assert_abstained(ask(factoid, "fr", CORPUS, model=above), "fr")


def test_the_fitted_model_is_used_when_none_is_given() -> None:
    """The fitted model, on the fake encoder's similarities: the threshold (fitted on the
    real model's scale) switched off, the answer still only quotes its passages."""
    answer = ask("Combien d'ONG le CNCD-11.11.11 coordonne-t-il ?", "fr", CORPUS, model=None,
                 disabled_checks=NO_THRESHOLD)
    assert_grounded(answer)


def test_the_engines_sentence_budget_is_the_services() -> None:
    """bench/fit_answer_model.py answers with the service's budgets (sentences, list items)
    and the tests with the engine's defaults: both must answer as the product does (a
    budget of 4 where the service had 6 would fit and test an engine nobody runs)."""
    defaults = inspect.signature(answer_from_units).parameters
    assert defaults["max_units"].default == Settings.model_fields["answer_max_units"].default
    assert defaults["list_max"].default == Settings.model_fields["list_max_units"].default


# ----------------------------------------------------------------------------- checks


def test_the_checks_are_named_for_ablations() -> None:
    assert set(CHECK_NAMES) == {"who_names_action", "founder_link", "names_the_organisation",
                                "holds_the_type", "counts_another_class",
                                "addresses_the_assistant"}
    assert ORGANISATION_KNOWN not in CHECK_NAMES and ABSTAIN_THRESHOLD not in CHECK_NAMES


def test_who_names_action_is_honoured_and_can_be_switched_off() -> None:
    """"Qui l'a créée ?" is not answered by a passage that says nothing of a creation."""
    question = "Et qui l'a créée ? (WSM)"
    assert_abstained(ask(question, "fr", [WEBSITE], disabled_checks=NO_THRESHOLD), "fr")
    off = NO_THRESHOLD | {"who_names_action", "founder_link"}
    assert_grounded(ask(question, "fr", [WEBSITE], disabled_checks=off))


def test_founder_link_is_honoured_and_can_be_switched_off() -> None:
    """"Qui a créé le MOC ?": the MOC creates Solidarité Mondiale there; the who-check keeps
    the passage (it names the MOC and a creation), the founder check does not."""
    question = "Qui a créé le MOC ?"
    assert_abstained(ask(question, "fr", [WSM_HISTORY], disabled_checks=NO_THRESHOLD), "fr")
    assert_abstained(ask(question, "fr", [WSM_HISTORY],
                         disabled_checks=NO_THRESHOLD | {"who_names_action"}), "fr")
    answer = ask(question, "fr", [WSM_HISTORY],
                 disabled_checks=NO_THRESHOLD | {"founder_link"})
    assert_grounded(answer)
    assert "1974" in answer.text


def test_names_the_organisation_is_honoured_and_can_be_switched_off() -> None:
    """A count asked of the MOC is not answered by the CNCD's count: the only passage at
    hand does not name the MOC (the MOC is known: another document writes it)."""
    question = "Combien d'ONG le MOC coordonne-t-il ?"
    known = set(idf_of([CNCD, MOC])[0])
    assert_abstained(ask(question, "fr", [CNCD], vocabulary=known,
                         disabled_checks=NO_THRESHOLD), "fr")
    answer = ask(question, "fr", [CNCD], vocabulary=known,
                 disabled_checks=NO_THRESHOLD | {"names_the_organisation"})
    assert_grounded(answer)
    assert "90" in answer.text


def test_the_organisation_a_document_is_about_names_its_passages() -> None:
    """A later paragraph of the MOC's page that does not write its name answers a question
    on the MOC; the same paragraph on the CNCD's page does not."""
    question = "Combien d'ONG le MOC coordonne-t-il ?"
    known = set(idf_of([CNCD, MOC])[0])
    units = ["Il coordonne 90 ONG belges et des centaines de comités locaux."]
    on_its_page = Doc("moc-2", units, "Nos réseaux", 1, organisation="MOC")
    elsewhere = Doc("cncd-2", units, "Nos réseaux", 1, organisation="CNCD-11.11.11")
    answer = ask(question, "fr", [on_its_page], vocabulary=known, disabled_checks=NO_THRESHOLD)
    assert_grounded(answer)
    assert "90" in answer.text
    assert_abstained(ask(question, "fr", [elsewhere], vocabulary=known,
                         disabled_checks=NO_THRESHOLD), "fr")


def test_the_file_name_of_a_document_names_its_passages() -> None:
    """A page whose organisation was not guessed ("moc-nos-reseaux.txt" never writes "MOC"
    twice) answers a question on the MOC; the same page under another file name does not."""
    question = "Combien d'ONG le MOC coordonne-t-il ?"
    known = set(idf_of([CNCD, MOC])[0])
    units = ["Il coordonne 90 ONG belges et des centaines de comités locaux."]
    named_file = Doc("moc-nos-reseaux", units, "Nos réseaux", 1, organisation="")
    other_file = Doc("nos-reseaux", units, "Nos réseaux", 1, organisation="")
    answer = ask(question, "fr", [named_file], vocabulary=known, disabled_checks=NO_THRESHOLD)
    assert_grounded(answer)
    assert "90" in answer.text
    assert_abstained(ask(question, "fr", [other_file], vocabulary=known,
                         disabled_checks=NO_THRESHOLD), "fr")


def test_a_question_on_two_organisations_takes_evidence_from_each_ones_passage() -> None:
    """Neither passage names both organisations asked: the check keeps a passage naming
    one of them, and the answer quotes each one's passage (which sentence of each is the
    fitted model's choice)."""
    answer = ask("Combien d'organisations rassemblent le MOC et le CNCD-11.11.11 ?", "fr",
                 [CNCD, MOC], disabled_checks=NO_THRESHOLD)
    assert_grounded(answer)
    assert {c.passage.chunk_id for c in answer.citations} == {
        CNCD.passage.chunk_id, MOC.passage.chunk_id}


def test_one_word_of_a_name_is_enough_to_name_it() -> None:
    """"Opération 11.11.11" is the CNCD-11.11.11's, "Solidarité Mondiale" WSM's (its other
    name): the passage names the organisation asked, the answer stands."""
    answer = ask("Combien d'ONG le CNCD-11.11.11 coordonne-t-il ?", "fr", [CNCD],
                 disabled_checks=NO_THRESHOLD)
    assert_grounded(answer)
    assert "90" in answer.text


# ----------------------------------------------------------------------------- grounding

QUESTIONS = [
    ("Combien d'ONG le CNCD-11.11.11 coordonne-t-il ?", "fr"),
    ("Que fait le CNCD-11.11.11 ?", "fr"),
    ("Quand le MOC a-t-il été fondé ?", "fr"),
    ("Où se trouve le siège du MOC ?", "fr"),
    ("Résumez l'historique de WSM.", "fr"),
    ("Quel est le site web de WSM ?", "fr"),
    ("Qui a créé Solidarité Mondiale ?", "fr"),
    ("What is the AID network?", "en"),
    ("When was the AID network set up?", "en"),
    ("Qu'ont en commun le MOC et le CNCD-11.11.11 ?", "fr"),
    ("Comment le CNCD-11.11.11 soutient-il les ONG ?", "fr"),
]


@pytest.mark.parametrize("model", [HAND_MODEL, None], ids=["hand", "fitted"])
@pytest.mark.parametrize(("question", "language"), QUESTIONS)
def test_every_cited_text_is_a_substring_of_its_passage(
        question: str, language: str, model: UnitModel | None) -> None:
    answer = ask(question, language, CORPUS, model=model, disabled_checks=NO_THRESHOLD)
    if answer.abstained:
        assert answer.citations == []
        return
    assert_grounded(answer)
    for citation in answer.citations:
        assert citation.unit_text.strip() in answer.text
        assert citation.unit_text in citation.passage.text


def test_an_answer_already_given_gives_way_to_a_new_one() -> None:
    """``said``: the conversation's answers; a unit that repeats them ranks lower."""
    question = "Quel est le rôle du CNCD-11.11.11 ?"
    first = ask(question, "fr", [CNCD], disabled_checks=NO_THRESHOLD, max_units=1)
    again = ask(question, "fr", [CNCD], disabled_checks=NO_THRESHOLD, max_units=1,
                said=[first.text])
    assert_grounded(again)
    assert again.citations[0].unit_text != first.citations[0].unit_text


def test_no_unit_means_no_answer() -> None:
    answer = answer_from_units("Que fait le CIEP ?", "fr", [], [], np.zeros(8), lambda s: 1.0,
                               model=HAND_MODEL, disabled_checks=NO_THRESHOLD)
    assert_abstained(answer, "fr")


def test_holds_the_type_is_honoured_and_can_be_switched_off() -> None:
    """"How many?" is not answered by a sentence that holds no number; the organisation's
    name does not count as one ("CNCD-11.11.11")."""
    question = "Combien de bénévoles le CNCD-11.11.11 compte-t-il ?"
    no_number = Doc("cncd-sans", ["Le CNCD-11.11.11 est la coupole des ONG belges."],
                    "CNCD-11.11.11", 1)
    assert_abstained(ask(question, "fr", [no_number], disabled_checks=NO_THRESHOLD), "fr")
    assert_grounded(ask(question, "fr", [no_number],
                        disabled_checks=NO_THRESHOLD | {"holds_the_type"}))
    # A number of organisations does not count volunteers (counts_another_class): ONG asked.
    assert "90" in ask("Combien d'ONG le CNCD-11.11.11 coordonne-t-il ?", "fr", [CNCD],
                       disabled_checks=NO_THRESHOLD).text


def test_counts_another_class_is_honoured_and_can_be_switched_off() -> None:
    """"Combien de salariés ?" is not answered by a count of organisations; a count of people
    answers it, and so does a count of what has no class."""
    question = "Combien de salariés le CNCD-11.11.11 compte-t-il ?"
    groups = Doc("cncd-org", ["Le CNCD-11.11.11 rassemble 90 associations membres."],
                 "CNCD-11.11.11", 1)
    assert_abstained(ask(question, "fr", [groups], disabled_checks=NO_THRESHOLD), "fr")
    assert "90" in ask(question, "fr", [groups],
                       disabled_checks=NO_THRESHOLD | {"counts_another_class"}).text
    staff = Doc("cncd-staff", ["Le CNCD-11.11.11 emploie 45 personnes."], "CNCD-11.11.11", 1)
    assert "45" in ask(question, "fr", [staff], disabled_checks=NO_THRESHOLD).text
    themes = Doc("cncd-themes", ["Le CNCD-11.11.11 travaille sur six thématiques."],
                 "CNCD-11.11.11", 1)
    assert "six" in ask(question, "fr", [themes], disabled_checks=NO_THRESHOLD).text


def test_a_phone_question_is_not_answered_without_a_phone_number() -> None:
    question = "Quel est le numéro de téléphone de WSM ?"
    assert_abstained(ask(question, "fr", [WEBSITE], disabled_checks=NO_THRESHOLD), "fr")
    phone = Doc("tel", ["Téléphone : +32 2 246 38 31"], "WSM", 1)
    assert "246 38 31" in ask(question, "fr", [phone], disabled_checks=NO_THRESHOLD).text


def test_an_address_question_is_not_answered_without_a_street_or_post_code() -> None:
    """"Quelle est l'adresse ?" is not answered by the organisation's definition or its town;
    a street and number, or a post code and town, answers it."""
    question = "Quelle est l'adresse du CIEP ?"
    town = Doc("ciep-ville", ["Le CIEP est un mouvement d'éducation permanente basé à Namur."],
               "CIEP", 1)
    assert_abstained(ask(question, "fr", [town], disabled_checks=NO_THRESHOLD), "fr")
    street = Doc("ciep-rue", ["Le CIEP : chaussée de Haecht 579, 1030 Schaerbeek."], "CIEP", 1)
    assert "579" in ask(question, "fr", [street], disabled_checks=NO_THRESHOLD).text


def test_a_required_kind_has_a_type() -> None:
    from assistant.answering.kinds import kinds
    required = {k.id for k in kinds("fr") if k.required}
    assert {"count", "phone", "email", "amount", "frequency"} <= required
    assert all(k.type for k in kinds("en") if k.required)
