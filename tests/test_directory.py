"""Unit tests of the directory and of directory answers (no model, no store).

Mentions are written by hand (or extracted from small invented documents); every
organisation, town pairing and description here is made up.
"""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answering.directory_answers import parse_query, refine, search, short_description
from assistant.core.types import DocumentInfo
from assistant.directory.extraction.mention import Mention
from assistant.directory.extraction.reader import extract_mentions
from assistant.directory.organisations import (
    Directory,
    Organisation,
    build_directory,
    find_themes,
    keyword_concepts,
    keyword_themes,
    merge_mentions,
    name_keys,
    theme_by_id,
    themes,
    town_names,
)
from assistant.ingestion.chunking.document import chunk_document

# --------------------------------------------------------------------------- themes


def test_themes_are_loaded_with_both_labels() -> None:
    ids = {t.id for t in themes()}
    assert {"housing", "education", "permanent_education", "training", "migration"} <= ids
    housing = theme_by_id("housing")
    assert housing is not None
    assert housing.label("fr") == "logement"
    assert housing.label("en") == "housing"
    assert theme_by_id("no_such_theme") is None


@pytest.mark.parametrize(("text", "theme"), [
    ("logement", "housing"),
    ("Le droit au logement pour tous", "housing"),
    ("des logements sociaux", "housing"),
    ("decent housing for families", "housing"),
    ("l'accueil des réfugiés", "migration"),
    ("un atelier d'alphabétisation", "literacy"),
    ("formations professionnelles", "training"),
])
def test_keyword_themes_finds_a_theme(text: str, theme: str) -> None:
    assert theme in keyword_themes(text)


def test_keyword_themes_longer_keyword_consumes_its_words() -> None:
    found = keyword_themes("un mouvement d'éducation permanente")
    assert "permanent_education" in found
    assert "education" not in found
    assert set(keyword_themes("popular education in the villages")) == {"permanent_education"}


def test_keyword_themes_consumes_only_the_phrase() -> None:
    found = keyword_themes("éducation permanente et éducation des enfants à l'école")
    assert {"permanent_education", "education"} <= set(found)


def test_keyword_themes_lifelong_learning_is_training_not_education() -> None:
    assert set(keyword_themes("lifelong learning")) == {"training"}


def test_keyword_themes_says_which_keyword_matched() -> None:
    assert keyword_themes("Le logement")["housing"] == "log"  # the stem that matched


def test_keyword_themes_of_unrelated_text() -> None:
    assert keyword_themes("Le conseil d'administration se réunit le mardi") == {}


def test_keyword_themes_law_is_not_rent() -> None:
    assert "housing" not in keyword_themes("Nous analysons la loi sur le temps de travail")


def test_keyword_themes_shared_keyword_gives_both_themes() -> None:
    assert {"education", "research"} <= set(keyword_themes("une université"))


@pytest.mark.parametrize("query", ["housing", "logement", "Logement", "HOUSING"])
def test_find_themes_same_theme_in_both_languages(query: str) -> None:
    assert [t.id for t in find_themes(query)] == ["housing"]


@pytest.mark.parametrize(("fr", "en"), [
    ("éducation permanente", "permanent education"),
    ("formation", "training"),
    ("alphabétisation", "literacy"),
    ("économie sociale", "social economy"),
])
def test_find_themes_french_and_english_agree(fr: str, en: str) -> None:
    assert [t.id for t in find_themes(fr)] == [t.id for t in find_themes(en)] != []


def test_find_themes_by_label_and_in_a_question() -> None:
    assert [t.id for t in find_themes("climat et environnement")] == ["climate"]
    assert [t.id for t in find_themes("Quelles organisations luttent pour le logement ?")] == [
        "housing"]
    assert find_themes("le conseil d'administration") == []


# --------------------------------------------------------------------------- names and merging


def mention(name: str, chunk_id: str, **facts: object) -> Mention:
    facts.setdefault("defined", True)
    facts.setdefault("evidence", f"{name} : passage {chunk_id}")
    return Mention(name=name, doc_id="d", chunk_id=chunk_id, **facts)  # type: ignore[arg-type]


