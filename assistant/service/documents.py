"""Adding documents to the corpus and removing them, then re-indexing incrementally: what
``assistant add`` / ``assistant remove`` and the web Documents tab call (through
``AssistantService.add_documents`` / ``remove_documents``).

Each file gets one outcome (added, replaced, unchanged, refused and why, removed); a
file is checked exactly as the corpus scan will read it before it is copied, so a refused
file never lands in the folder. The re-index is the usual incremental one: only the new or
changed documents are embedded, and questions keep using the previous store generation
until the new one is switched in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.core.errors import AssistantError
from assistant.core.messages import message
from assistant.core.settings import Settings
from assistant.ingestion.corpus_files import (
    check_file,
    clean_name,
    close_names,
    corpus_names,
    delete_file,
    find_name,
    place_file,
)
from assistant.ingestion.pipeline import IngestReport
from assistant.ingestion.readers.base import ReadRefused

Ingest = Callable[[], IngestReport]
CHANGED = ("added", "replaced", "removed")


@dataclass
class FileOutcome:
    """What became of one file: ``status`` is "added", "replaced", "unchanged", "removed"
    or "refused" (``reason`` then is a message key, ``values`` what it shows)."""

    name: str  # as given: the uploaded or typed name
    status: str
    stored: str = ""  # its name in the corpus folder
    reason: str = ""
    values: dict[str, Any] = field(default_factory=dict)

    def line(self, lang: str) -> str:
        if self.status == "refused":
            why = message(self.reason, lang, **self.values)
            return message("doc_refused", lang, name=self.name, reason=why)
        text = message(f"doc_{self.status}", lang, name=self.stored or self.name)
        if self.stored and self.stored != self.name and self.status != "removed":
            text += " " + message("doc_saved_as", lang, original=self.name)
        return text


@dataclass
class DocumentChange:
    """The outcomes, in the order the files were given, and the re-index's report (None
    when nothing in the folder changed, so nothing was re-indexed)."""

    outcomes: list[FileOutcome]
    report: IngestReport | None = None

    @property
    def refused(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "refused"]


def upload_limit(settings: Settings) -> int:
    """Bytes one added file may have: the upload limit, and never more than the corpus
    scan reads (a larger file would be skipped at indexing)."""
    return min(settings.upload_max_bytes, settings.max_document_bytes)


def add_files(settings: Settings, files: Sequence[Path | tuple[str, Path]],
              ingest: Ingest) -> DocumentChange:
    """Check and copy each file into the corpus folder, then re-index once if any was
    added or replaced. ``files``: paths, or (name to store it under, path) pairs (an upload
    lands in a temporary file whose own name means nothing)."""
    limit = upload_limit(settings)
    outcomes: list[FileOutcome] = []
    taken: set[str] = set()
    for item in files:
        original, path = (item.name, item) if isinstance(item, Path) else item
        outcomes.append(_add_one(settings.corpus_dir, original, Path(path), limit, taken))
    changed = any(o.status in CHANGED for o in outcomes)
    return DocumentChange(outcomes, ingest() if changed else None)


def _add_one(corpus_dir: Path, original: str, path: Path, limit: int,
             taken: set[str]) -> FileOutcome:
    shown = original.replace("\\", "/").rsplit("/", 1)[-1] or original
    name = clean_name(original)
    if not name:
        return FileOutcome(shown, "refused", reason="reason_bad_name")
    name = _unused(name, taken)  # two files of one batch never overwrite each other
    if not path.is_file():
        return FileOutcome(shown, "refused", reason="reason_missing_file")
    try:
        # Judged by the extension it will have in the folder, not its temporary file's.
        check_file(path, limit, suffix=Path(name).suffix)
        if not corpus_dir.is_dir():
            raise AssistantError("corpus_missing", path=str(corpus_dir))
        status = place_file(path, corpus_dir, name)
    except ReadRefused as exc:
        return FileOutcome(shown, "refused", name, exc.reason, exc.values)
    taken.add(name)
    return FileOutcome(shown, status, name)


def _unused(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    stem, dot, suffix = name.rpartition(".")
    stem, suffix = (stem, f".{suffix}") if dot else (name, "")
    number = 2
    while f"{stem}-{number}{suffix}" in taken:
        number += 1
    return f"{stem}-{number}{suffix}"


def remove_names(settings: Settings, names: Sequence[str], titles: dict[str, str],
                 ingest: Ingest) -> DocumentChange:
    """Remove each named document (file name, its name without folder, or its title) from
    the corpus folder, then re-index once. ``titles``: the indexed documents' titles by
    name, so an indexed document whose file is already gone is dropped from the index."""
    on_disk = corpus_names(settings.corpus_dir) if settings.corpus_dir.is_dir() else []
    outcomes: list[FileOutcome] = []
    for wanted in names:
        matches = find_name(wanted, on_disk, titles)
        if not matches:
            hint = close_names(wanted, on_disk, titles)
            outcomes.append(FileOutcome(wanted, "refused", reason="reason_no_such_document",
                                        values={"names": ", ".join(hint) or "—"}))
            continue
        if len(matches) > 1:
            outcomes.append(FileOutcome(wanted, "refused", reason="reason_ambiguous_name",
                                        values={"names": ", ".join(matches)}))
            continue
        try:
            deleted = delete_file(settings.corpus_dir, matches[0])
        except ReadRefused as exc:
            outcomes.append(FileOutcome(wanted, "refused", matches[0], exc.reason, exc.values))
            continue
        if deleted or matches[0] in titles:
            outcomes.append(FileOutcome(wanted, "removed", matches[0]))
        else:
            outcomes.append(FileOutcome(wanted, "refused", reason="reason_no_such_document",
                                        values={"names": "—"}))
    changed = any(o.status in CHANGED for o in outcomes)
    return DocumentChange(outcomes, ingest() if changed else None)
