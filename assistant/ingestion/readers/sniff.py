"""What a file is, from its bytes: magic numbers and, for zip files, their structure (an
OpenDocument names its type in its first member, "mimetype"; a Word document has
"word/document.xml"). The extension only says what the file claims to be."""

from __future__ import annotations

import zipfile
from pathlib import Path

# Extension -> the content kind it claims, and the cleaning format of text kinds.
SUFFIXES = {
    ".pdf": "pdf", ".docx": "docx", ".odt": "odt",
    ".txt": "text", ".md": "text", ".markdown": "text", ".html": "text", ".htm": "text",
}
TEXT_FORMATS = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}

HEAD_BYTES = 8192
_OPENDOCUMENT = "application/vnd.oasis.opendocument."
_MAGIC = (
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),  # .doc, .xls, .ppt before 2007
    (b"{\\rtf", "rtf"),
    (b"\x89PNG", "image"), (b"\xff\xd8\xff", "image"), (b"GIF8", "image"),
    (b"II*\x00", "image"), (b"MM\x00*", "image"),
    (b"\x1f\x8b", "archive"), (b"7z\xbc\xaf", "archive"), (b"Rar!", "archive"),
)


def content_kind(path: Path, head: bytes) -> str:
    """"pdf", "docx", "odt", "text", or what else the bytes are: "opendocument" (another
    OpenDocument: a spreadsheet, a presentation), "office" (xlsx, pptx), "zip", "ole",
    "rtf", "image", "archive", "binary"; "damaged_zip" for a zip that cannot be opened."""
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"%PDF-") or (
            b"%PDF-" in head[:1024] and not _is_utf8(head)):  # junk before the header
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(path)
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return "binary" if b"\x00" in head else "text"


def _is_utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3  # a character cut by the end of the head
    return True


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if mimetype.startswith(_OPENDOCUMENT):
                    return "odt" if mimetype == _OPENDOCUMENT + "text" else "opendocument"
            if "word/document.xml" in names:
                return "docx"
            if any(n.startswith(("xl/", "ppt/")) for n in names):
                return "office"
            return "zip"
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return "damaged_zip"
