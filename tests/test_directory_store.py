"""The directory built at ingestion and stored beside its generation
(``assistant/directory_store.py``): the stored one answers exactly as one built from the
mentions, a new process reads it without scanning the corpus, a store without it still
works and the next ingestion adds it, an incremental ingestion gives the directory of a
fresh one, and a killed ingestion leaves the previous generation's directory answering."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chromadb.api.shared_system_client import SharedSystemClient
from conftest import CORPUS, cli_env, load_jsonl, make_settings

from assistant.answering.directory_answers import load_directory, parse_query, search
from assistant.core.settings import Settings
from assistant.directory import storage as directory_store
from assistant.directory.extraction.mention import Mention
from assistant.directory.extraction.spelling import spelled_aliases
from assistant.directory.organisations import Directory
from assistant.service import assistant_service as service_module
from assistant.service.assistant_service import AssistantService
from assistant.store.chroma import IndexStore, get_all
from embeddings.base import TextEncoder

CHECKS = Path(__file__).parent / "directory_checks.jsonl"
WSM_FICHE = "wsm-fiche-organisation.txt"
# A new acronym in one document whose long name ("Plateforme Travail Décent") is only in
# another, unchanged one: found only if unchanged documents are scanned for new letters.
NEW_ACRONYM = "\nLa PTD est un réseau belge de syndicats et d'ONG.\n"


def raising_factory(settings: Settings) -> TextEncoder:
    raise AssertionError("the encoder must not be built")


def dump(directory: Directory) -> str:
    """Every field of every organisation, in order (sources written out)."""
    table: dict[Any, int] = {}
    orgs = [directory_store.organisation_record(o, table) for o in directory.organisations]
    return json.dumps([orgs, [[s.chunk_id, s.text, s.document] for s in table]],
                      ensure_ascii=False)


def lazy_build(service: AssistantService) -> Directory:
    """The directory as the service built it before it was stored: every mention and every
    chunk text of the active generation, merged."""
    store = service.store
    state = store.read_state()
    assert state is not None
    chunks = get_all(store.existing_collection(store.chunks_name(state.generation)),
                     ["documents"])
    return load_directory(store.existing_collection(store.orgs_name(state.generation)),
                          list(zip(chunks["ids"], chunks["documents"], strict=True)))


def answers(directory: Directory) -> list[Any]:
    """What the directory answers: the check set's questions, every name, towns, themes."""
    out: list[Any] = []
    for row in load_jsonl(CHECKS):
        query = parse_query(str(row["query"]), str(row["lang"]), directory)
        out.append([o.key for o in search(query, directory)])
    for org in directory.organisations:
        for name in org.all_names():
            found = directory.find(name)
            out.append([name, found.key if found else None,
                        [o.key for o in directory.named_in(f"Parlons de {name} ici")]])
        out.append([o.key for o in directory.related(org, {"member_of", "partner_of",
                                                           "part_of", "coordinates"})])
    for town in directory.towns():
        out.append([o.key for o in directory.in_town(town)])
    for theme in sorted({t for o in directory.organisations for t in o.themes}):
        out.append([o.key for o in directory.with_themes([theme])])
    return out


def fresh_copy(tmp_path: Path, name: str) -> Settings:
    base = tmp_path / name
    shutil.copytree(CORPUS, base / "corpus")
    return make_settings(base / "corpus", base / "data", embedding_model="fake")


@pytest.fixture(scope="module")
def ingested_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = fresh_copy(tmp_path_factory.mktemp("dirstore"), "x1")
    AssistantService(settings).ingest()
    return settings


# -- (de)serialisation --------------------------------------------------------------------
def test_round_trip_gives_a_directory_that_answers_identically(
    ingested_settings: Settings,
) -> None:
    built = lazy_build(AssistantService(ingested_settings))
    assert len(built) > 40
    pages = directory_store.directory_pages(built, size=7)  # several pages, shared sources
    assert len(pages) > 5
    back = directory_store.directory_from_pages(
        [json.loads(json.dumps(p)) for p in pages])  # through JSON text
    assert dump(back) == dump(built)
    assert [o.to_dict() for o in back.organisations] == [o.to_dict() for o in built.organisations]
    assert answers(back) == answers(built)
    assert any(o.relations for o in back.organisations)
    assert any(o.theme_sources and o.concepts for o in back.organisations)
    packed = directory_store.pack(pages[0])
    assert directory_store.unpack(packed) == json.loads(json.dumps(pages[0]))