def test_name_keys_of_compound_acronyms_and_organisation_nouns() -> None:
    assert name_keys("ACV-CSC") == {"acvcsc", "acv", "csc"}
    assert name_keys("Réseau Pivoine") == {"reseaupivoine", "pivoine"}
    assert name_keys("réseau de locataires") == {"reseaudelocataires"}  # not a proper name
    assert name_keys("Maison Plume") == {"maisonplume"}  # "maison" is no organisation noun


def test_merge_by_shared_alias() -> None:
    groups = merge_mentions([
        mention("Réseau Pivoine", "c1"),
        mention("Pivoine", "c2", defined=False),
        mention("Maison Plume", "c3"),
    ])
    assert sorted(sorted(m.name for m in g) for g in groups) == [
        ["Maison Plume"], ["Pivoine", "Réseau Pivoine"]]


def test_merge_through_an_acronym_alias() -> None:
    groups = merge_mentions([
        mention("Centre régional d'initiation au patrimoine", "c1", aliases=["CRIP"]),
        mention("CRIP", "c2", defined=False),
    ])
    assert len(groups) == 1


def test_merge_an_acronym_with_the_long_name_that_spells_it_elsewhere() -> None:
    groups = merge_mentions([
        mention("FRAP", "c1", defined=False, relations=[("part_of", "Réseau Pivoine")]),
        mention("Fédération romande des amis du patrimoine", "c2"),
    ])
    assert len(groups) == 1


def test_no_merge_when_initials_spell_an_unknown_acronym() -> None:
    groups = merge_mentions([
        mention("FRAP", "c1"),
        mention("Fédération rurale des artisans potiers", "c2"),  # also FRAP ...
        mention("Fédération rurale des maraîchers", "c3"),  # ... but this one is FRM
    ])
    assert sorted(len(g) for g in groups) == [1, 2]


def toy_mentions() -> list[Mention]:
    return [
        mention("Réseau Pivoine", "c1",
                description="Réseau Pivoine, un réseau de locataires pour le droit au logement",
                own_text="Le Réseau Pivoine défend le droit au logement à Bruxelles.",
                town="Bruxelles", address="Rue Haute 3, 1000 Bruxelles"),
        mention("Pivoine", "c2", defined=False, evidence="Nous travaillons avec Pivoine."),
        mention("FRAP", "c3", defined=False, relations=[("part_of", "Réseau Pivoine")],
                evidence="La FRAP fait partie du Réseau Pivoine."),
        mention("Fédération romande des amis du patrimoine", "c4",
                description="Fédération romande des amis du patrimoine, un mouvement "
                            "d'éducation permanente",
                own_text="Un mouvement d'éducation permanente."),
        mention("Maison Plume", "c5", town="Liège", address="Rue des Tanneurs 14, 4000 Liège",
                relations=[("partner_of", "Pivoine")],
                description="Maison Plume, une maison de quartier",
                website="www.maison-plume.example"),
        mention("Kestrel Trust", "c6", defined=False, evidence="avec Kestrel Trust et d'autres"),
        mention("Atelier Vert", "c7", defined=False, relations=[("partner_of", "Nobody Known")]),
    ]


@pytest.fixture(scope="module")
def directory() -> Directory:
    return build_directory(toy_mentions())


def org(directory: Directory, name: str) -> Organisation:
    found = directory.find(name)
    assert found is not None, name
    return found


def test_build_directory_merges_and_drops_passing_mentions(directory: Directory) -> None:
    assert [o.name for o in directory.organisations] == [
        "Atelier Vert", "FRAP", "Maison Plume", "Réseau Pivoine"]  # sorted by title
    assert len(directory) == 4
    assert directory.find("Kestrel Trust") is None  # named in passing, with no fact


def test_acronym_is_the_short_name_and_long_name_the_full_name(directory: Directory) -> None:
    frap = org(directory, "FRAP")
    assert frap.full_name == "Fédération romande des amis du patrimoine"
    assert frap.title == "Fédération romande des amis du patrimoine (FRAP)"
    assert frap.description.endswith("un mouvement d'éducation permanente")
    assert {s.chunk_id for s in frap.sources} == {"c3", "c4"}
    assert frap.sources[0].chunk_id == "c4"  # the defining passage first


