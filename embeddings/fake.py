"""A model-free encoder for fast unit tests: a hashed bag of words (and their prefixes), so
that texts sharing words are close. Registered through the real loading path ('fake')."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

import numpy as np

from embeddings.base import FAKE_MODEL

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

