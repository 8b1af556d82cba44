"""What the web chat keeps per session (its exchanges) and what its handlers return to the
components (``ChatView``, ``DirectoryView``, ``FeedbackView``)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from assistant.core.types import Answer
from ui.render import chat_markdown, document_links


@dataclass
class Exchange:
    """One question of a session and the reply shown for it."""

    question: str
    reply: str
    answer: Answer | None = None  # None when the question was refused or failed


Session = list[Exchange]


@dataclass(frozen=True)
class FeedbackTarget:
    """The answer the feedback panel speaks about, and its stored row."""

    exchange: int
    feedback_id: int


class ChatView(NamedTuple):
    """Outputs of the chat handlers, in the order ``build_app`` wires them."""

    question: str  # the input box, emptied once asked
    chatbot: list[dict[str, str]]
    session: Session
    sources: str
    start: dict[str, Any]  # start screen visibility
    feedback_status: str
    feedback_target: FeedbackTarget | None


class DirectoryView(NamedTuple):
    """Outputs of the directory tab's refresh: the town choices of the current index, the
    cards."""

    town: dict[str, Any]
    cards: str


class FeedbackView(NamedTuple):
    status: str
    target: FeedbackTarget | None
    correction: dict[str, Any]  # the corrected-answer box shows after a thumbs down


def history_of(session: Sequence[Exchange]) -> list[tuple[str, str]]:
    """[user, assistant] pairs for the service. The standalone question is kept, as the
    command line does, so later follow-ups still know what "it" refers to."""
    return [(e.answer.standalone_question or e.question, e.answer.text)
            for e in session if e.answer is not None]


def chat_messages(session: Sequence[Exchange]) -> list[dict[str, str]]:
    """Chatbot messages: user and assistant alternate, every text escaped."""
    messages = []
    for exchange in session:
        messages.append({"role": "user", "content": chat_markdown(exchange.question)})
        messages.append({"role": "assistant", "content": chat_markdown(
            exchange.reply, links=document_links(exchange.answer))})
    return messages


def growing_prefixes(text: str) -> Iterator[str]:
    """The text word by word, each prefix longer than the last."""
    for match in re.finditer(r"\s*\S+", text):
        yield text[: match.end()]


def latest_answered(session: Sequence[Exchange]) -> int:
    """Index of the last exchange that got an answer (not an error), or -1."""
    return next((i for i in range(len(session) - 1, -1, -1) if session[i].answer), -1)
