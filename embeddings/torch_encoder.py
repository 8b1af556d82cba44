"""Any sentence-transformers model on torch (the fallback engine of the default model)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from embeddings.base import (
    THREAD_ENV_VARS,
    EmbeddingModelError,
    Span,
    available_cpus,
    fill_missing,
    one_line,
    pool_spans,
    unit_rows,
)

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

def _limit_torch_threads() -> None:
    """Avoid oversubscription: torch may count host cores a container cannot use.

    Only ever lowers the count and leaves it alone when the user chose one via env vars,
    so an explicit ``torch.set_num_threads`` or ``OMP_NUM_THREADS`` is respected.
    """
    import torch

    if any(os.environ.get(var) for var in THREAD_ENV_VARS):
        return
    cpus = available_cpus()
    if torch.get_num_threads() > cpus:
        torch.set_num_threads(cpus)


def _load_sentence_transformer(model_name_or_path: str, device: str) -> SentenceTransformer:
    """Load strictly from disk or the local cache; any failure becomes EmbeddingModelError."""
    from sentence_transformers import SentenceTransformer

    try:
        return SentenceTransformer(model_name_or_path, device=device, local_files_only=True)
    except Exception as exc:  # hub, IO, config and torch errors all mean "cannot load"
        raise EmbeddingModelError(
            f"cannot load embedding model {model_name_or_path!r} offline "
            f"(not a model folder and not in the local cache): {one_line(exc)}"
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

