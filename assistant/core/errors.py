"""Errors that carry a user-facing message key, so every interface prints one clear line."""

from __future__ import annotations

from typing import Any

from assistant.core.messages import message


class AssistantError(Exception):
    """An expected failure with a translated, one-line message (never a traceback)."""

    exit_code = 2

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def render(self, lang: str = "fr") -> str:
        return message(self.key, lang, **self.values)


class BadQuestion(AssistantError):
    """The question cannot be answered as given (empty, too long, other language)."""


class IndexUnavailable(AssistantError):
    """The index is missing, corrupted, locked or its server unreachable."""


class CorpusUnavailable(AssistantError):
    """The corpus folder is missing or holds nothing readable."""


class FeedbackUnavailable(AssistantError):
    """A vote cannot be stored (feedback database locked, full or unusable); the chat goes on."""
