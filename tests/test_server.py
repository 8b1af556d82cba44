"""Chroma in server mode (a real ``chroma run`` on loopback) must answer exactly like the
embedded store; an unreachable server must fail fast with one clear message."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import CliRunner, cli_env, free_tcp_port

from assistant.core.errors import IndexUnavailable
from assistant.core.messages import message
from assistant.core.settings import Settings
from assistant.service.assistant_service import AssistantService

# Slow: a `chroma run` server, and subprocesses of the command line.
pytestmark = [pytest.mark.server, pytest.mark.integration, pytest.mark.slow]

QUESTIONS = [
    "En quelle année Solidarité Mondiale a-t-elle été reconnue comme ONG ?",
    "Quelle est l'adresse principale de WSM ?",
    "Que fait le CIEP ?",
    "When was WSM accredited as a civil society organisation?",
    "What is the EQF?",
    "Quel est le numéro de TVA du MOC ?",  # not in the documents
]


def server_settings(corpus: Path, data: Path, port: int, **overrides: Any) -> Settings:
    return Settings(corpus_dir=corpus, data_dir=data, chroma_host="127.0.0.1",  # type: ignore[call-arg]
                    chroma_port=port, **overrides)


def snapshot(service: AssistantService) -> list[dict[str, Any]]:
    out = []
    for question in QUESTIONS:
        answer = service.ask(question)
        out.append({
            "question": question,
            "text": answer.text,
            "abstained": answer.abstained,
            "sources": [p.chunk_id for p in answer.sources],
            "citations": [(c.number, c.unit_text) for c in answer.citations],
            "scores": [p.score for p in answer.sources],
        })
    return out


def assert_same_answers(server: list[dict[str, Any]], embedded: list[dict[str, Any]]) -> None:
    for got, want in zip(server, embedded, strict=True):
        # The five retrieved passages, and the section the question names when there is one.
        assert len(got["sources"]) in (5, 6), got["question"]
        for key in ("text", "abstained", "sources", "citations"):
            assert got[key] == want[key], (got["question"], key)
        # Scores come from float32 vectors through two HNSW indexes: equal to float32 precision.
        assert got["scores"] == pytest.approx(want["scores"], abs=1e-5), got["question"]


def test_server_and_embedded_answer_alike_with_the_fake_encoder(
    chroma_server: int, corpus_dir: Path, tmp_path: Path
) -> None:
    embedded = AssistantService(Settings(corpus_dir=corpus_dir, data_dir=tmp_path / "emb",  # type: ignore[call-arg]
                                         embedding_model="fake"))
    server = AssistantService(server_settings(corpus_dir, tmp_path / "srv", chroma_server,
                                              embedding_model="fake",
                                              collection_prefix="fake_cmp"))
    emb_report, srv_report = embedded.ingest(), server.ingest()
    assert sorted(srv_report.added) == sorted(emb_report.added) and len(srv_report.added) == 5
    assert srv_report.chunks == emb_report.chunks > 0
    assert not (tmp_path / "srv" / "chroma").exists()  # nothing written locally in server mode
    names = set(server.store.list_collection_names())
    assert {"fake_cmp_meta", "fake_cmp_g1_chunks", "fake_cmp_g1_units"} <= names
    assert_same_answers(snapshot(server), snapshot(embedded))
    # Incremental logic works against the server too: a second run changes nothing.
    again = AssistantService(server.settings).ingest()
    assert not again.changed_anything and len(again.unchanged) == 5


class MemoEncoder:
    """The real model, fed from the vectors it already produced for the embedded store.

    The store is what this test compares, so the server gets exactly the embedded store's
    passage vectors instead of embedding the corpus a second time (about a minute on CPU);
    queries are still encoded live by the real model.
    """

    def __init__(self, inner: Any, memo: dict[str, np.ndarray],
                 pooled: dict[str, np.ndarray]) -> None:
        self.inner, self.memo, self.pooled, self.misses = inner, memo, pooled, 0
        self.dimension, self.name = inner.dimension, inner.name

    def encode_passages_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]
                                   ) -> tuple[np.ndarray, np.ndarray]:
        """The passages' vectors, and their units' vectors pooled from the passage's pass
        as the embedded store holds them."""
        pieces = [text[start:end] for text, own in zip(texts, spans, strict=True)
                  for start, end in own]
        self.misses += sum(p not in self.pooled for p in pieces)
        rows = [self.pooled[p] for p in pieces if p in self.pooled]
        return (self.encode_passages(texts),
                np.array(rows, dtype=np.float32).reshape(-1, self.dimension))

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.inner.encode_queries(texts))

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in texts if t not in self.memo]
        if missing:
            self.misses += len(missing)
            self.memo.update(zip(missing, self.inner.encode_passages(missing), strict=True))
        return np.vstack([np.asarray(self.memo[t], dtype=np.float32) for t in texts])


def stored_passage_vectors(service: AssistantService
                           ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The embedded store's vectors: chunk contexts' and units' own (what encode_passages
    gives), and units' pooled from their chunk (what encode_passages_with_spans gives)."""
    store = service.store
    state = store.read_state()
    assert state is not None
    chunks = store.existing_collection(store.chunks_name(state.generation)).get(
        include=["metadatas", "embeddings"])
    units = store.existing_collection(store.units_name(state.generation)).get(
        include=["documents", "embeddings"])
    memo = {str(meta["context"]): np.asarray(vector, dtype=np.float32)
            for meta, vector in zip(chunks["metadatas"], chunks["embeddings"], strict=True)}
    halves = {str(text): np.split(np.asarray(vector, dtype=np.float32), 2)
              for text, vector in zip(units["documents"], units["embeddings"], strict=True)}
    memo.update({text: own for text, (_, own) in halves.items()})
    return memo, {text: pooled for text, (pooled, _) in halves.items()}


