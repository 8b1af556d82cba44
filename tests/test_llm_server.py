"""The openai provider against a real HTTP server on loopback that speaks the OpenAI
chat-completions protocol (streamed server-sent events), with scripted replies: faithful,
wrongly cited, off-topic, too slow, garbage, and no server at all.

The tests whose reply is text run twice: against the tests' scripted server, and (slow)
against the real llama.cpp server (``assistant llm serve``, Gemma 3 270M) forced by a
grammar to write the same text (tests/llamacpp_server.py). Protocol faults (not JSON, HTTP
503, control characters) only the scripted server can produce."""

from __future__ import annotations

import contextlib
import json
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, CliRunner, cli_env, free_tcp_port, ingested_copy, make_settings
from llamacpp_server import ScriptingProxy
from llm_fakes import FakeOpenAIServer, Reply, passages_in, user_text
from test_llm import QUESTION_FR, copy_script, half_wrong_script, words_share

from assistant.core.messages import message
from assistant.generation.citations import split_claims
from assistant.generation.generate import Delta
from assistant.service.assistant_service import AssistantService


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    settings = ingested_copy(tmp_path_factory, "llm-server")
    yield settings.corpus_dir, settings.data_dir


class Served:
    """A running server for one test: its base URL and the requests it received."""

    def __init__(self, base_url: str, requests: list[dict[str, Any]]) -> None:
        self.base_url = base_url
        self.requests = requests


TextScript = Callable[[dict[str, Any]], str]
Serve = Callable[..., contextlib.AbstractContextManager[Served]]


@pytest.fixture(params=["scripted", pytest.param("llamacpp", marks=pytest.mark.slow)])
def serve(request: pytest.FixtureRequest) -> Serve:
    """``with serve(script) as server:`` a server whose replies are ``script(body)``: the
    scripted one, or llama.cpp writing that text under a grammar (behind a recording proxy)."""
    @contextlib.contextmanager
    def scripted(script: TextScript, delay_s: float = 0.0) -> Iterator[Served]:
        with FakeOpenAIServer(lambda body: Reply(script(body), delay_s=delay_s)) as server:
            yield Served(server.base_url, server.requests)

    @contextlib.contextmanager
    def llamacpp(script: TextScript, delay_s: float = 0.0) -> Iterator[Served]:
        assert not delay_s, "llama.cpp cannot be told to wait"
        with ScriptingProxy(request.getfixturevalue("llamacpp_server").base_url,
                            script) as proxy:
            yield Served(proxy.base_url, proxy.requests)

    return scripted if request.param == "scripted" else llamacpp


def service_for(indexed: tuple[Path, Path], url: str, **overrides: Any) -> AssistantService:
    corpus, data = indexed
    options: dict[str, Any] = {"llm_timeout_s": 5.0, **overrides}
    return AssistantService(make_settings(
        corpus, data, embedding_model="fake", llm_provider="openai", llm_base_url=url,
        llm_model="scripted-model", llm_api_key="sk-test", **options))


def extractive(indexed: tuple[Path, Path], question: str = QUESTION_FR) -> str:
    corpus, data = indexed
    return AssistantService(make_settings(corpus, data, embedding_model="fake")).ask(question).text


@pytest.mark.slow  # starts an HTTP server
def test_streamed_reply_is_checked_and_the_request_carries_the_passages(
        indexed: tuple[Path, Path], serve: Serve) -> None:
    with serve(lambda body: half_wrong_script(body["messages"])) as server:
        service = service_for(indexed, server.base_url, llm_timeout_s=120.0)
        events = list(service.ask_stream(QUESTION_FR))
    answer = events[-1]
    deltas = [e for e in events if isinstance(e, Delta)]
    assert len(deltas) > 3  # the reply arrived in pieces, as the server streamed it
    request = server.requests[-1]
    assert request["path"].endswith("/chat/completions")
    body = request["body"]
    assert body["stream"] is True and body["model"] == "scripted-model"
    assert body["temperature"] == 0.0 and body["max_tokens"] == 300
    assert request["headers"].get("Authorization") == "Bearer sk-test"
    sent = passages_in(user_text(body["messages"]))
    assert [p.number for p in sent] == [s.rank for s in answer.sources]
    for source, passage in zip(answer.sources, sent, strict=True):
        assert source.text.strip()[:100] in passage.text
    # Half the draft's citations were wrong: each was re-cited or removed.
    assert any(c["verdict"] in ("recited", "removed_unsupported") for c in answer.checked)
    by_number = {p.rank: p for p in answer.sources}
    assert answer.engine == "llm"
    for claim in split_claims(answer.text):
        for number in claim.cited:
            assert words_share(claim.text, by_number[number].text) >= 0.9, claim


