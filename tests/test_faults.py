"""Faults (issue 6): a killed ingestion, a Chroma server that goes away and comes back, a
corrupted or foreign data folder, two ingestions at once, a locked or full feedback database.

Each ends with nothing lost and a message a person understands; the message texts are
checked, not only the error types.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import chromadb
import pytest
from chromadb.api.shared_system_client import SharedSystemClient
from conftest import (
    CliRunner,
    cli_env,
    free_tcp_port,
    ingested_copy,
    make_settings,
    start_chroma,
    stop_process,
)

from assistant import cli
from assistant.core.errors import FeedbackUnavailable, IndexUnavailable
from assistant.core.messages import message
from assistant.core.settings import Settings
from assistant.service.assistant_service import AssistantService
from assistant.service.feedback import FeedbackStore
from assistant.store.chroma import IndexStore, ingestion_lock, set_aside_corrupted_store
from ui.handlers import ChatUI

WSM_FICHE = "wsm-fiche-organisation.txt"
MOC = "moc-partenariats-reseaux.txt"
ADDRESS_QUESTION = "Quelle est l'adresse principale de WSM ?"
ANSWERED = "Qui soutient les collectifs de sans-papiers ?"


def prefix(key: str, lang: str = "fr", **values: Any) -> str:
    """The fixed start of a message whose {detail} varies."""
    return message(key, lang, detail="\x00", **values).split("\x00")[0]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def one_line_failure(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def collection_names(settings: Settings) -> list[str]:
    SharedSystemClient.clear_system_cache()  # read what is on disk, not this process' cache
    return sorted(IndexStore(settings).list_collection_names())


# A real `assistant ingest` that stops once one document is in the new generation (before
# the switch of generations), until the file GO exists: the test acts at a known point.
STALLING_INGEST = """
import os, sys, time
from pathlib import Path
import assistant.ingestion.pipeline as ingest
real = ingest.write_document
def write_document(doc, *args, **kwargs):
    real(doc, *args, **kwargs)
    Path(os.environ["MARKER"]).write_text(doc.info.doc_id)
    deadline = time.monotonic() + 300
    while not Path(os.environ["GO"]).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