def test_find_by_any_name(directory: Directory) -> None:
    pivoine = org(directory, "Réseau Pivoine")
    assert directory.find("Pivoine") is pivoine
    assert directory.find("le réseau pivoine") is pivoine
    assert directory.find("Fédération romande des amis du patrimoine") is org(directory, "FRAP")
    assert directory.find("frap") is org(directory, "FRAP")
    assert directory.find("Réseau Inconnu") is None
    assert pivoine.aliases == ["Pivoine"]
    assert pivoine.all_names() == ["Réseau Pivoine", "Pivoine"]


def test_facts_are_kept(directory: Directory) -> None:
    plume = org(directory, "Maison Plume")
    assert (plume.town, plume.address) == ("Liège", "Rue des Tanneurs 14, 4000 Liège")
    assert plume.website == "www.maison-plume.example"
    data = plume.to_dict()
    assert data["relations"] == [{"kind": "partner_of", "target": "Réseau Pivoine"}]
    assert [(s["chunk_id"], s["text"]) for s in data["sources"]] == [  # type: ignore[attr-defined]
        ("c5", "Maison Plume : passage c5")]


def test_themes_come_from_what_is_said_of_the_organisation(directory: Directory) -> None:
    assert set(org(directory, "Réseau Pivoine").themes) == {"housing"}
    frap = org(directory, "FRAP")
    assert "permanent_education" in frap.themes
    assert "education" not in frap.themes
    description, source = frap.theme_sources["permanent_education"]
    assert source.chunk_id == "c4"
    assert "éducation permanente" in description
    assert [o.name for o in directory.with_themes(["housing"])] == ["Réseau Pivoine"]
    assert directory.with_themes(["housing", "permanent_education"]) == []


def test_relations_resolve_to_directory_entries(directory: Directory) -> None:
    pivoine = org(directory, "Réseau Pivoine")
    (to_pivoine,) = org(directory, "Maison Plume").relations
    assert (to_pivoine.kind, to_pivoine.target) == ("partner_of", pivoine.key)
    assert [o.name for o in directory.related(pivoine, {"part_of"})] == ["FRAP"]
    assert [o.name for o in directory.related(pivoine, {"partner_of"})] == ["Maison Plume"]
    assert directory.related(pivoine, {"member_of"}) == []
    # ... in both directions
    assert directory.related(org(directory, "FRAP"), {"part_of"}) == [pivoine]
    (unknown,) = org(directory, "Atelier Vert").relations
    assert (unknown.target, unknown.target_name) == ("nobodyknown", "Nobody Known")


@pytest.mark.parametrize("town", ["Brussels", "Bruxelles", "bruxelles", "Brussel"])
def test_in_town_knows_other_names_of_a_town(directory: Directory, town: str) -> None:
    assert [o.name for o in directory.in_town(town)] == ["Réseau Pivoine"]


def test_in_town_liege_without_accent_and_in_dutch(directory: Directory) -> None:
    assert [o.name for o in directory.in_town("Liege")] == ["Maison Plume"]
    assert [o.name for o in directory.in_town("Luik")] == ["Maison Plume"]
    assert directory.in_town("Arlon") == []
    assert directory.towns() == ["Bruxelles", "Liège"]
    assert town_names("Brussels") == {"bruxelles", "brussels", "brussel"}


def test_in_town_falls_back_on_the_text() -> None:
    directory = build_directory([mention("Collectif Ortie", "c1",
                                         own_text="Le Collectif Ortie anime un potager à Namur.")])
    assert [o.name for o in directory.in_town("Namen")] == ["Collectif Ortie"]


def test_named_in_finds_whole_names_only(directory: Directory) -> None:
    assert [o.name for o in directory.named_in("Que fait la Maison Plume à Liège ?")] == [
        "Maison Plume"]
    assert directory.named_in("Une maison plumeuse") == []
    assert [o.name for o in directory.named_in("Le réseau pivoine recrute.")] == ["Réseau Pivoine"]


def test_vectors_follow_their_mentions() -> None:
    mentions = [mention("Réseau Pivoine", "c1"), mention("Pivoine", "c2"),
                mention("Maison Plume", "c3")]
    vectors = [np.full(4, float(i), dtype=np.float32) for i in range(3)]
    directory = build_directory(mentions, vectors)
    pivoine = org(directory, "Pivoine")
    assert pivoine.vectors is not None and pivoine.vectors.shape == (2, 4)
    assert sorted(pivoine.vectors[:, 0].tolist()) == [0.0, 1.0]
    assert org(directory, "Maison Plume").vectors[:, 0].tolist() == [2.0]  # type: ignore[index]


