"""Word lists a stage reads (cues, stop lists, synonyms): TOML files in the ``data/``
folder of the package that uses them, not in ``prompts/`` (which holds only what a model or
a person reads). Read once and cached."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # the ``assistant`` package


def data_path(stage: str, name: str, language: str | None = None) -> Path:
    """``assistant/<stage>/data/[<language>/]<name>.toml``."""
    folder = PACKAGE_DIR / stage / "data"
    return (folder / language if language else folder) / f"{name}.toml"


@cache
def word_lists(stage: str, name: str, language: str | None = None) -> dict[str, Any]:
    """The TOML word lists ``name`` of a stage (per language when ``language`` is given)."""
    with open(data_path(stage, name, language), "rb") as handle:
        return tomllib.load(handle)


@cache
def synonym_groups() -> tuple[frozenset[str], ...]:
    """Bilingual groups of words that ask for the same thing (core/data/synonyms.toml)."""
    return tuple(frozenset(group) for group in word_lists("core", "synonyms")["groups"])


def synonyms_of(word: str) -> frozenset[str]:
    """Other words of the folded ``word``'s synonym groups (empty when it has none)."""
    found: set[str] = set()
    for group in synonym_groups():
        if word in group:
            found |= group
    found.discard(word)
    return frozenset(found)
