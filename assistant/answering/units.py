"""Where a unit sits: a list item or a sentence, and its place in the document."""

from __future__ import annotations

from assistant.core.lists import LIST_MARK, is_list_mark
from assistant.core.types import Unit


def is_list_item(unit: Unit) -> bool:
    """Is the unit an item of a list (a bullet or a number opens its line in the passage)?"""
    if LIST_MARK.match(unit.text):
        return True  # "1. En coopérant ..." inside a paragraph
    text = unit.passage.text
    position = text.find(unit.text)
    if position < 0:
        return False
    line_start = text.rfind("\n", 0, position) + 1
    return is_list_mark(text[line_start:position])


def chunk_position(chunk_id: str) -> tuple[str, int]:
    """(document, chunk number) from an id "<document hash>-<n>"; ("", 0) for another id."""
    document, _, number = chunk_id.rpartition("-")
    return (document, int(number)) if number.isdigit() else ("", 0)


def text_order(unit: Unit) -> tuple[str, int, int]:
    return (*chunk_position(unit.passage.chunk_id), unit.index)
