"""Where a unit sits: a list item or a sentence, and its place in the document."""

from __future__ import annotations

from assistant.core.types import Unit, chunk_position


def is_list_item(unit: Unit) -> bool:
    """Is the unit an item of a list? Its kind says so, decided once by the chunker."""
    return unit.kind == "item"


def text_order(unit: Unit) -> tuple[str, int, int]:
    return (*chunk_position(unit.passage.chunk_id), unit.index)