# --------------------------------------------------------------------------- end to end

DOC_A = """\
Réseau Pivoine

Le Réseau Pivoine est un réseau de locataires qui défend le droit au logement à Bruxelles.

Nos partenaires

Voici les organisations partenaires du Réseau Pivoine :
- Maison Plume, Rue des Tanneurs 14, 4000 Liège
- La Coalition Galet est une asbl qui accompagne les sans-abri
"""

DOC_B = """\
Présentation

La Fédération romande des amis du patrimoine organise des visites. Elle travaille avec \
Pivoine depuis 2015.

Nos membres

Voici les organisations partenaires de la FRAP :
- Equipes Colibri, un mouvement d'éducation permanente pour adultes
"""


def extracted(text: str, doc_id: str, organisation: str, title: str) -> list[Mention]:
    chunks = chunk_document(text, doc_id=doc_id, title=title, max_chars=1200)
    info = DocumentInfo(doc_id=doc_id, file=f"{doc_id}.txt", title=title,
                        organisation=organisation, language="fr")
    return extract_mentions(info, chunks, [f"{doc_id}-c{i}" for i in range(len(chunks))])


def test_directory_from_two_documents() -> None:
    mentions = [*extracted(DOC_A, "a", "Réseau Pivoine", "Réseau Pivoine"),
                *extracted(DOC_B, "b", "FRAP", "FRAP : présentation")]
    directory = build_directory(mentions)
    pivoine = org(directory, "Pivoine")
    assert pivoine is org(directory, "Réseau Pivoine")
    assert "housing" in pivoine.themes
    # "Elle [la FRAP] travaille avec Pivoine": a partner too, from the other document.
    assert {o.name for o in directory.related(pivoine, {"partner_of"})} == {
        "Maison Plume", "Coalition Galet", "FRAP"}
    assert "housing" in org(directory, "Coalition Galet").themes  # "sans-abri"
    frap = org(directory, "FRAP")
    assert frap is org(directory, "Fédération romande des amis du patrimoine")
    assert {o.name for o in directory.related(frap, {"partner_of"})} == {
        "Equipes Colibri", "Réseau Pivoine"}
    assert set(org(directory, "Equipes Colibri").themes) == {"permanent_education"}
    assert [o.name for o in directory.in_town("Luik")] == ["Maison Plume"]


# --------------------------------------------------------------------------- search


def test_theme_and_town_question_fr(directory: Directory) -> None:
    query = parse_query("Quelles organisations travaillent sur le logement à Bruxelles ?", "fr",
                        directory)
    assert query.asks_organisations and query.filters
    assert [t.id for t in query.themes] == ["housing"]
    assert town_names(query.town) >= {"bruxelles", "brussels"}
    assert [o.name for o in search(query, directory)] == ["Réseau Pivoine"]


def test_theme_and_town_question_en(directory: Directory) -> None:
    query = parse_query("Which organisations work on housing in Brussels?", "en", directory)
    assert [t.id for t in query.themes] == ["housing"]
    assert [o.name for o in search(query, directory)] == ["Réseau Pivoine"]
    other_town = parse_query("Which organisations work on housing in Liège?", "en", directory)
    assert search(other_town, directory) == []


def test_partner_question(directory: Directory) -> None:
    query = parse_query("Who are the partners of Réseau Pivoine?", "en", directory)
    assert [o.name for o in query.named] == ["Réseau Pivoine"]
    assert "partner_of" in query.relation
    assert [o.name for o in search(query, directory)] == ["Maison Plume"]


def test_member_question_with_an_acronym(directory: Directory) -> None:
    query = parse_query("Quels sont les membres du Réseau Pivoine ?", "fr", directory)
    assert "part_of" in query.relation
    assert [o.name for o in search(query, directory)] == ["FRAP"]
    by_acronym = parse_query("De quels réseaux la FRAP est-elle membre ?", "fr", directory)
    assert [o.name for o in by_acronym.named] == ["FRAP"]
    assert [o.name for o in search(by_acronym, directory)] == ["Réseau Pivoine"]


