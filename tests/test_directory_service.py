"""The directory through the real pipeline: extracted at ingestion into a real embedded
Chroma (fake encoder), stored beside the index, rebuilt incrementally, answered with
citations, listed by ``assistant orgs``, scored on the check set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CliRunner, cli_env, load_jsonl

from assistant.core.errors import BadQuestion
from assistant.service.assistant_service import AssistantService
from assistant.service.evaluation import directory_rows, list_scores

CHECKS = Path(__file__).parent / "directory_checks.jsonl"
# Regression floors just below the measured values (recall 0.912, precision 0.956; the
# issue's targets are 0.9). They fail if the directory gets worse.
RECALL_FLOOR = 0.91
PRECISION_FLOOR = 0.95


@pytest.fixture
def ingested(ingested_service: AssistantService) -> AssistantService:
    """The module's ingested copy: these tests only read it."""
    return ingested_service


@pytest.fixture
def own_ingested(fake_service: AssistantService) -> AssistantService:
    """A copy of its own, for a test that changes the corpus and ingests again."""
    fake_service.ingest()
    return fake_service


def names(orgs: list) -> set[str]:
    return {o.name for o in orgs}


def test_directory_is_stored_beside_the_index(ingested: AssistantService) -> None:
    state = ingested.store.read_state()
    assert state is not None
    orgs = ingested.store.existing_collection(ingested.store.orgs_name(state.generation))
    assert orgs.count() > 50
    directory = ingested.directory()
    assert len(directory) > 40


def test_aliases_are_merged_across_documents(ingested: AssistantService) -> None:
    directory = ingested.directory()
    wsm = directory.find("WSM")
    assert wsm is not None
    assert directory.find("Solidarité Mondiale") is wsm
    assert directory.find("World Solidarity") is wsm
    cncd = directory.find("CNCD-11.11.11")
    assert cncd is not None and "coopération" in cncd.full_name
    assert directory.find("FOPES") is directory.find(
        "faculté Ouverte de Politique Économique et Sociale")


def test_theme_query_in_either_language(ingested: AssistantService) -> None:
    assert names(ingested.organisations(theme="logement")) == names(
        ingested.organisations(theme="housing"))
    peace = names(ingested.organisations(theme="peace"))
    assert "CNAPD" in peace


def test_town_filter(ingested: AssistantService) -> None:
    assert names(ingested.organisations(town="Liège")) == {"AGES", "PROPAGE-S"}


def test_unknown_theme_names_the_known_ones(ingested: AssistantService) -> None:
    with pytest.raises(BadQuestion) as caught:
        ingested.organisations(theme="astrologie")
    assert "housing" in caught.value.render("fr")


def test_directory_question_is_answered_with_the_list_and_citations(
    ingested: AssistantService,
) -> None:
    answer = ingested.ask("Qui travaille sur l'alphabétisation ?")
    assert answer.route == "directory"
    assert "Lire et Ecrire" in answer.text and "[1]" in answer.text
    assert answer.citations and answer.citations[0].unit_text in answer.citations[0].passage.text


def test_question_about_one_organisation_keeps_the_passages(ingested: AssistantService) -> None:
    answer = ingested.ask("Quels mouvements internationaux Solidarité Mondiale soutenait-elle ?")
    assert answer.route == "passages"


def test_relation_question(ingested: AssistantService) -> None:
    answer = ingested.ask("Which organisations work with the AID network?")
    assert answer.route == "directory"
    for name in ("CSC", "ANMC", "JOC", "CIEP"):
        assert name in answer.text


def test_unchanged_documents_keep_their_mentions(own_ingested: AssistantService,
                                                 corpus_dir: Path) -> None:
    ingested = own_ingested
    before = names(ingested.directory().organisations)
    target = corpus_dir / "moc-partenariats-reseaux.txt"
    target.chmod(0o644)
    target.write_text(target.read_text(encoding="utf-8") + "\n\nMerci de votre lecture.\n",
                      encoding="utf-8")
    report = ingested.ingest()
    assert report.changed == ["moc-partenariats-reseaux.txt"]
    assert names(ingested.directory().organisations) == before


def test_removed_document_leaves_the_directory(own_ingested: AssistantService,
                                               corpus_dir: Path) -> None:
    ingested = own_ingested
    (corpus_dir / "aid-network-partners-resources.txt").unlink()
    ingested.ingest()
    assert ingested.directory().find("SOWECSOM") is None
    assert ingested.directory().find("CNAPD") is not None


def test_check_set_floors(ingested: AssistantService) -> None:
    rows = directory_rows(
        load_jsonl(CHECKS), lambda q: [o.all_names() for o in ingested.directory_search(q)])
    recalls = [row["recall"] for row in rows]
    precisions = [row["precision"] for row in rows]
    assert sum(recalls) / len(recalls) >= RECALL_FLOOR
    assert sum(precisions) / len(precisions) >= PRECISION_FLOOR


