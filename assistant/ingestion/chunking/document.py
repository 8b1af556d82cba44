"""One cleaned document into its chunks (the kinds of chunk: ``assistant.ingestion.chunking``)."""

from __future__ import annotations

import re

from assistant.core.types import Chunk
from assistant.ingestion.chunking.blocks import Block, parse_blocks
from assistant.ingestion.chunking.packing import structured_bodies, window_bodies
from assistant.ingestion.chunking.segments import segments_of
from assistant.ingestion.chunking.units import split_units, unit_kinds


def chunk_document(
    text: str, *, doc_id: str, title: str, max_chars: int = 1200, window_sentences: int = 5
) -> list[Chunk]:
    """Chunk one cleaned document (the kinds of chunk: the package docstring)."""
    blocks = parse_blocks(text)
    if not blocks:
        return []
    if _is_unstructured(blocks, max_chars):
        bodies = [("", "window", body) for body in window_bodies(text, max_chars, window_sentences)]
    else:
        bodies = structured_bodies(segments_of(blocks, max_chars // 3), max_chars)
    bodies = [body for body in bodies if re.search(r"\w", body[2])]  # punctuation only
    return [
        Chunk(doc_id, index, title, section, kind, body, tuple(split_units(body)),
              tuple(unit_kinds(body)))
        for index, (section, kind, body) in enumerate(bodies)
    ]


def _is_unstructured(blocks: list[Block], max_chars: int) -> bool:
    """No heading, no list, and paragraphs that are few and long (or one big line)."""
    if any(block.kind != "para" for block in blocks):
        return False
    total = sum(len(block.text) for block in blocks)
    return total > max_chars and (len(blocks) == 1 or total / len(blocks) > max_chars)
