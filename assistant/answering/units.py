"""Where a unit sits: a list item or a sentence, and its place in the document."""

from __future__ import annotations

from assistant.core.types import Unit


def is_list_item(unit: Unit) -> bool:
    """Is the unit an item of a list? Its kind says so, decided once by the chunker."""
    return unit.kind == "item"


def chunk_position(chunk_id: str) -> tuple[str, int]:
    """(document, chunk number) from an id "<document hash>-<n>"; ("", 0) for another id."""
    document, _, number = chunk_id.rpartition("-")
    return (document, int(number)) if number.isdigit() else ("", 0)


def text_order(unit: Unit) -> tuple[str, int, int]:
    return (*chunk_position(unit.passage.chunk_id), unit.index)