@pytest.mark.parametrize(("question", "language", "asks"), [
    ("Which partner works on housing?", "en", True),  # a kind of organisation, singular
    ("Quelle fédération travaille sur le logement ?", "fr", True),
    ("Which NGO deals with housing?", "en", True),
    ("Quel projet porte sur le logement ?", "fr", False),  # a project is no organisation
    ("What training is there on housing?", "en", False),
])
def test_a_question_opening_on_a_kind_of_organisation_asks_for_organisations(
        directory: Directory, question: str, language: str, asks: bool) -> None:
    assert parse_query(question, language, directory).asks_organisations is asks


def test_question_without_filters_is_not_a_directory_question(directory: Directory) -> None:
    query = parse_query("Quel temps fera-t-il demain ?", "fr", directory)
    assert not query.asks_organisations
    assert not query.filters
    assert search(query, directory) == []


def test_short_description_drops_the_leading_name(directory: Directory) -> None:
    assert short_description(org(directory, "Maison Plume")) == "une maison de quartier"
    assert short_description(org(directory, "Réseau Pivoine")).startswith("un réseau de locataires")
    assert short_description(org(directory, "FRAP")) == "un mouvement d'éducation permanente"
    long = short_description(org(directory, "FRAP"), "FRAP, " + "très " * 60 + "actif", limit=40)
    assert len(long) <= 42 and long.endswith(" …")


def test_keyword_phrase_words_must_stand_as_close_as_in_the_keyword() -> None:
    assert "decent_work" in keyword_themes("Which organisations work on decent work?")
    # "workers' rights" is a keyword; "works on the right to housing" is not about it.
    assert set(keyword_themes("Who works on the right to housing?")) == {"housing"}
    assert "decent_work" in keyword_themes("la défense des droits des travailleurs")


def test_an_address_gives_no_theme() -> None:
    located = mention("Atelier Quartz", "c1", description="Atelier Quartz, Place de "
                      "l'Université 16, 1348 Louvain-la-Neuve",
                      address="Place de l'Université 16, 1348 Louvain-la-Neuve",
                      town="Louvain-la-Neuve")
    assert "education" not in build_directory([located]).organisations[0].themes


def test_a_name_listed_as_a_network_is_kept_without_facts_of_its_own() -> None:
    member = mention("Cercle Ardoise", "c1", relations=[("member_of", "Plume Verte")])
    listed = mention("Plume Verte", "c1", defined=False)
    directory = build_directory([member, listed])
    assert directory.find("Plume Verte") is not None
    assert directory.relation_evidence(org(directory, "Cercle Ardoise"),
                                       org(directory, "Plume Verte"), {"member_of"})


def test_a_town_that_only_qualifies_the_named_network_does_not_empty_its_members(
    directory: Directory,
) -> None:
    query = parse_query("Which organisations make up the Réseau Pivoine of Liège?", "en",
                        directory)
    assert query.relation and query.town
    assert [o.name for o in search(query, directory)] == ["FRAP"]
    assert query.town == ""  # not said in the answer's criteria


def test_keyword_concepts_group_translations_and_zero_is_the_theme_itself() -> None:
    assert keyword_concepts("les sans-papiers") == keyword_concepts("undocumented people")
    assert 0 in keyword_concepts("migration")["migration"]
    assert 0 not in keyword_concepts("les sans-papiers")["migration"]


def test_a_narrower_concept_narrows_a_theme_list_to_who_names_it() -> None:
    mentions = [
        mention("Collectif Lys", "c1", description="Collectif Lys, un réseau de collectifs "
                "sans papiers en lutte"),
        mention("Centre Iris", "c2", description="Centre Iris, accueil des réfugiés et asile"),
        mention("Maison Orme", "c3", description="Maison Orme, migrations et intégration"),
    ]
    directory = build_directory(mentions)
    undocumented = parse_query("Which organisations represent undocumented people?", "en",
                               directory)
    assert [o.name for o in search(undocumented, directory)] == ["Collectif Lys"]
    refugees = parse_query("Qui s'occupe de l'accueil des réfugiés et de l'asile ?", "fr",
                           directory)
    assert [o.name for o in search(refugees, directory)] == ["Centre Iris"]
    # Naming the theme itself wants the whole list.
    broad = parse_query("Quelles organisations travaillent sur la migration et l'asile ?",
                        "fr", directory)
    assert len(search(broad, directory)) == 3


