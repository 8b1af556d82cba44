"""Prompts for the language model, read from ``prompts/<lang>/answer.toml`` and rendered
strictly: a template that lacks a variable it is given, or asks for one it is not given,
is an error (tests render every prompt of both languages)."""

from __future__ import annotations

import re
import string
from collections.abc import Sequence

from llama_index.core.base.llms.types import ChatMessage, MessageRole

from assistant.core.messages import message, prompt_file
from assistant.core.types import Passage

PROMPT_FILE = "answer"
# Every template of answer.toml and the variables it takes.
TEMPLATE_VARIABLES: dict[str, frozenset[str]] = {
    "system": frozenset({"not_found"}),
    "user": frozenset({"passages", "question", "instruction"}),
    "passage": frozenset({"number", "title", "section", "text"}),
    "instruction_answer": frozenset({"max_sentences"}),
    "instruction_list": frozenset(),
    "answer_cue": frozenset(),
    "rewrite_system": frozenset(),
    "rewrite_user": frozenset({"history", "question"}),
    "history_turn": frozenset({"user", "assistant"}),
}
# The passages' delimiter: a passage cannot close it early and speak as the prompt.
DELIMITER = re.compile(r"<\s*/?\s*documents\s*>", re.IGNORECASE)


class PromptError(ValueError):
    """A template and its variables disagree."""


def template_fields(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field is not None}


def render(language: str, name: str, **values: object) -> str:
    template = str(prompt_file(language, PROMPT_FILE)[name])
    fields = template_fields(template)
    missing, unused = fields - set(values), set(values) - fields
    if missing or unused:
        raise PromptError(f"{language}/{PROMPT_FILE}.toml [{name}]: missing {sorted(missing)}, "
                          f"unused {sorted(unused)}")
    return template.format(**values)


def prompt_version(language: str) -> int:
    return int(prompt_file(language, PROMPT_FILE)["version"])


def as_data(text: str) -> str:
    """Passage text with the delimiter tags removed, so it stays inside the data block."""
    return DELIMITER.sub(" ", text)


def answer_messages(question: str, language: str, passages: Sequence[Passage], *,
                    is_list: bool, max_sentences: int) -> list[ChatMessage]:
    """System rules, then the numbered passages (delimited, as data) and the question."""
    blocks = "\n\n".join(
        render(language, "passage", number=p.rank, title=as_data(p.title),
               section=as_data(p.section or "-"), text=as_data(p.text))
        for p in passages
    )
    instruction = (render(language, "instruction_list") if is_list else
                   render(language, "instruction_answer", max_sentences=max_sentences))
    user = render(language, "user", passages=blocks, question=as_data(question),
                  instruction=instruction)
    return [
        ChatMessage(role=MessageRole.SYSTEM,
                    content=render(language, "system", not_found=message("not_found", language))),
        ChatMessage(role=MessageRole.USER,
                    content=f"{user}\n{render(language, 'answer_cue')}"),
    ]


def rewrite_messages(question: str, history: Sequence[tuple[str, str]],
                     language: str) -> list[ChatMessage]:
    turns = "\n".join(render(language, "history_turn", user=as_data(u), assistant=as_data(a))
                      for u, a in history)
    return [
        ChatMessage(role=MessageRole.SYSTEM, content=render(language, "rewrite_system")),
        ChatMessage(role=MessageRole.USER,
                    content=render(language, "rewrite_user", history=turns,
                                   question=as_data(question))),
    ]
