"""What a person or a model reads: user-facing messages (``prompts/<lang>/messages.toml``) and
the language model's templates (``prompts/<lang>/answer.toml``), in French and English."""

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
def prompt_file(lang: str, name: str) -> dict[str, Any]:
    """A TOML file of ``prompts/<lang>/`` (messages, the model's templates)."""
    with open(PROMPTS_DIR / lang / f"{name}.toml", "rb") as handle:
        return tomllib.load(handle)
