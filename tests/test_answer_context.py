"""The answer engine's context rules: neighbours a sentence leans on, summaries, who-questions
about an action, and instruction words kept out of the search (on synthetic passages ranked
by the hand-set test model of engine_fakes)."""

from __future__ import annotations

from engine_fakes import NO_THRESHOLD, Doc, ask, assert_abstained, assert_grounded

from assistant.answering.profile import search_text

PLATFORM = Doc("platform", [
    "Nous coordonnons également la plateforme Travail Décent, où l'on développe des stratégies.",
    "Y sont représentés les trois syndicats belges, deux organisations mutualistes et trois ONG.",
    "La plateforme se réunit à Bruxelles.",
], "WSM", 1)
HISTORY = Doc("history", [
    "1974: l'ACW/MOC crée le service Solidarité Mondiale.",
    "En 2006, toutes les activités internationales sont rassemblées dans une nouvelle asbl.",
    "L'asbl Solidarité Mondiale et l'asbl Wereldsolidariteit fusionnent leurs activités.",
    "A l'automne 2019, WSM entreprend une transformation visuelle.",
], "WSM", 2, section="Historique")


def test_a_pronoun_sentence_brings_the_one_it_refers_to() -> None:
    answer = ask("Qui est représenté dans la plateforme Travail Décent ?", "fr",
                 [PLATFORM], disabled_checks=NO_THRESHOLD)
    assert_grounded(answer)
    assert "Y sont représentés les trois syndicats belges" in answer.text
    assert "La plateforme se réunit à Bruxelles" not in answer.text


def test_the_date_asked_for_comes_from_the_neighbouring_sentence() -> None:
    answer = ask("Quand l'asbl Wereldsolidariteit a-t-elle fusionné ?", "fr", [HISTORY],
                 disabled_checks=NO_THRESHOLD)
    assert_grounded(answer)
    assert "fusionnent" in answer.text and "2006" in answer.text


def test_a_summary_gives_several_sentences_in_text_order() -> None:
    answer = ask("Résumez l'historique de WSM.", "fr", [HISTORY], disabled_checks=NO_THRESHOLD)
    assert_grounded(answer)
    assert len(answer.citations) >= 3
    positions = [answer.text.index(c.unit_text) for c in answer.citations]
    assert positions == sorted(positions)


def test_instruction_words_stay_out_of_the_search() -> None:
    assert search_text("Résumez l'historique de WSM.", "fr") == "l'historique de WSM."
    assert search_text("Give me an overview of the CNCD.", "en") == "Give me an of the CNCD."
    assert search_text("Que fait le CIEP ?", "fr") == "Que fait le CIEP ?"


def test_a_who_question_needs_a_passage_about_the_action_asked() -> None:
    website = Doc("web", ["Site web : http://www.wsm.be"], "WSM", 1)
    assert_abstained(ask("Et qui l'a créée ? (WSM)", "fr", [website],
                         disabled_checks=NO_THRESHOLD), "fr")
    answer = ask("Qui a créé WSM ?", "fr", [website, HISTORY], disabled_checks=NO_THRESHOLD)
    assert_grounded(answer)
    assert "1974" in answer.text
