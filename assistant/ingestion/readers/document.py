"""One file -> its text and properties (``read_document``), the type decided by content."""

from __future__ import annotations

import hashlib
import threading
import zipfile
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path

from assistant.ingestion.readers.base import (
    DocumentProperties,
    ReadRefused,
    ReadResult,
    usable_title,
)
from assistant.ingestion.readers.office import read_docx, read_odt
from assistant.ingestion.readers.pdf import read_pdf
from assistant.ingestion.readers.sniff import HEAD_BYTES, SUFFIXES, TEXT_FORMATS, content_kind

# A DOCX or ODT is a zip: one that unpacks past this is refused before any part is parsed.
UNPACKED_LIMIT = 200_000_000
LEGACY_SUFFIXES = {".doc", ".xls", ".ppt", ".rtf", ".wpd"}
# How a refusal names what a file really is (the same words in both languages).
KIND_LABELS = {
    "pdf": "PDF", "docx": "DOCX (Word)", "odt": "ODT (OpenDocument)", "text": "TXT/MD/HTML",
    "opendocument": "ODS/ODP (OpenDocument)", "office": "XLSX/PPTX", "zip": "ZIP",
    "ole": "DOC/XLS/PPT", "rtf": "RTF", "image": "PNG/JPEG/GIF/TIFF",
    "archive": "GZIP/7Z/RAR", "damaged_zip": "ZIP",
}


# What PDF, DOCX and ODT files read to, by content: a re-index (every upload is one) and the
# check before an upload is copied would otherwise parse every PDF of the corpus again
# (~40 ms a page here). Refusals are not kept: they are cheap, or worth trying again.
READ_CACHE_SIZE = 256
_read_cache: OrderedDict[tuple[bytes, str], ReadResult] = OrderedDict()
_read_cache_lock = threading.Lock()


def read_document(path: Path, suffix: str | None = None) -> ReadResult:
    """The file's text in a format ``clean_text`` takes, with the properties it states.

    Raises ReadRefused (a ValueError) naming why the file cannot be used: its extension is
    not read here, its content is another type than its name says, it is damaged, a scan
    with no text layer, protected by a password, or not UTF-8 text. ``suffix``: the
    extension to judge it by, when ``path`` is a temporary copy under another name."""
    suffix = (path.suffix if suffix is None else suffix).lower()
    claimed = SUFFIXES.get(suffix)
    if claimed is None:
        raise ReadRefused("reason_legacy_format" if suffix in LEGACY_SUFFIXES
                          else "reason_unsupported")
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as exc:
        raise ReadRefused("reason_unreadable") from exc
    actual = content_kind(path, head)
    if actual != claimed:
        raise _mismatch(claimed, actual)
    if claimed == "text":
        return ReadResult(decode_text(path), TEXT_FORMATS[suffix], "text", DocumentProperties())
    key = (_digest(path), claimed)
    with _read_cache_lock:
        read = _read_cache.get(key)
        if read is not None:
            _read_cache.move_to_end(key)
    if read is None:
        read = _read_binary(path, claimed)
        with _read_cache_lock:
            _read_cache[key] = read
            while len(_read_cache) > READ_CACHE_SIZE:
                _read_cache.popitem(last=False)
    # Checked against this name (the cache may hold it under another): a title that only
    # repeats the file's name is no title.
    title = usable_title(read.properties.title, path.stem)
    return replace(read, properties=replace(read.properties, title=title))


def _read_binary(path: Path, kind: str) -> ReadResult:
    if kind == "pdf":
        text, properties, pages = read_pdf(path)
        return ReadResult(text, "txt", "pdf", properties, pages)
    _check_unpacked_size(path)
    text, properties = (read_docx if kind == "docx" else read_odt)(path)
    return ReadResult(text, "txt", kind, properties)


def _digest(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "sha256").digest()
    except OSError as exc:
        raise ReadRefused("reason_unreadable") from exc


def _mismatch(claimed: str, actual: str) -> ReadRefused:
    if claimed == "text" and actual not in ("pdf", "docx", "odt"):
        return ReadRefused("reason_binary")  # an image or an archive named .txt
    if actual == "damaged_zip" and claimed in ("docx", "odt"):
        return ReadRefused("reason_corrupt", kind=claimed.upper())
    if actual == "binary":
        return ReadRefused("reason_type_unknown", claimed=KIND_LABELS[claimed])
    return ReadRefused("reason_type_mismatch", actual=KIND_LABELS[actual],
                       claimed=KIND_LABELS[claimed])


def _check_unpacked_size(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReadRefused("reason_corrupt", kind="ZIP") from exc
    if size > UNPACKED_LIMIT:
        raise ReadRefused("reason_unpacked_too_large", size=size, limit=UNPACKED_LIMIT)


def decode_text(path: Path) -> str:
    """A text file's content; ReadRefused when it is unreadable, binary or not UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ReadRefused("reason_unreadable") from exc
    if b"\x00" in raw[:HEAD_BYTES]:
        raise ReadRefused("reason_binary")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReadRefused("reason_encoding") from exc