@pytest.mark.slow  # starts an HTTP server
def test_off_topic_reply_gives_the_extractive_answer(indexed: tuple[Path, Path],
                                                     serve: Serve) -> None:
    off_topic = ("Paris est la capitale de la France [1]. La tour Eiffel mesure 330 mètres [2]. "
                 "Le football se joue à onze [3].")
    with serve(lambda body: off_topic) as server:
        answer = service_for(indexed, server.base_url, llm_timeout_s=120.0).ask(QUESTION_FR)
    assert answer.text == extractive(indexed)
    assert answer.notice == message("llm_unsupported", "fr")
    assert [c["verdict"] for c in answer.checked] == ["removed_unsupported"] * 3


@pytest.mark.parametrize("reply, notice", [
    pytest.param(Reply(raw=b"<html>502 Bad Gateway</html>"), "llm_garbage", id="not-json"),
    pytest.param(Reply(raw=b'{"error": "overloaded"}', status=503), "llm_unavailable",
                 id="http-503"),
    pytest.param(Reply("\u0000\u0001 ]]]] [[[[ \ufffd\ufffd"), "llm_garbage", id="garbage-text"),
])
@pytest.mark.slow  # starts an HTTP server
def test_garbage_from_the_server_gives_a_notice_and_the_extractive_answer(
        indexed: tuple[Path, Path], reply: Reply, notice: str) -> None:
    with FakeOpenAIServer(lambda body: reply) as server:
        answer = service_for(indexed, server.base_url).ask(QUESTION_FR)
    assert answer.text == extractive(indexed)
    assert answer.notice == message(notice, "fr")


def test_server_down_gives_a_notice_quickly(indexed: tuple[Path, Path]) -> None:
    url = f"http://127.0.0.1:{free_tcp_port()}/v1"  # nothing listens there
    start = time.monotonic()
    answer = service_for(indexed, url).ask(QUESTION_FR)
    assert time.monotonic() - start < 5
    assert answer.notice == message("llm_unavailable", "fr")
    assert answer.text == extractive(indexed)


@pytest.mark.slow  # starts an HTTP server
def test_a_server_slower_than_the_timeout_is_abandoned(indexed: tuple[Path, Path],
                                                       serve: Serve,
                                                       request: pytest.FixtureRequest) -> None:
    if "llamacpp" in request.node.name:  # slow by its own work: a reply of ~1,000 tokens
        server_cm = serve(lambda body: " ".join([copy_script(body["messages"])] * 12))
    else:
        server_cm = serve(lambda body: copy_script(body["messages"]), delay_s=4.0)
    with server_cm as server:
        start = time.monotonic()
        answer = service_for(indexed, server.base_url, llm_timeout_s=1.0).ask(QUESTION_FR)
        elapsed = time.monotonic() - start
    assert elapsed < 3.0, elapsed
    assert answer.notice == message("llm_timeout", "fr")
    assert answer.text == extractive(indexed)


# -- the command line ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cli_indexed(tmp_path_factory: pytest.TempPathFactory, run_cli: CliRunner) -> dict[str, str]:
    base = tmp_path_factory.mktemp("llm-cli")
    shutil.copytree(CORPUS, base / "corpus")
    env = cli_env(base / "corpus", base / "data")
    assert run_cli(["ingest"], env).returncode == 0
    return env


@pytest.mark.slow  # starts `assistant` subprocesses
def test_cli_json_shows_the_checks_and_stream_shows_the_draft(
        cli_indexed: dict[str, str], run_cli: CliRunner, serve: Serve) -> None:
    with serve(lambda body: half_wrong_script(body["messages"])) as server:
        env = {**cli_indexed, "ASSISTANT_LLM_PROVIDER": "openai",
               "ASSISTANT_LLM_BASE_URL": server.base_url, "ASSISTANT_LLM_TIMEOUT_S": "120"}
        as_json = run_cli(["ask", "--json", QUESTION_FR], env)
        streamed = run_cli(["ask", "--stream", QUESTION_FR], env)
    assert as_json.returncode == 0, as_json.stderr
    record = json.loads(as_json.stdout)
    assert record["engine"] == "llm" and record["checked"]
    assert {"sentence", "cited", "verdict", "lexical", "embedding"} <= set(record["checked"][0])
    removed = [c["sentence"] for c in record["checked"] if c["verdict"] == "removed_unsupported"]
    assert streamed.returncode == 0, streamed.stderr
    assert streamed.stderr.startswith(message("llm_draft", "fr"))  # the draft, as it came
    draft = streamed.stderr
    for check in record["checked"]:
        assert check["sentence"].split()[0] in draft
    for sentence in removed:
        assert sentence not in streamed.stdout
    assert "Traceback" not in streamed.stderr + as_json.stderr


@pytest.mark.slow  # starts `assistant` subprocesses
def test_cli_with_the_server_down_answers_with_one_notice_line(
        cli_indexed: dict[str, str], run_cli: CliRunner) -> None:
    env = {**cli_indexed, "ASSISTANT_LLM_PROVIDER": "openai",
           "ASSISTANT_LLM_BASE_URL": f"http://127.0.0.1:{free_tcp_port()}/v1"}
    result = run_cli(["ask", QUESTION_FR], env)
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == message("llm_unavailable", "fr")
    assert "23 associations" in result.stdout
