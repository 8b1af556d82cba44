"""The selectors (assistant/answering/selection.py) on units whose probabilities the test
chooses, and the answer's text (assistant/answering/compose.py)."""

from __future__ import annotations

from engine_fakes import Doc, bullet_doc, choice, scored

from assistant.answering.compose import abstain, compose, other_language
from assistant.answering.profile import profile_question
from assistant.answering.selection import (
    pick_comparison,
    pick_definition,
    pick_factoid,
    pick_passage,
    pick_summary,
    pick_timeline,
    select,
    with_context,
)
from assistant.core.messages import message
from assistant.core.types import Unit

# ----------------------------------------------------------------------------- factoid

BEST = Doc("cncd", ["Le CNCD-11.11.11 coordonne 90 ONG belges."], "CNCD-11.11.11", 1)
NEWS = Doc("cncd-op", ["L'Opération 11.11.11 récolte des fonds chaque novembre."],
           "CNCD-11.11.11", 2)
ECHO = Doc("cncd-bis", ["Le CNCD-11.11.11 coordonne des ONG belges."], "CNCD-11.11.11", 3)
THIRD = Doc("cncd-ter", ["Le CNCD-11.11.11 publie une revue trimestrielle."],
            "CNCD-11.11.11", 4)
QUESTION = "Que coordonne le CNCD-11.11.11 ?"


def units_of(*docs: Doc) -> list[Unit]:
    return [u for d in docs for u in d.units()]


def test_a_runner_up_within_the_join_ratio_that_says_something_new_joins() -> None:
    every = units_of(BEST, NEWS)
    picked = pick_factoid(choice(QUESTION, "fr", scored(every, [0.9, 0.8]), every,
                                 join_ratio=0.8))
    assert [u.text for u in picked] == [BEST.unit_texts[0], NEWS.unit_texts[0]]


def test_a_runner_up_under_the_join_ratio_stays_out() -> None:
    every = units_of(BEST, NEWS)
    picked = pick_factoid(choice(QUESTION, "fr", scored(every, [0.9, 0.6]), every,
                                 join_ratio=0.8))
    assert [u.text for u in picked] == [BEST.unit_texts[0]]
    # The same scores join under a lower ratio: the ratio decides, not the scores alone.
    lower = pick_factoid(choice(QUESTION, "fr", scored(every, [0.9, 0.6]), every,
                                join_ratio=0.5))
    assert len(lower) == 2


def test_a_runner_up_that_says_nothing_new_stays_out() -> None:
    every = units_of(BEST, ECHO)
    picked = pick_factoid(choice(QUESTION, "fr", scored(every, [0.9, 0.89]), every,
                                 join_ratio=0.5))
    assert [u.text for u in picked] == [BEST.unit_texts[0]]


def test_every_runner_up_over_the_threshold_joins_up_to_max_units() -> None:
    every = units_of(BEST, NEWS, THIRD)
    picked = pick_factoid(choice(QUESTION, "fr", scored(every, [0.9, 0.89, 0.88]), every,
                                 join_ratio=0.5))
    assert [u.text for u in picked] == [BEST.unit_texts[0], NEWS.unit_texts[0],
                                        THIRD.unit_texts[0]]
    capped = pick_factoid(choice(QUESTION, "fr", scored(every, [0.9, 0.89, 0.88]), every,
                                 join_ratio=0.5, max_units=2))
    assert THIRD.unit_texts[0] not in [u.text for u in capped] and len(capped) == 2


def test_a_runner_up_under_the_threshold_stays_out() -> None:
    every = units_of(BEST, NEWS, THIRD)
    picked = pick_factoid(choice(QUESTION, "fr", scored(every, [0.9, 0.89, 0.3]), every,
                                 join_ratio=0.5))
    assert [u.text for u in picked] == [BEST.unit_texts[0], NEWS.unit_texts[0]]


def test_a_runner_up_never_takes_the_answer_over_max_units() -> None:
    every = units_of(BEST, NEWS)
    picked = pick_factoid(choice(QUESTION, "fr", scored(every, [0.9, 0.85]), every,
                                 join_ratio=0.5, max_units=1))
    assert len(picked) == 1


# ----------------------------------------------------------------------------- context