def test_per_document_scans_give_the_whole_corpus_spelled_aliases(
    ingested_settings: Settings,
) -> None:
    """directory_store re-implements spelled_aliases' loop per document: same result."""
    store = IndexStore(ingested_settings)
    state = store.read_state()
    assert state is not None
    mentions_got = get_all(store.existing_collection(store.orgs_name(state.generation)),
                           ["documents"])
    mentions = [Mention.from_dict(json.loads(d)) for d in mentions_got["documents"]]
    got = get_all(store.existing_collection(store.chunks_name(state.generation)),
                  ["documents", "metadatas"])
    chunks = list(zip(got["ids"], got["documents"], strict=True))
    expected = spelled_aliases(mentions, chunks)
    assert len(expected) >= 3  # MOC, WSM, FOPES ... spelled out somewhere

    table = directory_store.acronym_table(mentions)
    per_doc: dict[str, list[tuple[int, str, str]]] = {}
    for (cid, text), meta in zip(chunks, got["metadatas"], strict=True):
        per_doc.setdefault(str(meta["doc_id"]), []).append((int(meta["chunk_index"]), cid, text))
    everything = directory_store.letters_index(table)
    found = {d: directory_store.scan_document(c, everything) for d, c in per_doc.items()}
    order = directory_store.corpus_order(per_doc)

    def as_mentions(aliases: list[tuple[str, str, str]]) -> list[Mention]:
        text = dict(chunks)
        return [Mention(name=a, doc_id="", chunk_id=c, evidence=text[c], defined=False,
                        aliases=[r]) for c, a, r in aliases]

    assert as_mentions(directory_store.assemble_aliases(
        (found[d] for d in order), table)) == expected
    # Scanned in two goes (the letters known before, then new ones): the same.
    letters = list(table)
    first = directory_store.letters_index(letters[::2])
    second = directory_store.letters_index(letters[1::2])
    halves = {d: directory_store.scan_document(c, first) + directory_store.scan_document(
        c, second) for d, c in per_doc.items()}
    assert as_mentions(directory_store.assemble_aliases(
        (halves[d] for d in order), table)) == expected


