"""One raw document (txt, md or html) into clean, line-structured text (``clean_text``)."""

from __future__ import annotations

import html
import re
import sys
import unicodedata
from functools import cache

from assistant.ingestion.cleaning.debris import drop_trailing_labels, is_debris
from assistant.ingestion.cleaning.lines import clean_line
from assistant.ingestion.cleaning.markdown import strip_markdown
from assistant.ingestion.cleaning.markup import HTML_TAG, html_to_text
from assistant.ingestion.cleaning.splitting import (
    flat_map,
    split_glued_dash_items,
    split_inline_bullets,
    split_inline_questions,
)
from assistant.ingestion.cleaning.tables import convert_tables

FORMATS = ("txt", "md", "html")
_SPACES = re.compile("[\u00a0\u202f\u2007\u2009\u200a\u2002-\u2006\u2008\u205f\u3000]")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_AUTOLINK = re.compile(r"<((?:https?://|ftp://|mailto:|www\.)[^\s<>]+|[\w.+-]+@[\w-]+\.[\w.-]+)>")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
# Citation markers in a document's own text ("[1]", "[2, 3]", footnote calls): a sentence
# quoted as an answer would carry markers pointing at sources it never had (issue 19).
_CITATION_MARKER = re.compile(r"[ \t]*\[\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*\]")


def clean_text(raw: str, fmt: str = "txt") -> str:
    """Clean one document; `fmt` is "txt", "md" or "html". Raises ValueError otherwise."""
    if fmt not in FORMATS:
        raise ValueError("reason_unsupported")
    text = _normalise_characters(raw)
    if fmt == "html":
        text = html_to_text(text)
    elif fmt == "md":
        text = strip_markdown(text)
    text = _AUTOLINK.sub(r"\1", text)
    text = convert_tables(text)
    if HTML_TAG.search(text):
        text = html_to_text(text, keep_whitespace=True)
    # Entities left in plain text ("&amp;"); only complete ones, so "R&D" stays as it is.
    text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    text = _CITATION_MARKER.sub("", text)
    lines = _clean_lines(_SPACES.sub(" ", text).split("\n"))
    return _normalise_whitespace(lines)


def _normalise_characters(raw: str) -> str:
    """Unify newlines, spaces and Unicode forms so later regexes see one spelling."""
    text = unicodedata.normalize("NFC", raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\v", "\n")
    text = _INVISIBLE.sub("", text)
    text = _unprintable().sub("", text)
    return _SPACES.sub(" ", text)


@cache
def _unprintable() -> re.Pattern[str]:
    """Control, format, surrogate and private-use characters, tab and newline excepted: a
    scraped or binary-tainted file must not carry them into passages, answers or the UI."""
    dropped = {"Cc", "Cf", "Cs", "Co"}
    codes = [c for c in range(sys.maxunicode + 1)
             if unicodedata.category(chr(c)) in dropped and chr(c) not in "\t\n"]
    ranges: list[list[int]] = []
    for code in codes:  # consecutive code points as one range: a short character class
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    parts = (re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in ranges)
    return re.compile("[" + "".join(parts) + "]")


def _clean_lines(lines: list[str]) -> list[str]:
    lines = flat_map(split_inline_bullets, lines)
    lines = flat_map(split_glued_dash_items, lines)
    lines = flat_map(split_inline_questions, lines)
    vocabulary = frozenset(re.findall(r"[^\W\d_]+", "\n".join(lines)))
    cleaned = [clean_line(line, vocabulary) for line in lines]
    cleaned = [line for line in cleaned if not is_debris(line)]
    return drop_trailing_labels(cleaned)


def _normalise_whitespace(lines: list[str]) -> str:
    """Trailing spaces gone, runs of blank lines reduced to one, no blank edges."""
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
