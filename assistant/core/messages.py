"""User-facing messages, read from ``prompts/<lang>/messages.toml`` (French and English)."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
LANGUAGES = ("fr", "en")


@cache
def _catalogue(lang: str) -> dict[str, Any]:
    with open(PROMPTS_DIR / lang / "messages.toml", "rb") as handle:
        return tomllib.load(handle)


def message(key: str, lang: str = "fr", **values: Any) -> str:
    """The message ``key`` in ``lang`` (falls back to French), formatted with ``values``."""
    catalogue = _catalogue(lang if lang in LANGUAGES else "fr")
    return str(catalogue[key]).format(**values)


@cache
def shared_file(name: str) -> dict[str, Any]:
    """A language-independent TOML resource of ``prompts/`` (synonyms, themes, directory)."""
    with open(PROMPTS_DIR / f"{name}.toml", "rb") as handle:
        return tomllib.load(handle)


@cache
def synonym_groups() -> tuple[frozenset[str], ...]:
    """Bilingual groups of words that ask for the same thing (prompts/synonyms.toml)."""
    return tuple(frozenset(group) for group in shared_file("synonyms")["groups"])


def synonyms_of(word: str) -> frozenset[str]:
    """Other words of the folded ``word``'s synonym groups (empty when it has none)."""
    found: set[str] = set()
    for group in synonym_groups():
        if word in group:
            found |= group
    found.discard(word)
    return frozenset(found)


@cache
def prompt_file(lang: str, name: str) -> dict[str, Any]:
    """Any other TOML resource of ``prompts/<lang>/`` (word lists used by the answer engine)."""
    with open(PROMPTS_DIR / lang / f"{name}.toml", "rb") as handle:
        return tomllib.load(handle)