def test_corpus_relations_fixed_in_extraction(ingested: AssistantService) -> None:
    """The corpus' shapes behind issue 4's failures: a partner paragraph opening on its
    organisation ("Avec la faculté Ouverte ..., l'UCL propose"), numeric and parenthesised
    names in an enumeration, a short form ("mutu MC"), a name inside a word ("démocratique")."""
    directory = ingested.directory()
    moc, wsm = directory.find("MOC"), directory.find("WSM")
    assert moc is not None and wsm is not None
    partners = names(directory.related(moc, {"partner_of"}))
    assert "FOPES" in partners and "UCL" not in partners
    assert directory.find("UCL") is not None
    assert {"11.11.11", "RBRN", "CNCD-11.11.11"} <= names(directory.related(wsm, {"member_of"}))
    assert "mutu MC" in names(directory.related(moc, {"part_of"}))
    assert "démocratique" not in moc.text


def test_list_scores() -> None:
    assert list_scores([["A", "Alpha"], ["B"]], [["alpha"], ["C"]]) == (0.5, 0.5)
    assert list_scores([], []) == (1.0, 1.0)
    assert list_scores([], [["X"]]) == (1.0, 0.0)


@pytest.mark.slow  # starts `assistant` subprocesses
def test_orgs_command(run_cli: CliRunner, corpus_dir: Path, tmp_path: Path) -> None:
    env = cli_env(corpus_dir, tmp_path / "data")
    done = run_cli(["orgs", "--theme", "logement", "--json"], env)
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert listed and all("housing" in o["themes"] for o in listed)
    assert all(o["sources"] and o["sources"][0]["document"] for o in listed)
    text = run_cli(["orgs", "--town", "Liège"], env)
    assert text.returncode == 0 and "AGES" in text.stdout and "PROPAGE-S" in text.stdout
    bad = run_cli(["orgs", "--theme", "astrologie"], env)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.slow  # starts `assistant` subprocesses
def test_eval_prints_list_recall_and_precision(run_cli: CliRunner, corpus_dir: Path,
                                               tmp_path: Path) -> None:
    env = cli_env(corpus_dir, tmp_path / "data")
    done = run_cli(["eval", str(CHECKS)], env)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout[done.stdout.index("{"):])
    assert summary["n"] == len(load_jsonl(CHECKS))
    assert 0 <= summary["list_recall"] <= 1 and 0 <= summary["list_precision"] <= 1


# ------------------------------------------ found by an independent check set (holdout)


def test_a_name_inside_a_longer_name_is_no_mention_of_its_own(
        ingested: AssistantService) -> None:
    """"11.11.11" inside "CNCD-11.11.11": one organisation is named, so its members are
    asked for (two named organisations would leave the question to the passages)."""
    directory = ingested.directory()
    cncd = directory.find("CNCD-11.11.11")
    assert directory.named_in("Quelles organisations sont membres du CNCD-11.11.11 ?") == [cncd]
    answer = ingested.ask("Quelles organisations sont membres du CNCD-11.11.11 ?")
    assert answer.route == "directory" and "WSM" in answer.text


def test_a_members_answer_cites_the_sentence_that_relates_them(
        ingested: AssistantService) -> None:
    answer = ingested.ask("Quelles organisations sont membres du CNCD-11.11.11 ?")
    quoted = [c.unit_text for c in answer.citations]
    assert any("membre" in q and "CNCD-11.11.11" in q for q in quoted), quoted
    for citation in answer.citations:
        assert citation.unit_text in citation.passage.text
        assert f"[{citation.number}]" in answer.text


@pytest.mark.parametrize(("question", "expected"), [
    # "Mondiale" is the organisation's name, not the theme "mondialisation".
    ("Quels sont les partenaires de Solidarité Mondiale ?", {"AIM", "GCSPF", "RIPESS"}),
    # "Lire et Ecrire" is a name, not the theme literacy: its partner is the MOC.
    ("Qui sont les partenaires de Lire et Ecrire ?", {"MOC"}),
])
def test_an_organisations_name_gives_no_theme(ingested: AssistantService, question: str,
                                              expected: set[str]) -> None:
    found = names(ingested.directory_search(question))
    assert expected <= found


def test_a_postal_abbreviation_of_a_town_is_its_name(ingested: AssistantService) -> None:
    """The address says "Monceau s/Sambre"; people write "Monceau-sur-Sambre"."""
    found = ingested.directory_search("Quelles organisations ont leur siège à Monceau-sur-Sambre ?")
    assert names(found) == {"SAW-B"}


def test_a_question_opening_on_another_noun_does_not_ask_for_organisations(
        ingested: AssistantService) -> None:
    values = ingested.ask("Et quelles valeurs partage AID avec les organisations qui "
                          "travaillent avec lui ?")
    assert values.route == "passages"  # the fake encoder's passages need not answer it
    networks = ingested.ask("Quels réseaux travaillent sur le logement ?")
    assert networks.route == "directory"


def test_words_about_the_documents_do_not_narrow_a_list(ingested: AssistantService) -> None:
    """"Les organisations syndicales citées": "citées" is about the texts; it kept only the
    organisations whose own text happened to say "cité"."""
    found = names(ingested.directory_search("Quelles sont les organisations syndicales citées ?"))
    assert {"ITUC-CSI", "Gartex", "CMT"} <= found