CNCD = Doc("cncd-ctx", [
    "Le CNCD-11.11.11 est la coupole des ONG belges.",
    "Il coordonne 90 ONG belges et des centaines de comités locaux.",
    "La coupole publie une revue.",
], "CNCD-11.11.11", 1)
HISTORY = Doc("wsm-hist", [
    "En 2006, les activités internationales sont rassemblées.",
    "L'asbl Solidarité Mondiale et l'asbl Wereldsolidariteit fusionnent leurs activités.",
    "Le siège reste à Bruxelles.",
], "WSM", 1)


def test_with_context_adds_the_antecedent_of_a_pronoun() -> None:
    every = CNCD.units()
    pronoun = every[1]
    result = with_context([pronoun], choice(QUESTION, "fr", scored(every, [0.1, 0.9, 0.2]),
                                            every))
    assert [u.text for u in result] == CNCD.unit_texts[:2]  # in the text's order
    assert with_context([pronoun], choice(QUESTION, "fr", scored(every, [0.1, 0.9, 0.2]),
                                          every, max_units=1)) == [pronoun]


def test_with_context_adds_a_following_sentence_that_leans_on_the_chosen_one() -> None:
    gpe = Doc("gpe", ["Le GRESEA étudie l'économie.", "Sa recherche porte sur la dette."],
              "MOC", 2)
    every = gpe.units()
    result = with_context([every[0]], choice("Que fait le GRESEA ?", "fr",
                                             scored(every, [0.9, 0.1]), every))
    assert [u.text for u in result] == gpe.unit_texts


def test_with_context_adds_the_neighbour_holding_the_type_asked_for() -> None:
    every = HISTORY.units()
    question = "Quand l'asbl Wereldsolidariteit a-t-elle fusionné ?"
    merged = every[1]
    result = with_context([merged], choice(question, "fr", scored(every, [0.2, 0.9, 0.1]),
                                           every))
    assert [u.text for u in result] == HISTORY.unit_texts[:2]  # the year comes from before
    # A sentence with no pronoun, asked nothing it lacks, stays alone.
    plain = with_context([merged], choice("Qui fusionne avec Wereldsolidariteit ?", "fr",
                                          scored(every, [0.2, 0.9, 0.1]), every))
    assert plain == [merged]


# ----------------------------------------------------------------------------- lists

LEAD = "Le CNCD-11.11.11 regroupe plusieurs organisations membres :"
FIRST_ITEMS = ["Oxfam-Solidarité ;", "Entraide et Fraternité ;", "WSM ;"]
NEXT_ITEMS = ["Broederlijk Delen ;", "Le CIRÉ."]
LIST_1 = bullet_doc("d0c-1", LEAD, FIRST_ITEMS, "CNCD-11.11.11", 1, section="Membres")
LIST_2 = Doc("d0c-2", NEXT_ITEMS, "CNCD-11.11.11", 2, section="Membres",
             text="".join(f"• {item}\n" for item in NEXT_ITEMS).strip())
OTHER_SECTION = Doc("d0c-3", ["Autres partenaires :", "Acodev", "Fiabel"], "CNCD-11.11.11", 3,
                    section="Partenaires",
                    text="Autres partenaires :\n• Acodev\n• Fiabel")


def test_a_lead_in_ending_with_a_colon_gives_its_list_continued_into_the_next_chunk() -> None:
    every = units_of(LIST_1, LIST_2, OTHER_SECTION)
    lead = every[0]
    scores = [0.9 if u is lead else 0.1 for u in every]
    # A factoid question: the best unit only announces its list, so the list answers.
    picked = select(choice("Qui fait partie du CNCD-11.11.11 ?", "fr", scored(every, scores),
                           every))
    assert [u.text for u in picked] == [LEAD, *FIRST_ITEMS, *NEXT_ITEMS]


def test_a_list_keeps_list_max_items() -> None:
    every = units_of(LIST_1, LIST_2)
    scores = [0.9] + [0.1] * (len(every) - 1)
    picked = select(choice("Quels sont les membres du CNCD-11.11.11 ?", "fr",
                           scored(every, scores), every, list_max=2))
    assert [u.text for u in picked] == [LEAD, *FIRST_ITEMS[:2]]


