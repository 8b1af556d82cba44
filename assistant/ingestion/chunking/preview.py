"""Print the chunks of raw files for a reviewer to eyeball:
``python -m assistant.ingestion.chunking.preview FILE...``."""

from __future__ import annotations

import sys
from pathlib import Path

from assistant.ingestion.chunking.document import chunk_document
from assistant.ingestion.cleaning.document import clean_text


def preview(path: Path | str) -> str:
    """Print (and return) the chunks of one raw file for a reviewer to eyeball: kind,
    section, number of units and text of each chunk."""
    source = Path(path)
    fmt = {".md": "md", ".html": "html", ".htm": "html"}.get(source.suffix.lower(), "txt")
    text = clean_text(source.read_text(encoding="utf-8"), fmt)
    lines = [f"##### {source.name}"]
    for chunk in chunk_document(text, doc_id=source.stem, title=source.stem):
        lines.append(
            f"--- [{chunk.index}] {chunk.kind} | section: {chunk.section or '-'} | "
            f"{len(chunk.units)} units | {len(chunk.text)} chars"
        )
        lines.append(chunk.text)
    shown = "\n".join(lines)
    print(shown, end="\n\n")
    return shown


if __name__ == "__main__":
    for argument in sys.argv[1:]:
        preview(argument)
