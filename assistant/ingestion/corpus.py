"""Corpus stage: find the documents, read them safely, clean them, describe them.

A file that cannot be read (permissions, binary, not UTF-8, empty after cleaning, over
the size limit, a link leading out of the folder, a scan with no text layer, a damaged
PDF/DOCX/ODT, content of another type than its name says) is reported by name and
skipped; the others go on.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from assistant.core.errors import CorpusUnavailable
from assistant.core.names import is_acronym, names_in
from assistant.core.text import STOPWORDS, detect_language, fold, folded_words
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
class ManifestProblem:
    """What is wrong at one line of manifest.json (``key``: a message, shown with ``values``)."""

    line: int
    key: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class CorpusScan:
    documents: list[Document] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    manifest_problems: list[ManifestProblem] = field(default_factory=list)


@dataclass
class Manifest:
    entries: dict[str, dict[str, str]] = field(default_factory=dict)
    problems: list[ManifestProblem] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # each entry's line


def load_manifest(corpus_dir: Path) -> dict[str, dict[str, str]]:
    """Manifest entries by file name; a missing manifest means guessing titles."""
    return read_manifest(corpus_dir).entries


def read_manifest(corpus_dir: Path) -> Manifest:
    """The manifest's entries, read one by one: a broken entry (bad JSON, a trailing comma,
    no "file") is reported by line and the entries that parse are kept; a broken file used
    to lose every title and organisation silently."""
    path = corpus_dir / MANIFEST_NAME
    if not path.is_file():
        return Manifest()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return Manifest(problems=[ManifestProblem(1, "manifest_unreadable",
                                                  {"error": type(exc).__name__})])
    manifest = Manifest()
    for line, value in _manifest_elements(text, manifest.problems):
        if not isinstance(value, dict):
            manifest.problems.append(ManifestProblem(line, "manifest_not_an_entry"))
            continue
        name = value.get("file")
        if not isinstance(name, str) or not name.strip():
            manifest.problems.append(ManifestProblem(line, "manifest_no_file"))
            continue
        entry = {k: clean_label(v) for k, v in value.items() if isinstance(v, str)}
        entry["file"] = name
        if name in manifest.entries:
            manifest.problems.append(ManifestProblem(line, "manifest_duplicate",
                                                     {"file": visible_name(name)}))
        manifest.entries[name] = entry
        manifest.lines[name] = line
    manifest.problems.sort(key=lambda p: p.line)
    return manifest


_DOCUMENTS_KEY = re.compile(r'"documents"\s*:\s*\[')


def _manifest_elements(text: str, problems: list[ManifestProblem]) -> list[tuple[int, Any]]:
    """The elements of the "documents" array with their lines; what cannot be read is
    reported and skipped up to the next element."""
    try:
        json.loads(text)
        strict_error = None
    except json.JSONDecodeError as exc:
        strict_error = exc
    start = _DOCUMENTS_KEY.search(text)
    if start is None:
        problems.append(ManifestProblem(_line_of(text, strict_error.pos) if strict_error else 1,
                                        "manifest_no_documents"))
        return []
    elements: list[tuple[int, Any]] = []
    found_before = len(problems)
    position = start.end()
    expect_element, after_comma, comma = True, False, 0
    while True:
        position = _skip_space(text, position)
        if position >= len(text):
            problems.append(ManifestProblem(_line_of(text, len(text)), "manifest_syntax",
                                            {"error": "] missing"}))
            break
        char = text[position]
        if char == "]":
            if after_comma:
                problems.append(ManifestProblem(_line_of(text, comma), "manifest_trailing_comma"))
            break
        if char == ",":
            if expect_element:
                problems.append(ManifestProblem(_line_of(text, position), "manifest_syntax",
                                                {"error": "extra ','"}))
            expect_element, after_comma, comma = True, True, position
            position += 1
            continue
        if not expect_element:
            problems.append(ManifestProblem(_line_of(text, position), "manifest_syntax",
                                            {"error": "',' missing"}))
        read, position = _read_element(text, position, problems)
        elements += read
        expect_element, after_comma = False, False
    if strict_error is not None and len(problems) == found_before:
        problems.append(ManifestProblem(_line_of(text, strict_error.pos), "manifest_syntax",
                                        {"error": strict_error.msg}))
    return elements


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def _read_element(text: str, position: int,
                  problems: list[ManifestProblem]) -> tuple[list[tuple[int, Any]], int]:
    """The element at ``position`` as [(line, value)], or [] with its problem said; and
    where it ends. An entry whose only fault is a trailing comma is kept, the comma said."""
    try:
        value, end = json.JSONDecoder().raw_decode(text, position)
    except json.JSONDecodeError as exc:
        end = _element_end(text, position)
        repaired, commas = _without_trailing_commas(text[position:end])
        try:
            value = json.loads(repaired) if commas else None
        except json.JSONDecodeError:
            commas = []
        if not commas:
            problems.append(ManifestProblem(_line_of(text, exc.pos), "manifest_syntax",
                                            {"error": exc.msg}))
            return [], end
        problems += [ManifestProblem(_line_of(text, position + c), "manifest_trailing_comma")
                     for c in commas]
    return [(_line_of(text, position), value)], end


def _without_trailing_commas(text: str) -> tuple[str, list[int]]:
    """The text without the commas that close nothing ("a": 1, }), and where they were;
    commas inside strings are left alone."""
    kept: list[str] = []
    commas: list[int] = []
    in_string = escaped = False
    for index, char in enumerate(text):
        if in_string:
            escaped = not escaped and char == "\\"
            if char == '"' and not escaped:
                in_string = False
        elif char == '"':
            in_string = True
        elif char == "," and text[index + 1:].lstrip()[:1] in ("}", "]"):
            commas.append(index)
            continue
        kept.append(char)
    return "".join(kept), commas


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def _element_end(text: str, position: int) -> int:
    """Where a broken element ends: the ',' or ']' after it at its own depth (strings
    skipped), so that the next element is read."""
    depth, in_string, escaped = 0, False, False
    for index in range(position, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            depth += 1
        elif char in "}]":
            if depth == 0:
                return index
            depth -= 1
        elif char == "," and depth == 0:
            return index
    return len(text)


def visible_name(name: str) -> str:
    """A file name as it may be shown: bytes that are not UTF-8 and invisible characters
    (controls, right-to-left overrides and other format characters) written as escapes,
    so that "facture\u202etxt.exe" cannot pass for another name."""
    if any(0xD800 <= ord(c) <= 0xDFFF for c in name):  # undecodable bytes (surrogateescape)
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(
        c if unicodedata.category(c) not in _INVISIBLE else f"\\u{ord(c):04x}" for c in name)


def clean_label(text: str) -> str:
    """A manifest title or organisation without invisible characters (they would reorder or
    hide what the sources panel shows)."""
    return "".join(c for c in text if unicodedata.category(c) not in _INVISIBLE)


_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


def is_utf8_name(name: str) -> bool:
    """Was the file name valid UTF-8? (Python keeps other bytes as lone surrogates, which no
    store and no terminal accepts.)"""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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


def guess_organisation(text: str, path: Path | None = None) -> str:
    """The organisation a document without a manifest entry is about. Its file name usually
    says it ("caritas-international-who-are-we.txt", "secours-populaire-histoire.txt"): the
    name of the file's words the text writes most, capitalised, at least twice, and at least
    as often as the name the text writes most. Else, or when the name the text writes most
    is one of the file's words too, that name: an acronym or a name of several words,
    written at least twice (ties: the first written). Names of a single ordinary word
    ("Caritas", "Quinoa", "Eurodiaconia") and names with "&" or a lowercase word ("Peuple &
    Culture", "Secours populaire") are found only through the file name; the most written
    name alone took persons ("Joseph Wresinski") and donors ("Baron Allard") for the
    organisation of a history page. Last, a word of the file name the text writes as an
    acronym, even once (``acronym_in_file_name``)."""
    counts = Counter(n for n in names_in(text) if is_acronym(n) or len(n.split()) > 1)
    named = [(count, -text.find(name), name) for name, count in counts.items() if count >= 2]
    written, _, most_written = max(named) if named else (0, 0, "")
    if path is None:
        return most_written
    file_words = name_words(path.stem)
    if most_written and set(name_words(most_written)) & set(file_words):
        return most_written
    # A file name's run wins only when written as often: "rapport-annuel-2018.pdf" may
    # hold "Rapport annuel" twice in a report that writes "CSC" thirty times.
    in_file_name, times = named_in_file_name(text, file_words)
    if times >= written and in_file_name:
        return in_file_name
    return most_written or acronym_in_file_name(text, file_words)


def acronym_in_file_name(text: str, file_words: list[str]) -> str:
    """A word of the file name that the text writes as an acronym, even once ("EZA" in
    "eza-who-we-are.txt", whose text spells it "European Centre for Workers' Questions
    (EZA)" and then says "we"): the first such word, as written."""
    for word in file_words:
        if len(word) < 2 or word in STOPWORDS:
            continue
        for match in re.finditer(rf"(?<![\w-]){re.escape(word.upper())}(?![\w-])", text):
            if is_acronym(match.group(0)):
                return match.group(0)
    return ""


def name_words(text: str) -> list[str]:
    """Folded words, digits-only words left out ("oxfam-magasins-du-monde-35-ans")."""
    return [w for w in folded_words(text).split() if not w.isdigit()]


# Between two of the file name's words, the text may write stop words the name dropped
# ("ligue-droits-humains" for "Ligue des droits humains").
NAME_GAP = r"[\s'’.-]*(?:(?:de|des|du|d|la|le|l|of|the)[\s'’.-]+){0,2}"


def named_in_file_name(text: str, file_words: list[str]) -> tuple[str, int]:
    """The run of the file name's words that the text writes most as a name (capitalised,
    at least twice; "et"/"and" also read "&"), weighed by its words that are not stop words
    ("Médecins du Monde", written 12 times, over "MÉDECINS DU MONDE RAPPORT", twice), and
    how many times it is written; ("", 0) when none is."""
    folded = "".join(fold(c)[:1] or " " for c in text)  # one character for one: spans align
    best: tuple[int, str, int] = (0, "", 0)
    for size in range(len(file_words), 0, -1):
        for start in range(len(file_words) - size + 1):
            run = file_words[start:start + size]
            if run[0] in STOPWORDS or run[-1] in STOPWORDS:
                continue
            parts = ["(?:et|and|&)" if w in ("et", "and") else re.escape(w) for w in run]
            pattern = r"(?<![0-9a-z])" + NAME_GAP.join(parts) + r"(?![0-9a-z])"
            spellings = Counter(text[m.start():m.end()] for m in re.finditer(pattern, folded)
                                if text[m.start()].isupper())
            written = sum(spellings.values())
            weight = written * sum(w not in STOPWORDS for w in run)
            if written >= 2 and weight > best[0]:
                best = (weight, spellings.most_common(1)[0][0], written)
    return best[1], best[2]


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
        file=visible_name(rel),
        title=entry.get("title") or own.title or guess_title(text, path),
        organisation=(entry.get("organisation") or own.organisation
                      or guess_organisation(text, path)),
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
    listed = read_manifest(corpus_dir)
    manifest = listed.entries
    scan = CorpusScan(skipped=outside_manifest_entries(manifest, corpus_dir),
                      manifest_problems=listed.problems)
    outside = {s.name for s in scan.skipped}
    scan.manifest_problems += [
        ManifestProblem(listed.lines[name], "manifest_missing_file", {"file": visible_name(name)})
        for name in manifest if name not in outside and not (corpus_dir / name).is_file()]
    scan.manifest_problems.sort(key=lambda p: p.line)
    for path in list_files(corpus_dir):
        name = path.relative_to(corpus_dir).as_posix()
        if not is_utf8_name(name):  # skipped and named like any unreadable file
            scan.skipped.append(SkippedFile(name, "reason_name_not_utf8"))
            continue
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