def test_a_sentence_beside_a_list_is_no_list_for_a_factoid() -> None:
    prose = Doc("prose", ["Le CNCD-11.11.11 est une coupole."], "CNCD-11.11.11", 4)
    every = units_of(prose, LIST_1)
    scores = [0.9] + [0.2] * (len(every) - 1)
    picked = select(choice("Que fait le CNCD-11.11.11 ?", "fr", scored(every, scores), every))
    assert [u.text for u in picked] == ["Le CNCD-11.11.11 est une coupole."]


def test_a_list_question_takes_a_list_close_enough_to_the_best() -> None:
    prose = Doc("prose", ["Le CNCD-11.11.11 est une coupole."], "CNCD-11.11.11", 4)
    every = units_of(prose, LIST_1)
    question = "Quelles organisations sont membres du CNCD-11.11.11 ?"
    close = [0.9, 0.6] + [0.2] * (len(every) - 2)  # the lead-in at 2/3 of the best
    picked = select(choice(question, "fr", scored(every, close), every, list_ratio=0.5))
    assert [u.text for u in picked] == [LEAD, *FIRST_ITEMS]
    far = [0.9, 0.3] + [0.2] * (len(every) - 2)  # at 1/3: under the list ratio
    picked = select(choice(question, "fr", scored(every, far), every, list_ratio=0.5))
    assert [u.text for u in picked] == ["Le CNCD-11.11.11 est une coupole."]


def test_a_list_question_stating_its_size_takes_the_list_of_that_size() -> None:
    prose = Doc("prose", ["Le CNCD-11.11.11 est une coupole."], "CNCD-11.11.11", 4)
    every = units_of(prose, OTHER_SECTION, LIST_1)  # lists of two and of three items
    scores = [0.9, 0.2, 0.2, 0.2] + [0.1] * (len(every) - 4)  # both far under the best
    three = select(choice("Quelles sont les trois organisations membres du CNCD-11.11.11 ?",
                          "fr", scored(every, scores), every, list_ratio=0.5))
    assert [u.text for u in three] == [LEAD, *FIRST_ITEMS]
    two = select(choice("Quels sont les deux autres partenaires du CNCD-11.11.11 ?", "fr",
                        scored(every, scores), every, list_ratio=0.5))
    assert [u.text for u in two] == ["Autres partenaires :", "Acodev", "Fiabel"]
    unsized = select(choice("Quelles organisations sont membres du CNCD-11.11.11 ?", "fr",
                            scored(every, scores), every, list_ratio=0.5))
    assert [u.text for u in unsized] == ["Le CNCD-11.11.11 est une coupole."]


def test_a_list_question_takes_the_list_headed_by_what_it_asks_to_list() -> None:
    prose = Doc("prose", ["Caritas Luxembourg agit pour l'inclusion sociale."],
                "Caritas Luxembourg", 1)
    values = bullet_doc("valeurs", "Nos valeurs", ["la dignité de la personne humaine",
                                                   "la solidarité"], "Caritas Luxembourg", 2)
    services = bullet_doc("services", "Nos services", ["l'accueil", "le logement"],
                          "Caritas Luxembourg", 3)
    every = units_of(prose, values, services)
    scores = [0.9] + [0.1] * (len(every) - 1)  # every list far under the best sentence
    picked = select(choice("Quelles valeurs Caritas Luxembourg met-elle en avant ?", "fr",
                           scored(every, scores), every, list_ratio=0.5))
    assert [u.text for u in picked] == ["Nos valeurs", "la dignité de la personne humaine",
                                        "la solidarité"]
    # A kind of organisation heads every partner list: it chooses none.
    picked = select(choice("Quelles organisations Caritas Luxembourg soutient-elle ?", "fr",
                           scored(every, scores), every, list_ratio=0.5))
    assert [u.text for u in picked] == ["Caritas Luxembourg agit pour l'inclusion sociale."]


# ----------------------------------------------------------------------------- summaries

CIEP_HEADING = Doc("ciep-titre", ["Le CIEP en bref"], "CIEP", 1)
CIEP = Doc("ciep", [
    "Le CIEP est le service d'éducation permanente du MOC.",
    "Il propose des formations pour adultes.",
    "Il organise aussi des conférences publiques.",
    "Il édite des outils pédagogiques.",
], "CIEP", 2)