ingest.write_document = write_document
from assistant.cli import main
sys.exit(main(["ingest"]))
"""


@contextmanager
def stalled_ingest(env: dict[str, str], workdir: Path) -> Iterator[subprocess.Popen[str]]:
    """Start the stalling ingestion and wait until it is mid-way; always reaped."""
    marker = workdir / "marker"
    process = subprocess.Popen(
        [sys.executable, "-c", STALLING_INGEST],
        env={**env, "MARKER": str(marker), "GO": str(workdir / "go")},
        cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the ingestion never reached its first document"
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


# -- kill -9 during ingestion ------------------------------------------------------------------
@pytest.mark.slow
def test_kill_9_mid_ingestion_keeps_the_previous_index_and_the_next_run_completes(
    run_cli: CliRunner, corpus_dir: Path, tmp_path: Path
) -> None:
    env = cli_env(corpus_dir, tmp_path / "data")
    assert run_cli(["ingest"], env).returncode == 0
    before = run_cli(["ask", "--json", ADDRESS_QUESTION], env)
    assert before.returncode == 0, before.stderr
    edit(corpus_dir / WSM_FICHE, "Chaussée de Haecht 579", "Avenue Zorglub 12")
    edit(corpus_dir / MOC, "Réseau Financité", "Réseau Financité (Namur)")

    with stalled_ingest(env, tmp_path) as process:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    # The previous generation still answers, exactly as before the kill.
    during = run_cli(["ask", "--json", ADDRESS_QUESTION], env)
    assert during.returncode == 0, during.stderr
    assert json.loads(during.stdout) == json.loads(before.stdout)
    assert "Zorglub" not in during.stdout and "Haecht" in during.stdout

    # The next run completes (the dead process' lock went with it) and clears the orphans.
    after = run_cli(["ingest"], env)
    assert after.returncode == 0, after.stderr
    assert message("ingest_waiting", "fr", seconds=300) not in after.stderr
    assert after.stdout.startswith(message("ingest_done", "fr", added=0, changed=2, removed=0,
                                           unchanged=3, chunks=0, seconds=0).split(";")[0])
    settings = make_settings(corpus_dir, tmp_path / "data", embedding_model="fake")
    assert collection_names(settings) == [
        "assistant_g2_chunks", "assistant_g2_directory", "assistant_g2_orgs",
        "assistant_g2_units", "assistant_meta"]
    answered = run_cli(["ask", "--json", ADDRESS_QUESTION], env)
    assert "Zorglub" in answered.stdout


# -- the Chroma server stops mid-session ---------------------------------------------------------
@pytest.mark.slow
@pytest.mark.server
@pytest.mark.integration
def test_chroma_server_stopped_mid_session_says_so_and_answers_again_when_back(
    corpus_dir: Path, tmp_path: Path
) -> None:
    port, db, log = free_tcp_port(), tmp_path / "db", tmp_path / "server.log"
    server = start_chroma(db, port, log)
    try:
        settings = make_settings(corpus_dir, tmp_path / "data", chroma_host="127.0.0.1",
                                 chroma_port=port, embedding_model="fake")
        service = AssistantService(settings)
        service.ingest()
        ui = ChatUI(service, FeedbackStore(tmp_path / "feedback.sqlite3"), stream_delay=0)
        first = service.ask(ANSWERED)
        assert first.citations

        stop_process(server)
        started = time.monotonic()
        with pytest.raises(IndexUnavailable) as raised:
            service.ask(ANSWERED)
        assert time.monotonic() - started < 15  # fails fast, no hanging request
        assert raised.value.key == "store_unreachable"
        text = raised.value.render("fr")
        assert text.startswith(prefix("store_unreachable")) and "démarré" in text
        # The web chat shows the same line and keeps the conversation as it was.
        view = list(ui.respond(ANSWERED, [], "en"))[-1]
        assert view.chatbot[-1]["content"].startswith(prefix("store_unreachable", "en"))
        assert view.session[-1].answer is None

        server = start_chroma(db, port, log)  # same data, same port: the same service resumes
        again = service.ask(ANSWERED)
        assert again.text == first.text
        assert [p.chunk_id for p in again.sources] == [p.chunk_id for p in first.sources]
        resumed = list(ui.respond(ANSWERED, view.session[:-1], "fr"))[-1]
        assert resumed.session[-1].answer is not None
        assert resumed.session[-1].reply == first.text
    finally:
        stop_process(server)


# -- corrupted or foreign data folder ---------------------------------------------------------
def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
             settings: Settings, *args: str) -> tuple[int, str, str]:
    """The real command line, in this process (fast), with the settings as environment."""
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ASSISTANT_EMBEDDING_MODEL", "fake")
    SharedSystemClient.clear_system_cache()
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def foreign_sqlite(path: Path) -> None:
    """Another application's SQLite database where Chroma's should be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        connection.execute("INSERT INTO invoices (total) VALUES (12.5)")
    connection.close()


def chroma_is_a_file(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True)
    settings.chroma_path.write_text("not a folder", encoding="utf-8")


def foreign_database(settings: Settings) -> None:
    foreign_sqlite(settings.chroma_path / "chroma.sqlite3")


GARBLED = '{"format": "other-app", "v": 9}'


def garbled_state(settings: Settings) -> None:
    """A valid store whose state record another program (or version) wrote."""
    AssistantService(settings).ingest()
    store = IndexStore(settings)
    meta = store.client.get_or_create_collection(store.meta_name, embedding_function=None)
    meta.upsert(ids=["state"], documents=[GARBLED],
                embeddings=[[0.0]])  # type: ignore[arg-type]


