"""The real llama.cpp server (``assistant llm serve``, xllamacpp, Gemma 3 270M, 1 thread) on
a free loopback port, with its own unscripted text: the command itself, a server stopped
mid-answer, and the model's real draft streamed into the web chat and checked.

Gemma 3 270M is a small base model without a chat template (the server falls back to
ChatML): its text is poor, which is what the citation checker is for."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CliRunner, cli_env, free_tcp_port, ingested_copy, make_settings
from llamacpp_server import LlamaCppProcess, packaged_model
from test_llm import QUESTION_FR, words_share

from assistant.core.messages import message
from assistant.core.types import Answer
from assistant.generation.citations import split_claims
from assistant.generation.generate import Delta
from assistant.service.assistant_service import AssistantService

pytestmark = pytest.mark.slow

NOTICES = {message(k, "fr") for k in ("llm_garbage", "llm_no_answer", "llm_unsupported",
                                      "llm_off_topic", "llm_incomplete_list")}
KEPT = ("supported", "recited", "kept_no_fact")


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    settings = ingested_copy(tmp_path_factory, "llm-llamacpp")
    yield settings.corpus_dir, settings.data_dir


def service_for(indexed: tuple[Path, Path], url: str, **overrides: Any) -> AssistantService:
    corpus, data = indexed
    options: dict[str, Any] = {"llm_timeout_s": 120.0, **overrides}
    return AssistantService(make_settings(corpus, data, embedding_model="fake",
                                          llm_provider="openai", llm_base_url=url, **options))


def extractive(indexed: tuple[Path, Path], question: str = QUESTION_FR) -> str:
    corpus, data = indexed
    return AssistantService(make_settings(corpus, data, embedding_model="fake")).ask(question).text


# -- the command -------------------------------------------------------------------------------
def test_llm_serve_serves_the_gguf_file_and_stops_on_sigterm(tmp_path: Path) -> None:
    import json
    import urllib.request

    model = packaged_model()
    server = LlamaCppProcess(model, free_tcp_port(), tmp_path / "serve.log")
    try:
        with urllib.request.urlopen(f"{server.base_url}/models", timeout=10) as response:
            listed = json.load(response)
        assert [m["id"] for m in listed["data"]] == [model.stem]
        request = urllib.request.Request(
            f"{server.base_url}/chat/completions", method="POST",
            headers={"Content-Type": "application/json"},
            data=json.dumps({"messages": [{"role": "user", "content": "Bonjour"}],
                             "max_tokens": 4}).encode())
        with urllib.request.urlopen(request, timeout=60) as response:
            reply = json.load(response)
        assert reply["object"] == "chat.completion" and reply["usage"]["completion_tokens"] > 0
    finally:
        code = server.stop()
    log = server.log()
    assert code == 0, log
    started = message("llm_serve_started", "fr", url=server.base_url, model=model.name)
    assert started in log and message("llm_serve_stopped", "fr") in log
    assert "Traceback" not in log


def test_llm_serve_says_why_it_cannot_start(tmp_path: Path, run_cli: CliRunner) -> None:
    env = cli_env(tmp_path / "corpus", tmp_path / "data")
    missing = run_cli(["llm", "serve", "--model", str(tmp_path / "none.gguf"), "--port",
                       str(free_tcp_port())], env, timeout=60)
    assert missing.returncode == 2
    lines = missing.stderr.strip().splitlines()
    assert len(lines) == 1 and "none.gguf" in lines[0], missing.stderr
    assert lines[0].startswith(message("llm_model_missing", "fr", detail="").split(":")[0])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = run_cli(["llm", "serve", "--model", str(packaged_model()), "--port", str(port)],
                       env, timeout=120)
    assert busy.returncode == 2
    assert busy.stderr.strip().startswith(
        message("llm_serve_failed", "fr", port=port, detail="").split(":")[0]), busy.stderr
    assert "Traceback" not in busy.stderr


# -- a server that goes away ---------------------------------------------------------------------
@pytest.mark.parametrize("how", ["terminate", "kill"])
def test_a_server_stopped_mid_answer_gives_the_notice_and_the_extractive_answer(
        indexed: tuple[Path, Path], tmp_path: Path, how: str) -> None:
    server = LlamaCppProcess(packaged_model(), free_tcp_port(), tmp_path / "serve.log")
    try:
        # Unscripted: the base model writes until max_new_tokens (no stop of its own).
        service = service_for(indexed, server.base_url, llm_max_new_tokens=2000)
        events = service.ask_stream(QUESTION_FR)
        drafts = []
        stopped_at = None
        for event in events:
            if isinstance(event, Delta):
                drafts.append(event.text)
                if stopped_at is None:
                    stopped_at = time.monotonic()
                    server.process.terminate() if how == "terminate" else server.process.kill()
                continue
            answer = event
        assert stopped_at is not None, "the server sent no text before it was stopped"
        assert time.monotonic() - stopped_at < 20
    finally:
        if server.process.poll() is None:
            server.kill()
    assert isinstance(answer, Answer)
    assert answer.notice == message("llm_unavailable", "fr"), (answer.notice, "".join(drafts))
    assert answer.engine == "extractive" and answer.text == extractive(indexed)


# -- the model's own text ----------------------------------------------------------------------
def test_the_real_draft_is_written_aside_and_only_checked_sentences_are_shown(
        indexed: tuple[Path, Path], tmp_path: Path, llamacpp_server: LlamaCppProcess) -> None:
    from assistant.service.feedback import FeedbackStore
    from ui.app import ChatUI

    service = service_for(indexed, llamacpp_server.base_url, llm_max_new_tokens=120)
    ui = ChatUI(service, FeedbackStore(tmp_path / "f.sqlite3"), stream_delay=0)
    views = list(ui.respond(QUESTION_FR, [], "fr"))
    shown = [v.chatbot[-1]["content"] for v in views[1:-1]]
    writing = [s for s in shown if s.startswith("*Le modèle de langue rédige")]
    assert len(writing) > 3, shown  # the chat followed the server's stream, word count only
    final = views[-1].session[-1]
    answer = final.answer
    assert answer is not None and final.reply.endswith(answer.text)
    # What was streamed is the start of the reply as the chat finally shows it (citations
    # numbered 1..n in the order cited, as the sources panel).
    final_shown = views[-1].chatbot[-1]["content"]
    assert all(final_shown.startswith(s) for s in shown
               if s not in writing and s != message("ui_thinking", "fr"))
    assert answer.checked, (answer.notice, shown[-1])  # the model wrote checkable sentences
    if answer.engine == "llm":
        for check in answer.checked:
            if check["verdict"] not in KEPT:
                assert str(check["sentence"]).strip()[:40] not in final.reply
        by_number = {p.rank: p for p in answer.sources}
        for claim in split_claims(answer.text):
            for number in claim.cited:
                assert words_share(claim.text, by_number[number].text) >= 0.9, claim
    else:  # nothing of the draft survives: the extractive answer, with its one-line notice
        assert answer.notice in NOTICES
        assert any(c["verdict"] not in KEPT for c in answer.checked)
        assert answer.text == extractive(indexed)
        assert final.reply.startswith(f"*{answer.notice}*")