def test_a_summary_skips_headings_and_opens_on_the_defining_sentence() -> None:
    every = units_of(CIEP_HEADING, CIEP)
    scores = [0.95, 0.3, 0.9, 0.85, 0.8]  # the heading first, the definition last
    picked = pick_summary(choice("Résume le CIEP.", "fr", scored(every, scores), every,
                                 max_units=2))
    texts = [u.text for u in picked]
    assert "Le CIEP en bref" not in texts
    assert texts == [CIEP.unit_texts[0], CIEP.unit_texts[1]]


def test_a_summary_of_headings_only_falls_back_to_a_factoid() -> None:
    every = units_of(CIEP_HEADING)
    picked = pick_summary(choice("Résume le CIEP.", "fr", scored(every, [0.9]), every))
    assert [u.text for u in picked] == ["Le CIEP en bref"]


def test_a_summary_reads_the_passage_that_says_most() -> None:
    lone = Doc("lone", ["Le CIEP forme des militants depuis longtemps."], "CIEP", 3)
    every = units_of(lone, CIEP)
    scores = [0.9, 0.5, 0.8, 0.8, 0.8]  # one strong sentence against four good ones
    picked = pick_summary(choice("Résume le CIEP.", "fr", scored(every, scores), every,
                                 max_units=4, summary_ratio=0.4))
    assert {u.passage.chunk_id for u in picked} == {"ciep"}
    assert [u.text for u in picked] == CIEP.unit_texts


CIEP_FOUNDED = Doc("ciep-long", [
    "Le CIEP est le service d'éducation permanente du MOC.",
    "Il propose des formations pour adultes.",
    "Il organise aussi des conférences publiques.",
    "Il a été fondé en 1974 à Bruxelles.",
], "CIEP", 1)


def test_a_summary_covers_the_date_its_strongest_sentences_lack() -> None:
    every = units_of(CIEP_FOUNDED)
    scores = [0.9, 0.85, 0.8, 0.3]  # the dated sentence scores lowest
    picked = pick_summary(choice("Résume le CIEP.", "fr", scored(every, scores), every,
                                 max_units=2))
    assert [u.text for u in picked] == [CIEP_FOUNDED.unit_texts[0], CIEP_FOUNDED.unit_texts[3]]


def test_a_definition_covers_the_date_its_defining_sentence_lacks() -> None:
    every = units_of(CIEP_FOUNDED)
    scores = [0.9, 0.85, 0.8, 0.3]
    picked = pick_definition(choice("C'est quoi le CIEP ?", "fr", scored(every, scores), every))
    # the defining sentence, the one that goes on about it ("Il ..."), and the founding date
    assert [u.text for u in picked] == [CIEP_FOUNDED.unit_texts[i] for i in (0, 1, 3)]


def test_a_summary_takes_no_covering_sentence_from_another_document() -> None:
    dated_elsewhere = Doc("other", ["Le MOC est né en 1921."], "MOC", 2)
    every = units_of(CIEP, dated_elsewhere)
    scores = [0.9, 0.85, 0.8, 0.75, 0.7]
    picked = pick_summary(choice("Résume le CIEP.", "fr", scored(every, scores), every,
                                 max_units=2))
    assert [u.text for u in picked] == CIEP.unit_texts[:2]


# ----------------------------------------------------------------------------- histories

TIMELINE = Doc("cire-1", [
    "En 2006, le CIRÉ change de nom.",
    "Le CIRÉ voit le jour en 1954.",
    "En 1961, il s'ouvre aux travailleurs migrants.",
    "Le CIRÉ milite pour les droits des étrangers.",
    "L'année 1976 marque un tournant.",
    "En 1993, de grandes organisations le rejoignent.",
], "Histoire du CIRÉ", 1)
TIMELINE_QUESTION = "Résume-moi l'histoire du CIRÉ."


def test_a_history_opens_on_the_earliest_dates_in_their_order() -> None:
    every = units_of(TIMELINE)
    scores = [0.9, 0.3, 0.4, 0.8, 0.2, 0.5]  # the late event strongest, the founding weak
    picked = pick_timeline(choice(TIMELINE_QUESTION, "fr", scored(every, scores), every,
                                  max_units=3))
    assert [u.text for u in picked] == [TIMELINE.unit_texts[1], TIMELINE.unit_texts[2],
                                        TIMELINE.unit_texts[4]]


