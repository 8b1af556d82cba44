"""What every text encoder shares: the protocol, the model and engine names, and the span
pooling that gives each sentence its vector from its chunk's pass through the model.

Imports nothing from the other modules of this package (they all import it)."""

from __future__ import annotations

import os
import threading
from typing import Protocol, runtime_checkable

import numpy as np

DEFAULT_MODEL = "multilingual-e5-small"


FAKE_MODEL = "fake"


E5_QUERY_PROMPT = "query: "


E5_PASSAGE_PROMPT = "passage: "


THREAD_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TORCH_NUM_THREADS")


# Engines for the default model: torch (sentence-transformers), ONNX Runtime float32 (the
# same vectors, faster) or ONNX Runtime with int8 weights (faster still, cosine >= 0.998).
# int8 is the default: every question set scored as with float32 (within one question either
# way), ingestion is 1.4x faster and a question's embedding 2x (bench/RESULTS.md).
ENGINES = ("torch", "onnx", "onnx-int8")


DEFAULT_ENGINE = "onnx-int8"


ENGINE_ENV = "ASSISTANT_EMBEDDING_ENGINE"  # Settings.embedding_engine's variable


Span = tuple[int, int]  # [start, end) character offsets into a passage


class EmbeddingModelError(Exception):
    """An embedding model could not be loaded; the message is a single user-facing line."""


@runtime_checkable
class TextEncoder(Protocol):
    """Encodes texts into float32 rows of unit L2 norm, ``dimension`` columns wide."""

    dimension: int
    name: str

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed search queries (shape ``(len(texts), dimension)``)."""
        ...

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages to be searched (shape ``(len(texts), dimension)``)."""
        ...


@runtime_checkable
class SpanEncoder(Protocol):
    """An encoder that also pools vectors for pieces of each passage from the passage's own
    pass through the model ("late chunking"), instead of running every piece again."""

    def encode_passages_with_spans(
        self, texts: list[str], spans: list[list[Span]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Passage rows, and one row per span (all of text 0's spans, then text 1's...)."""
        ...


def encode_passages_and_spans(
    encoder: TextEncoder, texts: list[str], spans: list[list[Span]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectors of ``texts``, and two of each of their ``spans`` (character ranges, in the
    order given): pooled from the text's pass through the model, and embedded on its own.

    Ingestion stores both for every sentence of every passage. An encoder that can pools
    the first from the passage's token states ("late chunking", bench/RESULTS.md); the
    answer engine weighs both (the own vector placed the right sentence first more often:
    bench/QUALITY.md). An encoder that cannot pool (the fake) embeds each span once, for
    both."""
    own = _rows_or_empty(encoder, span_texts(texts, spans))
    if isinstance(encoder, SpanEncoder):
        vectors, pooled = encoder.encode_passages_with_spans(texts, spans)
        return vectors, pooled, own
    return encoder.encode_passages(texts), own, own


def span_texts(texts: list[str], spans: list[list[Span]]) -> list[str]:
    """The spans' own texts, in order (all of text 0's, then text 1's...)."""
    return [text[start:end] for text, own in zip(texts, spans, strict=True)
            for start, end in own]


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """float32 rows scaled to unit length (a zero row stays zero)."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _rows_or_empty(encoder: TextEncoder, texts: list[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, encoder.dimension), dtype=np.float32)
    return encoder.encode_passages(texts)


def pool_spans(hidden: np.ndarray, offsets: np.ndarray, spans: list[Span],
               shift: int) -> list[np.ndarray | None]:
    """Unit vectors of ``spans`` from one passage's token states.

    ``hidden``: the passage's (tokens, dimension) states, padding removed; ``offsets``:
    each token's [start, end) in the model's input, which is the passage after a prefix
    of ``shift`` characters (the e5 prompt). A span's vector is the mean of the tokens it
    overlaps plus the sequence's first and last (special) tokens, which a sentence
    embedded alone is pooled with too; None when truncation left the span no token."""
    starts, ends = offsets[:, 0], offsets[:, 1]
    real = ends > starts  # special tokens have empty offsets
    edges = np.zeros(len(hidden), dtype=bool)
    edges[[0, -1]] = True
    pooled: list[np.ndarray | None] = []
    for start, end in spans:
        covered = real & (ends > start + shift) & (starts < end + shift)
        if not covered.any():
            pooled.append(None)
            continue
        vector = hidden[covered | edges].mean(axis=0)
        pooled.append(vector / max(float(np.linalg.norm(vector)), 1e-12))
    return pooled


def fill_missing(encoder: TextEncoder, texts: list[str], spans: list[list[Span]],
                 pooled: list[np.ndarray | None]) -> np.ndarray:
    """``pooled`` as rows, the spans that got no token (None) embedded on their own."""
    pieces = span_texts(texts, spans)
    missing = [i for i, row in enumerate(pooled) if row is None]
    alone = _rows_or_empty(encoder, [pieces[i] for i in missing])
    out = np.zeros((len(pooled), encoder.dimension), dtype=np.float32)
    for i, row in enumerate(pooled):
        if row is not None:
            out[i] = row
    out[missing] = alone
    return out


def available_cpus() -> int:
    """CPUs this process may run on (respects taskset/cpuset, unlike os.cpu_count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class SerialEncoder:
    """An encoder that may not be called from two threads at once (the fake's word table,
    torch's thread settings), called by one thread at a time: the service no longer holds
    one lock over a whole question (a hung store must not serialise sessions)."""

    thread_safe = False

    def __init__(self, encoder: TextEncoder) -> None:
        self.encoder = encoder
        self.dimension = encoder.dimension
        self.name = encoder.name
        self._lock = threading.Lock()

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return self.encoder.encode_queries(texts)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return self.encoder.encode_passages(texts)

    def __getattr__(self, name: str) -> object:  # the encoder's other attributes, as they are
        if name == "encoder":
            raise AttributeError(name)
        return getattr(self.encoder, name)


class SerialSpanEncoder(SerialEncoder):
    def encode_passages_with_spans(
        self, texts: list[str], spans: list[list[Span]]
    ) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            return self.encoder.encode_passages_with_spans(texts, spans)  # type: ignore[attr-defined, no-any-return]


def one_thread_at_a_time(encoder: TextEncoder) -> TextEncoder:
    """The encoder itself when it says it is thread-safe, else it behind a lock."""
    if getattr(encoder, "thread_safe", False) or isinstance(encoder, SerialEncoder):
        return encoder
    return SerialSpanEncoder(encoder) if isinstance(encoder, SpanEncoder) else SerialEncoder(
        encoder)