@pytest.mark.slow
def test_server_and_embedded_answer_alike_with_the_real_model(
    chroma_server: int, real_service: AssistantService, tmp_path: Path
) -> None:
    assert real_service.settings.embedding_model == "multilingual-e5-small"
    encoder = MemoEncoder(real_service.encoder(), *stored_passage_vectors(real_service))
    settings = server_settings(real_service.settings.corpus_dir, tmp_path / "srv", chroma_server,
                               collection_prefix="real_cmp")
    assert settings.embedding_model == real_service.settings.embedding_model
    server = AssistantService(settings, encoder_factory=lambda _settings: encoder)
    report = server.ingest()
    assert len(report.added) == 5
    assert report.chunks == sum(r.chunks for _, r in real_service.documents())
    assert encoder.misses == 0  # every passage vector is the embedded store's own
    assert dict(server.documents()).keys() == dict(real_service.documents()).keys()
    server_answers, embedded_answers = snapshot(server), snapshot(real_service)
    assert_same_answers(server_answers, embedded_answers)
    # The real model retrieves the 1976 recognition for the first question.
    assert any("reconnue comme ONG en 1976" in p.text
               for p in real_service.ask(QUESTIONS[0]).sources)


# -- unreachable server ------------------------------------------------------------------
def test_unreachable_server_raises_store_unreachable_quickly(
    corpus_dir: Path, tmp_path: Path
) -> None:
    settings = server_settings(corpus_dir, tmp_path / "data", free_tcp_port(),
                               embedding_model="fake")
    started = time.monotonic()
    with pytest.raises(IndexUnavailable) as raised:
        AssistantService(settings).ask("Que fait le CIEP ?")
    assert raised.value.key == "store_unreachable"
    with pytest.raises(IndexUnavailable) as raised_ingest:
        AssistantService(settings).ingest()
    assert raised_ingest.value.key == "store_unreachable"
    assert time.monotonic() - started < 30
    assert raised.value.render("fr").startswith(
        message("store_unreachable", "fr", detail="\x00").split("\x00")[0])


def test_unreachable_server_cli_prints_one_line(
    run_cli: CliRunner, corpus_dir: Path, tmp_path: Path
) -> None:
    env = cli_env(corpus_dir, tmp_path / "data", ASSISTANT_CHROMA_HOST="127.0.0.1",
                  ASSISTANT_CHROMA_PORT=str(free_tcp_port()))
    started = time.monotonic()
    result = run_cli(["ask", "Que fait le CIEP ?"], env, timeout=60)
    assert time.monotonic() - started < 30
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(message("store_unreachable", "fr", detail="\x00").split("\x00")[0])