def test_a_history_takes_one_sentence_per_year_from_one_document() -> None:
    again = Doc("cire-2", ["En 1954, le CIRÉ ouvre un bureau."], "Histoire du CIRÉ", 2)
    older = Doc("ldh", ["La Ligue naît en 1901."], "Ligue des droits humains", 3)
    every = units_of(TIMELINE, again, older)
    scores = [0.9, 0.3, 0.4, 0.8, 0.2, 0.5, 0.6, 0.1]
    picked = pick_timeline(choice(TIMELINE_QUESTION, "fr", scored(every, scores), every,
                                  max_units=4))
    texts = [u.text for u in picked]
    assert older.unit_texts[0] not in texts  # another document's earlier date
    assert again.unit_texts[0] not in texts  # 1954 is said already, and elsewhere
    assert texts[0] == TIMELINE.unit_texts[1]


def test_a_history_without_two_dates_is_a_summary() -> None:
    every = units_of(CIEP)
    scores = [0.9, 0.8, 0.7, 0.6]
    made = choice("Résume l'histoire du CIEP.", "fr", scored(every, scores), every)
    assert pick_timeline(made) == pick_summary(made)


def test_a_history_question_takes_the_timeline() -> None:
    every = units_of(TIMELINE)
    made = choice(TIMELINE_QUESTION, "fr", scored(every, [0.9, 0.3, 0.4, 0.8, 0.2, 0.5]),
                  every, max_units=2)
    assert made.profile.kind.selector == "timeline"
    assert [u.text for u in select(made)] == [TIMELINE.unit_texts[1], TIMELINE.unit_texts[2]]


# ----------------------------------------------------------------------------- definitions


def test_a_definition_opens_on_the_sentence_defining_the_name() -> None:
    mention = Doc("mention", ["Nous collaborons avec le CIEP et la FEC."], "WSM", 1)
    every = units_of(mention, CIEP)
    scores = [0.9, 0.2, 0.1, 0.1, 0.1]
    picked = pick_definition(choice("Le CIEP, c'est quoi ?", "fr", scored(every, scores),
                                    every))
    assert picked[0].text == CIEP.unit_texts[0]
    assert mention.unit_texts[0] not in [u.text for u in picked]


def test_a_how_question_reads_on_its_kinds_sentences_then_while_they_stay_close() -> None:
    steps = Doc("steps", [
        "Pour devenir volontaire, remplissez le formulaire en ligne.",
        "Un entretien suit.",
        "Puis une formation de deux jours.",
        "Le départ a lieu en été.",
        "Au retour, vous témoignez de votre expérience auprès du public.",
        "WSM remercie ses donateurs.",
    ], "WSM", 1)
    every = steps.units()
    question = "Comment devenir volontaire chez WSM ?"
    assert profile_question(question, "fr").kind.reads_on == 3  # data/kinds.toml
    picked = pick_passage(choice(question, "fr", scored(every, [0.9, 0.2, 0.1, 0.1, 0.8, 0.1]),
                                 every, join_ratio=0.8, max_units=6))
    assert [u.text for u in picked] == steps.unit_texts[:5]


# ----------------------------------------------------------------------------- comparison


def test_a_comparison_gives_one_unit_per_organisation() -> None:
    moc = Doc("moc", ["Le MOC rassemble cinq organisations.", "Le MOC est né en 1921."],
              "MOC", 1)
    csc = Doc("csc", ["La CSC est le syndicat chrétien.", "La CSC compte 1,5 million de membres."],
              "CSC", 2)
    every = units_of(moc, csc)
    question = "Qu'ont en commun le MOC et la CSC ?"
    picked = pick_comparison(choice(question, "fr", scored(every, [0.9, 0.8, 0.7, 0.6]), every))
    assert [u.text for u in picked] == [moc.unit_texts[0], csc.unit_texts[0]]
    assert select(choice(question, "fr", scored(every, [0.9, 0.8, 0.7, 0.6]), every)) == picked


