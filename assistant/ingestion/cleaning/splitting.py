"""Lists flattened by scrapers split back into one item per line: "intro • a • b", dash
lists glued to the previous item ("- a)- B- C"), and questions and answers run together
("Q: How many staff do we have? A: We have around 400 staff Q: ...")."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from assistant.core.lists import INLINE_BULLET

# "item one)- Item two": a dash glued to the previous word, then a capitalised item.
_GLUED_DASH_ITEM = re.compile(r"(?<=[^\s-])-\s+(?=[A-ZÀ-ÖØ-Þ«\"“])")


def flat_map(split: Callable[[str], list[str]], lines: Iterable[str]) -> list[str]:
    return [piece for line in lines for piece in split(line)]


def split_inline_bullets(line: str) -> list[str]:
    """Inline bullets: "intro • a • b" on one line becomes "intro", "• a", "• b"."""
    if "•" not in line:
        return [line]
    head, *items = INLINE_BULLET.split(line)
    pieces = [head] if head.strip() else []
    return pieces + [f"• {item.strip()}" for item in items if item.strip(" ,;")]


def split_glued_dash_items(line: str) -> list[str]:
    """A dash list flattened by the scraper ("- a)- B- C") becomes one item per line."""
    if not re.match(r"^\s*-\s", line):
        return [line]
    first, *rest = _GLUED_DASH_ITEM.split(line.strip())
    return [first, *(f"- {item}" for item in rest)]


# "Q:", "A:", "R :", "Question :", "Réponse :", "Answer:" opening a question or its answer.
_QA_MARK = re.compile(r"(?:(?<=\s)|^)(?=(?:Q|A|R|Question|Réponse|Answer)\s?:\s+\S)")
_QUESTION_MARK = re.compile(r"(?:^|\s)(?:Q|Question)\s?:\s")
_ANSWER_MARK = re.compile(r"(?:^|\s)(?:A|R|Réponse|Answer)\s?:\s")
_EMPTY_MARK = re.compile(r"^(?:Q|A|R|Question|Réponse|Answer)\s?:$")  # a quiz left blank


def split_inline_questions(line: str) -> list[str]:
    """A flattened FAQ ("Q: How many staff? A: Around 400 staff Q: Where? A: ...") becomes
    one question or answer per line, so that an answer without a full stop ("400 staff")
    is not read as one sentence with the next question. Only a line holding both a question
    and an answer mark, each with its colon ("A. Smith" is an initial)."""
    if not (_QUESTION_MARK.search(line) and _ANSWER_MARK.search(line)):
        return [line]
    pieces = [piece.strip() for piece in _QA_MARK.split(line)]
    return [piece for piece in pieces if piece and not _EMPTY_MARK.match(piece)]
