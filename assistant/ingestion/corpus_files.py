"""Putting files into the corpus folder and taking them out, safely: names cleaned, a file
checked (read, type by content, text left after cleaning) before it lands, written under a
hidden temporary name then renamed into place (a reader never sees half a file), never
anywhere but directly in the folder."""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import shutil
import unicodedata
import uuid
from collections.abc import Iterable
from pathlib import Path

from assistant.ingestion.cleaning.document import clean_text
from assistant.ingestion.corpus import MANIFEST_NAME, SUPPORTED_SUFFIXES, is_outside, list_files
from assistant.ingestion.readers.base import ReadRefused, ReadResult
from assistant.ingestion.readers.document import LEGACY_SUFFIXES, read_document

NAME_MAX_CHARS = 100  # of the stem; the extension is kept
RESERVED_NAMES = {MANIFEST_NAME, "readme.md"}  # the manifest, and what list_files leaves out
_UNSAFE = re.compile(r"[^\w\-.]+")  # anything but letters, digits, "_", "-", "."
_DASHES = re.compile(r"-{2,}")


def clean_name(original: str) -> str:
    """A safe file name for ``original`` (a name as typed or uploaded, maybe with a path):
    its last part only, Unicode NFC, spaces and other signs as "-", no leading dot or
    dash, the extension in lower case; "" when nothing usable is left.
    "../../Rapport annuel 2024 (final).PDF" -> "Rapport-annuel-2024-final.pdf"."""
    name = unicodedata.normalize("NFC", original.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = _DASHES.sub("-", _UNSAFE.sub("-", stem)).strip("-._")[:NAME_MAX_CHARS].strip("-._")
    suffix = _UNSAFE.sub("", suffix).lower()
    if not stem:
        return ""
    return f"{stem}.{suffix}" if suffix else stem


def check_file(path: Path, max_bytes: int, suffix: str | None = None) -> ReadResult:
    """Read ``path`` as the corpus scan will (as a file ending in ``suffix`` if given):
    ReadRefused when it would be skipped (too large, unsupported, content of another type,
    damaged, a scan, empty once cleaned)."""
    suffix = (path.suffix if suffix is None else suffix).lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ReadRefused("reason_legacy_format" if suffix in LEGACY_SUFFIXES
                          else "reason_unsupported")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReadRefused("reason_unreadable") from exc
    if size > max_bytes:
        raise ReadRefused("reason_upload_too_large", size=size, limit=max_bytes)
    read = read_document(path, suffix)
    if not clean_text(read.text, read.fmt).strip():
        raise ReadRefused("reason_empty")
    return read


def same_content(a: Path, b: Path) -> bool:
    def digest(path: Path) -> bytes:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").digest()

    try:
        return a.stat().st_size == b.stat().st_size and digest(a) == digest(b)
    except OSError:
        return False


def place_file(source: Path, corpus_dir: Path, name: str) -> str:
    """Copy ``source`` to ``corpus_dir/name``: "added", "replaced" or "unchanged" (the
    same bytes are there already). ReadRefused for a name that is not a plain file of the
    folder, or when the copy cannot be written (the folder is left as it was)."""
    if name.casefold() in RESERVED_NAMES:
        raise ReadRefused("reason_reserved_name")
    target = corpus_dir / name
    if target.parent.resolve() != corpus_dir.resolve() or (
            target.exists() and not target.is_file()):
        raise ReadRefused("reason_bad_name")
    existed = target.is_file() and not target.is_symlink()
    if existed and same_content(source, target):
        return "unchanged"
    temporary = corpus_dir / f".upload-{uuid.uuid4().hex}.part"  # hidden: never scanned
    try:
        shutil.copyfile(source, temporary)
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)  # a link in the way is replaced, never followed
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ReadRefused("reason_write_failed", detail=exc.strerror or str(exc)) from exc
    return "replaced" if existed else "added"


def corpus_names(corpus_dir: Path) -> list[str]:
    """The corpus files by their names relative to the folder (the documents' ids)."""
    return [p.relative_to(corpus_dir).as_posix() for p in list_files(corpus_dir)]


def find_name(wanted: str, names: Iterable[str], titles: dict[str, str]) -> list[str]:
    """The corpus names ``wanted`` designates: its exact name, else its file name without
    the folder, else the same ignoring case, else a document title (``titles``: name ->
    title); several when it is ambiguous, none when nothing matches."""
    names = sorted(set(names) | set(titles))
    wanted = wanted.strip()
    folded = wanted.casefold()
    for matches in (
        [n for n in names if n == wanted],
        [n for n in names if n.rsplit("/", 1)[-1] == wanted],
        [n for n in names if folded in (n.casefold(), n.rsplit("/", 1)[-1].casefold())],
        [n for n in names if titles.get(n, "").casefold() == folded],
    ):
        if matches:
            return matches
    return []


def close_names(wanted: str, names: Iterable[str], titles: dict[str, str]) -> list[str]:
    """Up to three names (or titles' names) that look like ``wanted``, for a hint."""
    names = sorted(set(names) | set(titles))
    by_key = {n.casefold(): n for n in names}
    by_key.update({t.casefold(): n for n, t in titles.items() if t})
    wanted = wanted.strip().casefold()
    found = [k for k in by_key if wanted and wanted in k]
    found += difflib.get_close_matches(wanted, list(by_key), n=3, cutoff=0.5)
    return list(dict.fromkeys(by_key[k] for k in found))[:3]


def delete_file(corpus_dir: Path, name: str) -> bool:
    """Remove ``corpus_dir/name`` (a link is removed, never what it points to); False
    when there was no such file. ReadRefused for a name leading out of the folder."""
    path = corpus_dir / name
    if ".." in Path(name).parts or Path(name).is_absolute() or (
            not path.is_symlink() and path.exists() and is_outside(path, corpus_dir)):
        raise ReadRefused("reason_outside")
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise ReadRefused("reason_write_failed", detail=exc.strerror or str(exc)) from exc
    return True
