"""Corpus stage: find the documents, read them safely, clean them, describe them.

A file that cannot be read (permissions, binary, not UTF-8, empty after cleaning, over
the size limit, a link leading out of the folder, a scan with no text layer, a damaged
PDF/DOCX/ODT, content of another type than its name says) is reported by name and
skipped; the others go on.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from assistant.core.errors import CorpusUnavailable
from assistant.core.names import is_acronym, names_in
from assistant.core.text import detect_language
from assistant.core.types import Document, DocumentInfo
from assistant.ingestion.cleaning.document import clean_text
from assistant.ingestion.readers.base import DocumentProperties
from assistant.ingestion.readers.document import LEGACY_SUFFIXES, decode_text, read_document

# What each file extension claims to be; the content decides (ingestion/readers).
SUPPORTED_SUFFIXES = {
    ".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html",
    ".pdf": "pdf", ".docx": "docx", ".odt": "odt",
}
MANIFEST_NAME = "manifest.json"






@dataclass
class SkippedFile:
    name: str
    reason: str  # a message key: reason_unreadable, reason_binary, ...
    values: dict[str, Any] = field(default_factory=dict)  # what the reason's message shows


@dataclass
class CorpusScan:
    documents: list[Document] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def load_manifest(corpus_dir: Path) -> dict[str, dict[str, str]]:
    """Manifest entries by file name; a missing or broken manifest means guessing titles."""
    path = corpus_dir / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {entry["file"]: entry for entry in data.get("documents", [])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def list_files(corpus_dir: Path) -> list[Path]:
    if not corpus_dir.is_dir():
        raise CorpusUnavailable("corpus_missing", path=str(corpus_dir))
    return sorted(
        p for p in corpus_dir.rglob("*") if p.is_file() and not p.name.startswith(".")
        and p.name != MANIFEST_NAME and p.name.lower() != "readme.md"
    )


def decode_file(path: Path) -> str:
    """The file's text; raises ValueError with a reason key when it cannot be used."""
    return decode_text(path)


def guess_title(text: str, path: Path) -> str:
    """The first line that reads as a title: two words or more, mostly letters, not ended
    like a sentence (scraped pages open on "fbpx", "1975" or a long paragraph); else the
    first line, else the file name."""
    lines = [line.strip(" #") for line in text.splitlines() if line.strip(" #")]
    for line in lines[:TITLE_LINES]:
        letters = sum(c.isalpha() for c in line)
        if (len(line.split()) >= 2 and len(line) <= TITLE_MAX_CHARS
                and letters >= 0.6 * len(line) and not line.endswith((".", "!", "?"))):
            return line
    return lines[0][:TITLE_MAX_CHARS] if lines else path.stem


TITLE_LINES = 8  # a title is among a page's first lines
TITLE_MAX_CHARS = 120


def guess_organisation(text: str) -> str:
    """The organisation a document without a manifest entry is about: the name (an acronym
    or a name of several words) it writes most often, at least twice; ties go to the one
    written first."""
    counts = Counter(n for n in names_in(text) if is_acronym(n) or len(n.split()) > 1)
    named = [(count, -text.find(name), name) for name, count in counts.items() if count >= 2]
    return max(named)[2] if named else ""


def describe(
    path: Path, corpus_dir: Path, text: str, manifest: dict[str, dict[str, str]],
    properties: DocumentProperties | None = None,
) -> DocumentInfo:
    """The manifest's entry, else what the document says of itself (PDF, DOCX and ODT
    properties), else what its text suggests."""
    rel = path.relative_to(corpus_dir).as_posix()
    entry = manifest.get(rel, {})
    own = properties or DocumentProperties()
    return DocumentInfo(
        doc_id=rel,
        file=rel,
        title=entry.get("title") or own.title or guess_title(text, path),
        organisation=entry.get("organisation") or own.organisation or guess_organisation(text),
        # The text before the language property: software writes its own language there
        # (a French Word exports an English text as "fr-BE"); the property settles a text
        # too short or mixed to tell.
        language=(entry.get("language") or detect_language(text[:4000]) or own.language
                  or "fr"),
        original_file=entry.get("original_file", ""),
    )


def content_hash(info: DocumentInfo, text: str, pipeline_version: str) -> str:
    """Decides re-ingestion: the cleaned text, its description and the pipeline version."""
    digest = hashlib.sha256(pipeline_version.encode())
    digest.update(json.dumps(info.__dict__, sort_keys=True).encode())
    digest.update(text.encode())
    return digest.hexdigest()


def is_outside(path: Path, corpus_dir: Path) -> bool:
    """True when ``path`` (a link, or a name with "..") leads out of the corpus folder."""
    return not path.resolve().is_relative_to(corpus_dir.resolve())


def outside_manifest_entries(manifest: dict[str, dict[str, str]],
                             corpus_dir: Path) -> list[SkippedFile]:
    """Manifest entries naming a file out of the folder ("../x", "/etc/x"): never read,
    reported so a person sees the manifest is wrong."""
    return [
        SkippedFile(name, "reason_outside") for name in sorted(manifest)
        if PurePosixPath(name).is_absolute() or ".." in PurePosixPath(name).parts
        or is_outside(corpus_dir / name, corpus_dir)
    ]


def unusable_reason(path: Path, corpus_dir: Path, max_bytes: int | None) -> SkippedFile | None:
    """Why a file must not be read at all (checked before any byte of it is)."""
    name = path.relative_to(corpus_dir).as_posix()
    if path.is_symlink() and is_outside(path, corpus_dir):
        return SkippedFile(name, "reason_outside")
    if SUPPORTED_SUFFIXES.get(path.suffix.lower()) is None:
        legacy = path.suffix.lower() in LEGACY_SUFFIXES
        return SkippedFile(name, "reason_legacy_format" if legacy else "reason_unsupported")
    try:
        size = path.stat().st_size
    except OSError:
        return SkippedFile(name, "reason_unreadable")
    if max_bytes is not None and size > max_bytes:
        return SkippedFile(name, "reason_too_large", {"size": size, "limit": max_bytes})
    return None


def scan_corpus(corpus_dir: Path, pipeline_version: str,
                max_bytes: int | None = None) -> CorpusScan:
    """Read and clean every supported file; collect the ones that must be skipped."""
    manifest = load_manifest(corpus_dir)
    scan = CorpusScan(skipped=outside_manifest_entries(manifest, corpus_dir))
    for path in list_files(corpus_dir):
        name = path.relative_to(corpus_dir).as_posix()
        unusable = unusable_reason(path, corpus_dir, max_bytes)
        if unusable is not None:
            scan.skipped.append(unusable)
            continue
        try:
            read = read_document(path)  # the content decides the type, not the extension
            text = clean_text(read.text, read.fmt)
        except ValueError as exc:
            scan.skipped.append(SkippedFile(name, str(exc.args[0]), getattr(exc, "values", {})))
            continue
        if not text.strip():
            scan.skipped.append(SkippedFile(name, "reason_empty"))
            continue
        info = describe(path, corpus_dir, text, manifest, read.properties)
        scan.documents.append(Document(info, text, content_hash(info, text, pipeline_version)))
    if not scan.documents and not scan.skipped:
        raise CorpusUnavailable("corpus_empty", path=str(corpus_dir))
    return scan
