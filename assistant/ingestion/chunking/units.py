"""A text's smallest citable pieces, its units: sentences and list items, cut at clauses
when too long; always substrings of the text."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator

from assistant.core.lists import BULLET, LIST_MARK
from assistant.core.sentences import sentence_spans

MAX_UNIT_CHARS = 400




def split_units(text: str) -> list[str]:
    """Split any text into its smallest citable pieces: sentences and list items.

    Lines are hard boundaries; a bullet marker is left out of its item; an inline
    numbered list ("... : 1. a 2. b") gives one unit per number; a unit longer than
    MAX_UNIT_CHARS is cut at ";", ":", "," (then spaces). Units are substrings of text.
    """
    return [text[start:end] for start, end in unit_spans(text)]


def unit_spans(text: str, limit: int = MAX_UNIT_CHARS) -> list[tuple[int, int]]:
    return [(start, end) for start, end, _ in kinded_unit_spans(text, limit)]


def unit_kinds(text: str) -> list[str]:
    """Each unit's kind, in the order of :func:`split_units`: ITEM for the first unit after
    a list mark (a bullet, or an item number: "1. En coopérant ..."), SENTENCE otherwise."""
    return [kind for _, _, kind in kinded_unit_spans(text)]


ITEM, SENTENCE = "item", "sentence"


def kinded_unit_spans(text: str, limit: int = MAX_UNIT_CHARS) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    for start, end in _line_spans(text):
        bullet = BULLET.match(text, start, end)  # a number stays in its item
        body_start = bullet.end() if bullet else start
        for part in _numbered_item_spans(text, body_start, end):
            for sentence in sentence_spans(text, *part):
                for piece in limit_length(text, *sentence, limit):
                    opens_item = (bool(bullet) and piece[0] == body_start) or bool(
                        LIST_MARK.match(text[piece[0]:piece[1]]))
                    _append_unit(text, spans, piece, ITEM if opens_item else SENTENCE)
    return spans


def _append_unit(text: str, spans: list[tuple[int, int, str]], span: tuple[int, int],
                 kind: str) -> None:
    """Keep a unit; bare punctuation ("»") is glued to the unit before it."""
    start, end = strip_span(text, *span)
    if start >= end:
        return
    if not re.search(r"\w", text[start:end]):
        if spans and "\n" not in text[spans[-1][1] : start]:
            spans[-1] = (spans[-1][0], end, spans[-1][2])
        return
    spans.append((start, end, kind))


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _line_spans(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for line in text.split("\n"):
        yield start, start + len(line)
        start += len(line) + 1


_NUMBER_MARK = re.compile(r"(?:^|(?<=\s))(\d{1,2})[.)]\s+(?=\S)")


def _numbered_item_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut "intro : 1. a 2. b 3. c" before each number of a 1, 2, 3... sequence."""
    marks: list[int] = []
    expected = 1
    for mark in _NUMBER_MARK.finditer(text[start:end]):
        if int(mark.group(1)) == expected:
            marks.append(start + mark.start())
            expected += 1
    if len(marks) < 2:
        return [(start, end)]
    bounds = [start, *marks, end]
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if a < b]


_CUT_LEVELS = (";", ":", ",", " ")


def limit_length(
    text: str, start: int, end: int, limit: int, levels: tuple[str, ...] = _CUT_LEVELS
) -> list[tuple[int, int]]:
    """Cut an over-long span at the strongest separator available, greedily."""
    if end - start <= limit:
        return [(start, end)]
    if not levels:  # no separator left: pieces of ``limit`` characters (a loop, not a
        # recursion per piece: a long line without spaces went past Python's recursion limit)
        return [(piece, min(piece + limit, end)) for piece in range(start, end, limit)]
    separator, weaker = levels[0], levels[1:]
    pattern = r"\s+" if separator == " " else re.escape(separator) + r"(?=\s)"
    cuts = [m.end() for m in re.finditer(pattern, text[start:end])]
    cuts = [start + cut for cut in cuts if 0 < cut < end - start]
    if not cuts:
        return limit_length(text, start, end, limit, weaker)
    pieces: list[tuple[int, int]] = []
    for piece_start, piece_end in _greedy_pieces(start, end, cuts, limit):
        pieces.extend(limit_length(text, piece_start, piece_end, limit, weaker))
    return pieces


def _greedy_pieces(start: int, end: int, cuts: list[int], limit: int) -> list[tuple[int, int]]:
    """Longest pieces of at most `limit` that end at cut points; where no cut point is
    close enough, the piece runs to the next one and is left for a weaker separator."""
    pieces: list[tuple[int, int]] = []
    piece_start = start
    for cut in [*cuts, end]:
        if cut - piece_start <= limit:
            continue
        # The last cut point after piece_start, before cut and within the limit: found by
        # bisection in the sorted cuts (a scan of them all made a long line quadratic).
        last = bisect_right(cuts, min(piece_start + limit, cut - 1)) - 1
        piece_end = cuts[last] if last >= 0 and cuts[last] > piece_start else cut
        pieces.append((piece_start, piece_end))
        piece_start = piece_end
        if cut - piece_start > limit:  # still too far: an over-long piece on its own
            pieces.append((piece_start, cut))
            piece_start = cut
    if piece_start < end:
        pieces.append((piece_start, end))
    return pieces
