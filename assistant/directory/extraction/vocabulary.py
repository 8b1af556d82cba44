"""The directory's word lists (``data/directory.toml``) with the kinds of organisation names
share (``core/data/names.toml``), read once; no organisation is named in code."""

from __future__ import annotations

from functools import cache
from typing import Any

from assistant.core.wordlists import word_lists


@cache
def vocabulary() -> dict[str, Any]:
    """The directory's word lists, with the kinds of organisation that names share."""
    return {**word_lists("directory", "directory"),
            "organisation_words": word_lists("core", "names")["organisation_words"]}


@cache
def wordlist(key: str) -> frozenset[str]:
    """One word list of the vocabulary, as a set."""
    return frozenset(vocabulary()[key])
