"""The sentences and list items of retrieved passages, read back from the units
collection with the vectors ingestion stored for them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from assistant.core.errors import IndexUnavailable
from assistant.core.types import Passage, Unit
from assistant.store.chroma import IndexStore, describe_failure


def load_units(store: IndexStore, generation: int, passages: Sequence[Passage]) -> list[Unit]:
    """Units of the passages in the order of their ranks, then of the text."""
    if not passages:
        return []
    by_id = {p.chunk_id: p for p in passages}
    try:
        collection = store.existing_collection(store.units_name(generation))
        where: Any = {"chunk_id": {"$in": list(by_id)}}
        got: Any = collection.get(where=where, include=["documents", "metadatas", "embeddings"])
    except IndexUnavailable:
        raise
    except Exception as exc:
        raise describe_failure(exc, store.settings) from exc
    units = [
        unit_of(by_id[str(meta["chunk_id"])], int(meta["unit_index"]), text, vector,
                str(meta.get("unit_kind") or "sentence"), int(meta.get("vectors") or 1))
        for text, meta, vector in zip(
            got["documents"], got["metadatas"], got["embeddings"], strict=True
        )
    ]
    return sorted(units, key=lambda u: (u.passage.rank, u.index))


def unit_of(passage: Passage, index: int, text: str, stored: Any, kind: str,
            vectors: int = 2) -> Unit:
    """A unit from its stored record: the pooled vector, then the unit's own (the stored
    embedding is the two side by side, ingestion.pipeline.embed_chunks). A record written
    before pipeline 9 holds the pooled vector alone (``vectors`` 1 in its metadata): it
    answers until the next ingestion re-embeds its document."""
    row = np.asarray(stored, dtype=np.float32)
    if vectors == 1:
        return Unit(passage, index, text, row, kind)
    pooled, own = np.split(row, 2)
    return Unit(passage, index, text, pooled, kind, own)