# -- stored at ingestion, loaded by a new process -------------------------------------------
def test_ingestion_stores_it_and_a_new_service_loads_it_without_the_corpus_scan(
    ingested_settings: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = AssistantService(ingested_settings)
    state = service.store.read_state()
    assert state is not None
    assert service.store.directory_name(state.generation) in (
        service.store.list_collection_names())
    expected = lazy_build(service)

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("the stored directory must be read, not built")

    monkeypatch.setattr(service_module, "load_directory", fail)
    monkeypatch.setattr(directory_store, "build", fail)
    monkeypatch.setattr(directory_store, "scan_document", fail)
    monkeypatch.setattr("assistant.answering.directory_answers.spelled_aliases", fail)
    monkeypatch.setattr(service_module, "get_all", fail)  # no chunk texts read
    fresh = AssistantService(ingested_settings)
    loaded = fresh.directory()
    assert dump(loaded) == dump(expected)
    assert answers(loaded) == answers(expected)
    assert fresh.directory() is loaded  # kept for the generation


def test_ingestion_adds_seconds_not_minutes_and_reports_them(tmp_path: Path) -> None:
    settings = fresh_copy(tmp_path, "timed")
    report = AssistantService(settings).ingest()
    assert 0 < report.directory_seconds < 10  # the budget for the real corpus
    assert report.directory_seconds < report.seconds


# -- stores without it ---------------------------------------------------------------------
def test_a_store_without_it_still_answers_and_the_next_ingestion_adds_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = fresh_copy(tmp_path, "old")
    service = AssistantService(settings)
    service.ingest()
    expected = dump(service.directory())
    store = service.store
    # A store made before directories were stored: no such collection.
    store.client.delete_collection(store.directory_name(1))
    assert directory_store.load(store, 1) is None
    assert dump(AssistantService(settings).directory()) == expected  # built as before

    # Nothing changed: the next ingestion stores it without embedding anything.
    report = AssistantService(settings, encoder_factory=raising_factory).ingest()
    assert not report.changed_anything and report.directory_seconds > 0
    assert store.read_state().generation == 1  # type: ignore[union-attr]
    stored = directory_store.load(store, 1)
    assert stored is not None and dump(stored) == expected
    again = AssistantService(settings, encoder_factory=raising_factory).ingest()
    assert again.directory_seconds == 0  # up to date: not built again

    # A directory stored by other code (its fingerprint differs) is not used, but answers
    # stay right, and the next ingestion replaces it.
    monkeypatch.setattr(directory_store, "fingerprint", lambda: "another-version")
    assert directory_store.load(store, 1) is None
    assert dump(AssistantService(settings).directory()) == expected
    AssistantService(settings, encoder_factory=raising_factory).ingest()
    assert directory_store.load(store, 1) is not None
    monkeypatch.undo()
    assert directory_store.load(store, 1) is None  # stored by "another-version"
    AssistantService(settings, encoder_factory=raising_factory).ingest()

    # Incomplete (cut off before its header) or damaged: built as before, no crash.
    collection = store.existing_collection(store.directory_name(1))
    collection.delete(ids=["page:000000"])
    assert directory_store.load(store, 1) is None
    assert dump(AssistantService(settings).directory()) == expected
    collection.delete(ids=[directory_store.HEADER_ID])
    assert not directory_store.is_current(store, 1)
    assert dump(AssistantService(settings).directory()) == expected
    collection.upsert(ids=[directory_store.HEADER_ID], embeddings=np.ones((1, 1), np.float32),
                      metadatas=[{"build": "x", "format": directory_store.FORMAT,
                                  "fingerprint": directory_store.fingerprint(),
                                  "data": "not zlib"}])
    assert directory_store.load(store, 1) is None
    assert dump(AssistantService(settings).directory()) == expected


def test_a_failing_directory_stage_does_not_stop_the_ingestion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = fresh_copy(tmp_path, "failing")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(directory_store, "write", broken)
    report = AssistantService(settings).ingest()
    assert report.added and not directory_store.is_current(IndexStore(settings), 1)
    monkeypatch.undo()
    assert len(AssistantService(settings).directory()) > 40  # built when first used


# -- incremental ---------------------------------------------------------------------------
def test_incremental_ingestion_gives_the_directory_of_a_fresh_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = fresh_copy(tmp_path, "incremental")
    AssistantService(settings).ingest()
    fiche = settings.corpus_dir / WSM_FICHE
    fiche.write_text(fiche.read_text(encoding="utf-8") + NEW_ACRONYM, encoding="utf-8")

    scanned: list[tuple[int, set[str]]] = []  # (chunks, letters) of each document scan
    real_scan = directory_store.scan_document

    def recording_scan(chunks: Any, by_first: Any, runs_of: Any = None) -> Any:
        chunks = list(chunks)
        scanned.append((len(chunks), {x for group in by_first.values() for x in group}))
        return real_scan(chunks, by_first, runs_of)

    monkeypatch.setattr(directory_store, "scan_document", recording_scan)
    report = AssistantService(settings).ingest()
    monkeypatch.undo()
    assert report.changed == [WSM_FICHE]
    # The changed document is scanned for every acronym, the 4 others only for the new one.
    assert len(scanned) == 5
    assert sorted(len(letters) for _, letters in scanned)[:4] == [1, 1, 1, 1]
    assert all(letters == {"PTD"} for _, letters in scanned if len(letters) == 1)

    fresh_settings = make_settings(settings.corpus_dir, tmp_path / "fresh-data",
                                   embedding_model="fake")
    AssistantService(fresh_settings).ingest()
    incremental = AssistantService(settings).directory()
    fresh = AssistantService(fresh_settings).directory()
    assert dump(incremental) == dump(fresh)
    ptd = incremental.find("PTD")
    assert ptd is not None and "Plateforme Travail Décent" in ptd.all_names()

    # Reverted: the acronym's letters are gone, its findings dropped; still the fresh one.
    fiche.write_text(fiche.read_text(encoding="utf-8").replace(NEW_ACRONYM, ""),
                     encoding="utf-8")
    AssistantService(settings).ingest()
    reverted = AssistantService(settings).directory()
    original = AssistantService(fresh_copy(tmp_path, "original"))
    original.ingest()
    assert dump(reverted) == dump(original.directory())


# -- kill -9 --------------------------------------------------------------------------------
STALLING_DIRECTORY = """
import os, sys, time
from pathlib import Path
import assistant.directory.storage as directory_store
real = directory_store.write
def write(store, generation, built):
    real(store, generation, built)
    Path(os.environ["MARKER"]).write_text(str(generation))
    time.sleep(300)
directory_store.write = write
from assistant.cli import main
sys.exit(main(["ingest"]))
"""


@pytest.mark.slow
def test_kill_9_after_the_new_directory_is_written_keeps_the_previous_one(
    tmp_path: Path,
) -> None:
    settings = fresh_copy(tmp_path, "killed")
    AssistantService(settings).ingest()
    before = dump(AssistantService(settings).directory())
    fiche = settings.corpus_dir / WSM_FICHE
    fiche.write_text(fiche.read_text(encoding="utf-8") + NEW_ACRONYM, encoding="utf-8")

    marker = tmp_path / "marker"
    env = {**cli_env(settings.corpus_dir, settings.data_dir), "MARKER": str(marker)}
    process = subprocess.Popen([sys.executable, "-c", STALLING_DIRECTORY], env=env,
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the ingestion never stored its directory"
            time.sleep(0.1)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    assert marker.read_text() == "2"

    SharedSystemClient.clear_system_cache()  # read what is on disk
    service = AssistantService(settings)
    assert service.store.read_state().generation == 1  # type: ignore[union-attr]
    assert directory_store.load(service.store, 2) is not None  # written, never switched to
    assert dump(service.directory()) == before
    assert not any("PTD" in o.all_names() for o in service.directory().organisations)

    report = AssistantService(settings).ingest()
    assert report.changed == [WSM_FICHE]
    after = AssistantService(settings)
    assert sorted(after.store.list_collection_names()) == [
        "assistant_g2_chunks", "assistant_g2_directory", "assistant_g2_orgs",
        "assistant_g2_units", "assistant_meta"]
    assert any("PTD" in o.all_names() for o in after.directory().organisations)
