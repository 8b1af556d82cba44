"""Generated answers: prompt the model with the numbered passages, stream its text, then
check every sentence's citation (assistant/citations.py).

Whatever goes wrong (server down, past the timeout, garbage, nothing supported) ends in
the extractive answer with a one-line notice: the model can only ever improve the wording
of what the passages say, never replace the extractive engine's guarantees.
"""

from __future__ import annotations

import dataclasses
import logging
import queue
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.llms import LLM

from assistant.answering.matching import supported, text_stems
from assistant.core.lists import BULLET
from assistant.core.messages import LANGUAGES, message
from assistant.core.text import STOPWORDS, fold, question_language, tokenize_words
from assistant.core.types import Answer, Citation, History, Passage, Unit
from assistant.generation.citations import (
    DEFAULT_THRESHOLDS,
    CheckedText,
    Encode,
    Evidence,
    Thresholds,
    check_answer,
    content_words,
)
from assistant.generation.prompting import (
    answer_messages,
    prompt_version,
    rewrite_messages,
)

logger = logging.getLogger(__name__)

MAX_DRAFT_CHARS = 6000  # a model that rambles past this is cut off (and checked as is)


@dataclass(frozen=True)
class Delta:
    """A piece of the model's text as it streams (a draft: the checked answer follows)."""

    text: str


Event = Delta | Answer


class GenerationFailed(Exception):
    """The model gave no usable text; ``key`` names the notice in messages.toml."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def stream_text(llm: LLM, messages: Sequence[ChatMessage], timeout_s: float) -> Iterator[str]:
    """The model's text piece by piece; GenerationFailed on an error or past the deadline
    (the client's own read timeout covers a server that goes silent)."""
    start = time.monotonic()
    size = 0
    try:
        for response in llm.stream_chat(list(messages)):
            if time.monotonic() - start > timeout_s:
                raise GenerationFailed("llm_timeout")
            piece = response.delta or ""
            size += len(piece)
            yield piece
            if size > MAX_DRAFT_CHARS:
                return
    except GenerationFailed:
        raise
    except Exception as exc:  # the model's boundary: any failure means "use the fallback"
        # info, not warning: the user gets the one-line notice, not a log line too
        logger.info("LLM call failed: %s: %s", type(exc).__name__, exc)
        raise GenerationFailed("llm_timeout" if is_timeout(exc) else "llm_unavailable") from exc


def is_timeout(exc: BaseException) -> bool:
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"TimeoutError", "APITimeoutError", "TimeoutException", "ReadTimeout",
                         "Empty"}) or isinstance(exc, TimeoutError | queue.Empty)


def evidence_of(sources: Sequence[Passage], units: Sequence[Unit]) -> list[Evidence]:
    by_chunk: dict[str, list[tuple[str, np.ndarray]]] = {}
    for unit in units:
        by_chunk.setdefault(unit.passage.chunk_id, []).append((unit.text, unit.vector))
    return [Evidence(p, by_chunk.get(p.chunk_id, [])) for p in sources]


def says_not_found(text: str) -> bool:
    folded = fold(text)
    return any(fold(message("not_found", lang)).rstrip(".") in folded for lang in LANGUAGES)


def fallback(extractive: Answer, key: str, checked: CheckedText | None = None) -> Answer:
    return dataclasses.replace(
        extractive, notice=message(key, extractive.language),
        checked=[c.to_dict() for c in checked.checks] if checked else [],
    )


