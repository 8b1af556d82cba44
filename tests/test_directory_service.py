"""The directory through the real pipeline: extracted at ingestion into a real embedded
Chroma (fake encoder), stored beside the index, rebuilt incrementally, answered with
citations, listed by ``assistant orgs``, scored on the check set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CliRunner, cli_env, load_jsonl

from assistant.errors import BadQuestion
from assistant.evaluation import directory_rows, list_scores
from assistant.service import AssistantService

CHECKS = Path(__file__).parent / "directory_checks.jsonl"
# Regression floors at the measured values (README): below the 0.9 targets, which
# are not met yet. They fail if the directory gets worse.
RECALL_FLOOR = 0.86
PRECISION_FLOOR = 0.87


@pytest.fixture
def ingested(fake_service: AssistantService) -> AssistantService:
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


def test_unchanged_documents_keep_their_mentions(ingested: AssistantService,
                                                 corpus_dir: Path) -> None:
    before = names(ingested.directory().organisations)
    target = corpus_dir / "moc-partenariats-reseaux.txt"
    target.chmod(0o644)
    target.write_text(target.read_text(encoding="utf-8") + "\n\nMerci de votre lecture.\n",
                      encoding="utf-8")
    report = ingested.ingest()
    assert report.changed == ["moc-partenariats-reseaux.txt"]
    assert names(ingested.directory().organisations) == before


def test_removed_document_leaves_the_directory(ingested: AssistantService,
                                               corpus_dir: Path) -> None:
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


def test_list_scores() -> None:
    assert list_scores([["A", "Alpha"], ["B"]], [["alpha"], ["C"]]) == (0.5, 0.5)
    assert list_scores([], []) == (1.0, 1.0)
    assert list_scores([], [["X"]]) == (1.0, 0.0)


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


def test_eval_prints_list_recall_and_precision(run_cli: CliRunner, corpus_dir: Path,
                                               tmp_path: Path) -> None:
    env = cli_env(corpus_dir, tmp_path / "data")
    done = run_cli(["eval", str(CHECKS)], env)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout[done.stdout.index("{"):])
    assert summary["n"] == len(load_jsonl(CHECKS))
    assert 0 <= summary["list_recall"] <= 1 and 0 <= summary["list_precision"] <= 1