@pytest.mark.parametrize("damage", [chroma_is_a_file, foreign_database, garbled_state])
def test_corrupted_or_foreign_data_folder_names_the_rebuild_and_loses_nothing(
    damage: Any, fake_settings: Settings, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    damage(fake_settings)
    SharedSystemClient.clear_system_cache()
    before = {p.relative_to(fake_settings.data_dir): p.read_bytes()
              for p in fake_settings.data_dir.rglob("*") if p.is_file()}

    code, out, err = run_main(monkeypatch, capsys, fake_settings, "ask", ANSWERED)
    assert (code, out) == (2, "")
    assert err.startswith(prefix("index_corrupted")) and err.count("\n") == 1
    assert "assistant ingest --rebuild" in err

    code, out, err = run_main(monkeypatch, capsys, fake_settings, "ingest", "--rebuild")
    assert code == 0, err
    asides = sorted(fake_settings.data_dir.glob("chroma.corrupt-*"))
    assert len(asides) == 1 and str(asides[0]) in err
    if damage is garbled_state:  # Chroma touches its own files on open: compare contents
        aside_store = chromadb.PersistentClient(path=str(asides[0]))
        state = aside_store.get_collection("assistant_meta").get(ids=["state"])
        assert state["documents"] == [GARBLED]
        assert aside_store.get_collection("assistant_g1_chunks").count() > 0
    else:  # everything that was there is kept aside, byte for byte
        for name, raw in before.items():
            if name.parts[0] == "chroma":
                assert asides[0].joinpath(*name.parts[1:]).read_bytes() == raw, name

    code, out, err = run_main(monkeypatch, capsys, fake_settings, "ask", ANSWERED)
    assert code == 0, err
    assert out.strip()


def test_foreign_chroma_collections_are_left_alone(
    fake_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A store another application uses: "no index yet", then an ingestion that adds ours
    beside theirs and deletes none of it."""
    other = IndexStore(fake_settings).client.create_collection("crm_contacts",
                                                                embedding_function=None)
    other.add(ids=["c1"], documents=["Jeanne"], embeddings=[[0.1, 0.2]])  # type: ignore[arg-type]
    store = IndexStore(fake_settings)
    with pytest.raises(IndexUnavailable) as raised:
        AssistantService(fake_settings).ask(ANSWERED)
    assert raised.value.render("fr") == message("index_missing", "fr")
    AssistantService(fake_settings).ingest()
    assert store.client.get_collection("crm_contacts").get()["documents"] == ["Jeanne"]


# -- two ingestions at once ------------------------------------------------------------------------
@pytest.mark.slow
def test_a_second_ingestion_waits_for_the_first_and_the_index_stays_whole(
    run_cli: CliRunner, corpus_dir: Path, tmp_path: Path
) -> None:
    env = cli_env(corpus_dir, tmp_path / "data")
    with stalled_ingest(env, tmp_path) as first:
        second_run = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "ingest"], env=env, cwd=tmp_path,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert second_run.stderr is not None
        waiting = second_run.stderr.readline()  # blocks until the second one says it waits
        (tmp_path / "go").touch()  # only then does the first one go on
        first_out, first_err = first.communicate(timeout=120)
        second_out, second_err = second_run.communicate(timeout=120)
    assert first.returncode == 0, first_err
    assert first_out.startswith(message("ingest_done", "fr", added=5, changed=0, removed=0,
                                        unchanged=0, chunks=0, seconds=0).split(";")[0])
    # The second waited, said so, then found nothing left to do.
    assert second_run.returncode == 0, second_err
    assert waiting.rstrip("\n") == message("ingest_waiting", "fr", seconds=300)
    assert second_err == "" and "Traceback" not in first_err
    assert second_out.startswith("Index à jour : 5 document(s)")
    settings = make_settings(corpus_dir, tmp_path / "data", embedding_model="fake")
    assert collection_names(settings) == [
        "assistant_g1_chunks", "assistant_g1_directory", "assistant_g1_orgs",
        "assistant_g1_units", "assistant_meta"]
    service = AssistantService(settings)
    state = service.store.read_state()
    assert state is not None and len(state.documents) == 5
    chunks = service.store.existing_collection(service.store.chunks_name(1)).count()
    assert chunks == sum(r.chunks for r in state.documents.values())


def test_ingestion_refuses_clearly_when_another_holds_the_lock_too_long(
    corpus_dir: Path, tmp_path: Path
) -> None:
    settings = make_settings(corpus_dir, tmp_path / "data", embedding_model="fake",
                             ingest_wait_seconds=0.3)
    waited: list[bool] = []
    with ingestion_lock(settings):
        with pytest.raises(IndexUnavailable) as raised:
            AssistantService(settings).ingest(on_wait=lambda: waited.append(True))
        # A rebuild never moves the store from under a running ingestion either.
        settings.chroma_path.mkdir(parents=True, exist_ok=True)
        with pytest.raises(IndexUnavailable):
            set_aside_corrupted_store(settings)
        assert settings.chroma_path.is_dir()
    assert waited == [True]
    assert raised.value.render("en") == message(
        "ingest_busy", "en", path=settings.data_dir / "ingest.lock", seconds=0)
    assert AssistantService(settings).ingest().added  # free again: it runs


# -- feedback database locked or full -----------------------------------------------------------
@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return ingested_copy(tmp_path_factory, "faults-feedback")


def test_locked_feedback_database_refuses_the_vote_clearly_and_the_chat_answers(
    indexed: Settings, tmp_path: Path
) -> None:
    store = FeedbackStore(tmp_path / "feedback.sqlite3", timeout=0.2)
    ui = ChatUI(AssistantService(indexed), store, stream_delay=0)
    session = list(ui.respond(ANSWERED, [], "fr"))[-1].session
    target = ui.thumbs_down(session, "", "", None, "fr").target
    assert target is not None

    locked = message("feedback_locked", "fr", detail="database is locked")
    holder = sqlite3.connect(store.path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process writing, for longer than we wait
    try:
        # A refused comment stays in its boxes: nothing typed is lost.
        assert ui.send_comment(target, "à garder", "1974", "fr") == (locked, "à garder", "1974")
        # The chat keeps answering while votes cannot be stored.
        session = list(ui.respond(ANSWERED, session, "fr"))[-1].session
        assert session[-1].answer is not None and len(session) == 2
        refused = ui.thumbs_up(session, "", "", target, "fr")
        assert refused.status == locked and refused.target == target
    finally:
        holder.rollback()
        holder.close()
    # The same clicks, once the database is free, store everything.
    assert ui.send_comment(target, "à garder", "1974", "fr")[0] == message(
        "ui_feedback_updated", "fr")
    saved = ui.thumbs_up(session, "", "", target, "fr")
    assert saved.status == message("ui_feedback_saved", "fr")
    assert [(r.vote, r.comment, r.corrected_answer) for r in store.rows()] == [
        (-1, "à garder", "1974"), (1, "", "")]


class FullDiskStore(FeedbackStore):
    """The real store on a database SQLite may not grow (max_page_count): SQLITE_FULL."""

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with super()._connect() as connection:
            pages = connection.execute("PRAGMA page_count").fetchone()[0]
            connection.execute(f"PRAGMA max_page_count = {pages}")
            yield connection


def test_full_feedback_database_refuses_the_vote_clearly_and_keeps_earlier_ones(
    indexed: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "feedback.sqlite3"
    earlier = FeedbackStore(path).add(question="q ?", answer="a", vote=1)
    full = FullDiskStore(path)
    ui = ChatUI(AssistantService(indexed), full, stream_delay=0)
    session = list(ui.respond(ANSWERED, [], "en"))[-1].session
    session[-1].answer.text = "x" * 200_000  # type: ignore[union-attr]  # needs new pages
    refused = ui.thumbs_down(session, "", "", None, "en")
    assert refused.status == message("feedback_full", "en",
                                     detail="database or disk is full")
    assert "administrator" in refused.status and refused.target is None
    assert [r.id for r in FeedbackStore(path).rows()] == [earlier]  # nothing lost
    with pytest.raises(FeedbackUnavailable):
        full.add(question="q ?", answer="y" * 200_000, vote=-1)


def test_unusable_feedback_database_does_not_stop_the_chat(
    indexed: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "feedback.sqlite3"
    path.write_bytes(b"garbage, not sqlite " * 512)
    store = FeedbackStore(path)  # the app starts anyway
    ui = ChatUI(AssistantService(indexed), store, stream_delay=0)
    session = list(ui.respond(ANSWERED, [], "fr"))[-1].session
    assert session[-1].answer is not None
    refused = ui.thumbs_up(session, "", "", None, "fr")
    assert refused.status.startswith(prefix("feedback_unavailable"))
    assert path.read_bytes() == b"garbage, not sqlite " * 512