def generated_answer(llm: LLM, question: str, extractive: Answer, units: Sequence[Unit],
                     encode: Encode, *, is_list: bool,
                     max_sentences: int, timeout_s: float,
                     thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Iterator[Event]:
    """Stream the model's draft as Deltas, then yield the checked Answer (or the
    extractive one with a notice)."""
    language = extractive.language
    sources = extractive.sources
    messages = answer_messages(question, language, sources, is_list=is_list,
                               max_sentences=max_sentences)
    draft = ""
    try:
        for piece in stream_text(llm, messages, timeout_s):
            draft += piece
            if piece:
                yield Delta(piece)
    except GenerationFailed as exc:
        yield fallback(extractive, exc.key)
        return
    yield checked_answer(draft, extractive, units, encode, thresholds)


def checked_answer(draft: str, extractive: Answer, units: Sequence[Unit],
                   encode: Encode, thresholds: Thresholds) -> Answer:
    draft = without_echo(draft, extractive.sources)
    if not re.search(r"\w", draft):
        return fallback(extractive, "llm_garbage")
    if says_not_found(draft):
        return fallback(extractive, "llm_no_answer")
    checked = check_answer(draft, evidence_of(extractive.sources, units), encode, thresholds)
    if not checked.supported_sentences or not checked.text:
        return fallback(extractive, "llm_unsupported", checked)
    question = extractive.standalone_question
    if not anchored(checked, extractive) or (
            question and relevance(checked.text, question)
            < relevance(extractive.text, question) - 0.1):
        # True sentences that answer something else: the extractive answer answers better.
        return fallback(extractive, "llm_off_topic", checked)
    if misses_list_items(checked.text, extractive.text):
        return fallback(extractive, "llm_incomplete_list", checked)
    by_number = {p.rank: p for p in extractive.sources}
    citations = [Citation(n, by_number[n], text)
                 for n, texts in sorted(checked.supports.items()) for text in texts]
    return dataclasses.replace(
        extractive, text=checked.text, citations=citations, engine="llm",
        notice="", checked=[c.to_dict() for c in checked.checks],
    )


def without_echo(draft: str, sources: Sequence[Passage]) -> str:
    """The draft without the prompt's own lines repeated back (delimiters, passage
    headings, the question line): a small base model often echoes its prompt, and a
    heading, though "supported" by its passage, answers nothing."""
    heads = {bare_line(h) for p in sources
             for h in (p.title, p.section, f"{p.title} — {p.section or '-'}") if h}
    kept = []
    for line in draft.splitlines():
        bare = bare_line(line)
        if ECHO.match(bare) or bare in heads:
            continue
        kept.append(line)
    return "\n".join(kept)


ECHO = re.compile(r"^(<\s*/?\s*documents\s*>|question\s*:|reponse\s*:|answer\s*:)")


def bare_line(line: str) -> str:
    """A line folded, without citation markers, bullets and edge dashes or colons."""
    line = re.sub(r"\[\s*\d+\s*\]", " ", fold(line))
    return re.sub(r"\s+", " ", line).strip(" -–—:•*")


def list_items(text: str) -> list[str]:
    """The bulleted lines of a text, without their bullets (numbered lines are quoted text)."""
    marks = (BULLET.match(line.lstrip()) for line in text.splitlines())
    return [mark.string[mark.end():].strip() for mark in marks if mark]


def misses_list_items(generated: str, extractive: str) -> bool:
    """Does the generated answer leave out items of the extractive answer's list? (At
    least 80% of them must be there: most of each item's content words.)"""
    items = list_items(extractive)
    if len(items) < 2:
        return False
    stems = text_stems(generated)
    found = 0
    for item in items:
        words = content_words(item)
        found += not words or sum(supported(w, stems) for w in words) >= 0.5 * len(words)
    return found < 0.8 * len(items)


def anchored(checked: CheckedText, extractive: Answer) -> bool:
    """Does a kept sentence rest on a sentence the extractive engine chose as the answer?
    Then the model says (at least) what the extractive answer says, in its own words; a
    model that answers from other sentences, however true, might not answer the question,
    and the dev-set accuracy must never fall below the extractive engine's."""
    chosen = {c.unit_text for c in extractive.citations}
    return any(c.support_text in chosen for c in checked.checks
               if c.verdict in ("supported", "recited"))


def relevance(text: str, question: str) -> float:
    """Share of the question's content words that the text holds (stems, synonyms, cognates)."""
    words = content_words(question)
    stems = text_stems(text)
    return sum(supported(w, stems) for w in words) / len(words) if words else 1.0


def rewrite_follow_up(llm: LLM, question: str, history: History, language: str,
                      timeout_s: float) -> str | None:
    """The model's standalone version of a follow-up, when it passes the checks: one line,
    the question's language, the question's words kept, and every word it adds taken
    from the conversation (a rewrite may resolve "it", never invent a subject)."""
    try:
        text = "".join(stream_text(llm, rewrite_messages(question, history, language),
                                   timeout_s))
    except GenerationFailed:
        return None
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return None
    rewrite = lines[0].strip(" \"'«»")
    if len(rewrite) > 300 or question_language(rewrite, language) != language:
        return None
    asked = set(tokenize_words(question))
    known = asked | {w for turn in history for w in tokenize_words(" ".join(turn))}
    words = tokenize_words(rewrite)
    kept = len(asked & set(words)) / max(1, len(asked))
    if kept < 0.5 or any(w not in known for w in words if w not in STOPWORDS and len(w) > 2):
        return None
    return rewrite


__all__ = ["Delta", "Event", "GenerationFailed", "generated_answer", "prompt_version",
           "rewrite_follow_up", "stream_text"]