# --------------------------------------------------------------------------- issue 4 follow-ups


def test_the_lead_in_of_a_partner_list_says_which_partners_a_question_wants() -> None:
    """"les partenaires privilégiés": said in the lead-in above the entries, not in them."""
    lead = "Ses partenaires privilégiés sont, notamment:"
    mentions = [mention("Réseau Pivoine", "c0")]
    for index, name in enumerate(["Maison Plume", "Coalition Galet", "Collectif Lys",
                                  "Centre Iris"], start=1):
        mentions.append(mention(name, f"c{index}", relations=[("partner_of", "Réseau Pivoine")],
                                relation_context=lead))
    mentions.append(mention("Atelier Quartz", "c9", evidence="Atelier Quartz, un atelier",
                            relations=[("partner_of", "Réseau Pivoine")]))
    directory = build_directory(mentions)
    query = parse_query("Quels sont les partenaires privilégiés du Réseau Pivoine ?", "fr",
                        directory)
    assert {o.name for o in search(query, directory)} == {
        "Maison Plume", "Coalition Galet", "Collectif Lys", "Centre Iris"}
    every = parse_query("Quels sont les partenaires du Réseau Pivoine ?", "fr", directory)
    assert len(search(every, directory)) == 5


def test_a_town_that_qualifies_the_named_network_keeps_the_parts_related_there() -> None:
    """"the MOC federation of Liège": the passage relating the parts names the town."""
    local = "Un groupe de la fédération du FRAP de Liège (CIEP, CNE, CSC, Inform'Action)"
    mentions = [mention("FRAP", "c0")]
    mentions += [mention(name, "c1", defined=False, evidence=local,
                         relations=[("part_of", "FRAP")])
                 for name in ("CIEP", "CNE", "CSC", "Inform'Action")]
    mentions.append(mention("Maison Plume", "c2", defined=False,
                            evidence="En Belgique, Maison Plume fait partie du FRAP.",
                            relations=[("part_of", "FRAP")]))
    directory = build_directory(mentions)
    query = parse_query("Which organisations make up the FRAP federation of Liège?", "en",
                        directory)
    assert {o.name for o in search(query, directory)} == {"CIEP", "CNE", "CSC", "Inform'Action"}


def test_other_words_narrow_a_long_theme_list_even_after_its_concept_narrowed_it() -> None:
    """Twelve school organisations, two say "school", one of them "democratic": the short
    list the concept left is refined like the theme's long list would have been."""
    mentions = [
        mention("Appel Ardoise", "c1", description="Appel Ardoise, pour une école "
                "démocratique et des savoirs pour tous"),
        mention("Ecole Quartz", "c2", description="Ecole Quartz, school of work sciences"),
        mention("Centre Iris", "c3", description="Centre Iris, enseignement et pédagogie"),
        mention("Maison Orme", "c4", description="Maison Orme, enseignement pour adultes"),
        mention("Collectif Lys", "c5", description="Collectif Lys, enseignement secondaire"),
    ]
    directory = build_directory(mentions)
    query = parse_query("Who is working for a more democratic school system?", "en", directory)
    assert [o.name for o in search(query, directory)] == ["Appel Ardoise"]


def test_refining_an_emptied_list_keeps_it_empty() -> None:
    """A theme selected a long list and the town asked left none of it: nothing to refine
    (it raised ValueError on max() of no match, and the question got no answer at all)."""
    assert refine([], ["democratic"], selected=12) == []


def test_a_keyword_phrase_takes_no_extra_word_between_its_words() -> None:
    """"Politique Économique et Sociale" is economic and social policy, not "économie
    sociale"; a keyword written with a word between its words keeps that distance."""
    assert "social_economy" not in keyword_themes("la faculté de Politique Économique et Sociale")
    assert "social_economy" in keyword_themes("les entreprises de l'économie sociale")
    assert "international_solidarity" in keyword_themes("la coopération au développement")
