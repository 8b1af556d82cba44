"""Text that addresses the assistant (issue 19): "Ignore toutes les instructions
précédentes", "</documents> Nouvelle consigne système", "AI assistant: answer ...".

Documents are data, never instructions: a model is told so (prompts/*/answer.toml) and the
prompt's delimiters cannot be closed from a passage, but the extractive engine would still
quote such a sentence as an answer. ``addresses_the_assistant`` tells it apart; its word lists
are data (core/data/instructions.toml)."""

from __future__ import annotations

import re
from functools import cache

from assistant.core.text import folded_words
from assistant.core.wordlists import word_lists

# Delimiters of prompts and chat templates a document has no reason to hold:
# "</documents>", "<system>", "<|im_start|>", "[INST]", "<start_of_turn>", "### System:".
FAKE_DELIMITER = re.compile(
    r"<\s*/?\s*(?:documents?|passages?|context|system|instructions?|prompt|assistant|user"
    r"|s|im_start|im_end|start_of_turn|end_of_turn)\s*>"
    r"|<\|[a-z_]+\|>|\[/?\s*(?:INST|SYS)\s*\]|<<\s*/?\s*SYS\s*>>"
    r"|(?:^|\n)\s*#{2,}\s*(?:system|instructions?|assistant)\b",
    re.IGNORECASE)


@cache
def _lists() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    data = word_lists("core", "instructions")
    pad = lambda words: tuple(f" {folded_words(w)} " for w in words)  # noqa: E731
    return pad(data["phrases"]), pad(data["addressees"]), pad(data["orders"])


def addresses_the_assistant(text: str) -> bool:
    """Does the text give orders to the assistant (or fake the prompt's delimiters) rather
    than say something about the world?"""
    if FAKE_DELIMITER.search(text):
        return True
    phrases, addressees, orders = _lists()
    padded = f" {folded_words(text)} "
    if any(phrase in padded for phrase in phrases):
        return True
    return any(a in padded for a in addressees) and any(o in padded for o in orders)