def test_a_factoid_on_two_organisations_gives_one_unit_per_organisation() -> None:
    """"Quand sont nés le MOC et la CSC ?" is no comparison by its words, but it asks the
    same of two organisations: each one's best unit answers."""
    moc = Doc("moc", ["Le MOC rassemble cinq organisations.", "Le MOC est né en 1921."],
              "MOC", 1)
    csc = Doc("csc", ["La CSC est née en 1904.", "La CSC compte 1,5 million de membres."],
              "CSC", 2)
    every = units_of(moc, csc)
    picked = select(choice("Quand sont nés le MOC et la CSC ?", "fr",
                           scored(every, [0.9, 0.8, 0.7, 0.6]), every))
    assert {u.text for u in picked} == {moc.unit_texts[0], csc.unit_texts[0]}


def test_a_comparison_with_evidence_for_one_organisation_is_a_factoid() -> None:
    moc = Doc("moc", ["Le MOC rassemble cinq organisations."], "MOC", 1)
    every = moc.units()
    picked = pick_comparison(choice("Qu'ont en commun le MOC et la CSC ?", "fr",
                                    scored(every, [0.9]), every))
    assert [u.text for u in picked] == moc.unit_texts


# ----------------------------------------------------------------------------- compose

ENGLISH = Doc("en", ["The CIEP trains adults.", "It was founded in 1974."], "CIEP", 1,
              language="en")
FRENCH = Doc("fr", ["Le CIEP forme des adultes."], "CIEP", 2)


def test_a_french_answer_quoted_from_an_english_passage_says_so() -> None:
    text, citations = compose(ENGLISH.units(), "fr", False)
    assert text == ("D'après le document (en anglais) : The CIEP trains adults. [1] "
                    "It was founded in 1974. [1]")
    assert [c.unit_text for c in citations] == ENGLISH.unit_texts
    english, _ = compose(FRENCH.units(), "en", False)
    assert english == "According to the document (in French): Le CIEP forme des adultes. [2]"


def test_no_notice_when_languages_are_mixed_or_the_same() -> None:
    mixed, _ = compose([*FRENCH.units(), *ENGLISH.units()], "fr", False)
    assert mixed.startswith("Le CIEP forme des adultes. [2]")
    same, _ = compose(ENGLISH.units(), "en", False)
    assert same == "The CIEP trains adults. [1] It was founded in 1974. [1]"
    assert other_language(FRENCH.units(), "fr") == ""
    assert other_language(ENGLISH.units(), "fr") == "en"
    unknown = Doc("x", ["Texte."], "X", 3, language="")
    assert other_language(unknown.units(), "fr") == ""


def test_a_list_is_composed_with_its_lead_in_and_dashes() -> None:
    units = LIST_1.units()
    text, citations = compose(units, "fr", True)
    assert text.split("\n") == [f"{LEAD} [1]", *(f"- {item} [1]" for item in FIRST_ITEMS)]
    assert len(citations) == len(units)
    assert all(c.number == 1 for c in citations)


def test_a_list_without_lead_in_opens_with_the_generic_intro_and_drops_numbers() -> None:
    numbered = Doc("num", ["1. En coopérant.", "2. En renforçant les réseaux.",
                           "3. En exigeant un travail décent."], "WSM", 5, separator="\n")
    text, _ = compose(numbered.units(), "fr", True)
    assert text.split("\n") == [message("list_intro", "fr"), "- En coopérant. [5]",
                                "- En renforçant les réseaux. [5]",
                                "- En exigeant un travail décent. [5]"]
    # A list quoted from the other language: the notice is a line of its own and opens it
    # alone (no generic intro after it), the items follow.
    english, _ = compose(numbered.units(), "en", True)
    assert english.split("\n") == ["According to the document (in French):",
                                   "- En coopérant. [5]", "- En renforçant les réseaux. [5]",
                                   "- En exigeant un travail décent. [5]"]


def test_two_units_are_no_list() -> None:
    text, _ = compose(LIST_1.units()[:2], "fr", True)
    assert "\n" not in text


def test_abstaining_cites_nothing_and_keeps_the_sources() -> None:
    answer = abstain("en", [CIEP.passage])
    assert answer.abstained and answer.citations == []
    assert answer.text == message("not_found", "en")
    assert answer.sources == [CIEP.passage]
