"""PDF files, read with pdfminer.six's layout analysis.

Chosen over pypdf (and llama-index's PDFReader, which is pypdf) and pypdfium2 by
measurement (bench/readers_compare.py, figures in bench/RESULTS.md): all keep every French
letter of the test PDFs once ligatures are spelled out (pypdf and pdfminer's plain text
keep "ﬁ" glyphs: 10 of 15 hard words as written), but only pdfminer groups lines into text
boxes and gives each character its font size and name, which is what tells a paragraph
from the next (plain text from any of them is one line per printed line: 0-2 of 4
paragraphs whole; ours 4/4) and a heading from body text (ours marks 3/3 headings, the
others none). It costs 25-45 ms a page on this loaded 2-core machine (pypdf 5, pypdfium2
1): under a second for 20 pages, and each file is read once (``document``'s cache).

From the layout: a text box set larger than the body text (or bold at body size, short)
is a heading, written "# ..." (bigger sizes get fewer "#"); inside a box a line opening
with a bullet or a number starts a list item ("• ...", "1. ..."); the other lines join the
line above into one paragraph when it ran to the box's right edge (a wrapped line), with
"déve-" + "loppement" rejoined; a short line ends its paragraph (addresses keep their
lines). Page numbers and running headers or footers (the same text at the top or bottom of
most pages) are left out. A PDF with almost no text (a scan) is refused: OCR it first.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.ingestion.readers.base import (
    DocumentProperties,
    ReadRefused,
    language_code,
    repair_extracted,
    usable_title,
)

HEADING_RATIO = 1.15  # a heading's font is this much larger than the body's
HEADING_MAX_CHARS = 160
HEADING_MAX_LINES = 3
WRAPPED_WIDTH = 0.85  # a line this wide (share of its box's widest) wraps onto the next
EDGE_BAND = 0.1  # the top and bottom tenth of a page hold running headers and footers
LETTERS_PER_PAGE = 16  # fewer letters than this per page on average: no text layer

_BULLET_START = re.compile(r"^\s*[•◦▪▫■□●○‣⁃∙·\-–*]\s*")
_NUMBER_START = re.compile(r"^\s*(?:\(?\d{1,2}[.)]|[a-h][.)])\s+")
_PAGE_NUMBER = re.compile(r"^\W*(?:(?:page|p\.)\s*)?\d{1,4}(?:\s*(?:/|sur|of|de)\s*\d{1,4})?\W*$",
                          re.IGNORECASE)
# A line holding only a bullet: a glyph, or the code 127 (and the other codes WinAnsi leaves
# unused) that PDF viewers draw as a bullet and pdfminer cannot name.
_BULLET_ONLY = re.compile(
    r"^\s*(?:[•◦▪▫■□●○‣⁃∙·\-–*\uf0b7\uf0a7]|\(cid:(?:127|129|141|143|144|157)\))\s*$")
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
_WORD_HYPHEN = re.compile(r"[^\W\d_]-$")


@dataclass
class Line:
    text: str
    x0: float
    x1: float


@dataclass
class Box:
    """One text box of a page: its lines, font size, boldness and place."""

    lines: list[Line]
    size: float
    bold: bool
    page: int
    at_edge: bool  # in the page's top or bottom band

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.lines)


def read_pdf(path: Path) -> tuple[str, DocumentProperties, int]:
    """The PDF's text as lines for cleaning (``txt``), its properties and page count."""
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    try:
        pages = list(extract_pages(path, laparams=LAParams(all_texts=True)))
        properties = _properties(path)
    except (PDFPasswordIncorrect, PDFEncryptionError) as exc:
        raise ReadRefused("reason_encrypted") from exc
    except Exception as exc:  # pdfminer's syntax errors, EOFs, bad streams: a damaged file
        raise ReadRefused("reason_corrupt", kind="PDF") from exc
    if not pages:
        raise ReadRefused("reason_corrupt", kind="PDF")
    boxes, body_size, chars = _boxes(pages)
    letters = sum(c.isalpha() for c in chars)
    if letters < LETTERS_PER_PAGE * len(pages):
        raise ReadRefused("reason_no_text_layer", pages=len(pages))
    boxes = _without_page_furniture(boxes, len(pages))
    return "\n\n".join(_render(boxes, body_size)), properties, len(pages)


def _boxes(pages: list[Any]) -> tuple[list[Box], float, str]:
    from pdfminer.layout import LTTextContainer, LTTextLine

    boxes: list[Box] = []
    sizes: Counter[float] = Counter()
    every_char: list[str] = []
    for number, page in enumerate(pages):
        height = page.height or 1.0
        elements, loose = _text_boxes(page, LTTextContainer, LTTextLine)
        bullets = [line for line in loose if _BULLET_ONLY.match(line.get_text())]
        # A line outside any box that is not a lone bullet is a box of its own.
        elements += [[line] for line in loose if not _BULLET_ONLY.match(line.get_text())]
        for element in elements:
            box = _box(element, number, height, bullets, sizes)
            if box is not None:
                boxes.append(box)
                every_char.append(box.text)
    body = sizes.most_common(1)[0][0] if sizes else 0.0
    return boxes, body, "".join(every_char)


def _box(element: Any, page: int, height: float, bullets: list[Any],
         sizes: Counter[float]) -> Box | None:
    """One text box (or a loose line) as a Box; a bullet drawn apart from its item's text
    (pdfminer leaves it outside the box) is put back in front of it."""
    from pdfminer.layout import LTChar, LTTextLine

    lines: list[Line] = []
    box_sizes: list[float] = []
    bold = 0
    for line in element:
        if not isinstance(line, LTTextLine):
            continue
        text = " ".join(repair_extracted(line.get_text()).split())
        if not text:
            continue
        if any(abs(b.y0 - line.y0) <= 2 and b.x1 <= line.x0 + 1 for b in bullets):
            text = "• " + text
        lines.append(Line(text, line.x0, line.x1))
        for char in line:
            if isinstance(char, LTChar) and char.get_text().strip():
                box_sizes.append(round(char.size, 1))
                bold += bool(_BOLD.search(char.fontname))
    if not lines or not box_sizes:
        return None
    sizes.update(box_sizes)
    y0 = min(line.y0 for line in element if isinstance(line, LTTextLine))
    y1 = max(line.y1 for line in element if isinstance(line, LTTextLine))
    middle = (y0 + y1) / 2
    at_edge = middle > height * (1 - EDGE_BAND) or middle < height * EDGE_BAND
    return Box(lines, statistics.median(box_sizes), bold >= 0.9 * len(box_sizes), page,
               at_edge)


def _text_boxes(container: Any, box_type: type, line_type: type) -> tuple[list[Any], list[Any]]:
    """Text boxes in reading order, those inside figures (form XObjects) included; and the
    lines pdfminer left outside any box."""
    boxes, loose = [], []
    for element in container:
        if isinstance(element, line_type):
            loose.append(element)
        elif isinstance(element, box_type):
            boxes.append(element)
        elif hasattr(element, "__iter__"):
            inner, inner_loose = _text_boxes(element, box_type, line_type)
            boxes.extend(inner)
            loose.extend(inner_loose)
    return boxes, loose


def _without_page_furniture(boxes: list[Box], pages: int) -> list[Box]:
    """Page numbers, and the same text at the top or bottom of most pages, left out."""
    def key(box: Box) -> str:
        return re.sub(r"\d+", "", box.text).strip().casefold()

    running: set[str] = set()
    if pages >= 3:
        seen = Counter(key for key in {(b.page, key(b)) for b in boxes if b.at_edge})
        counts = Counter(k for _, k in seen)
        running = {k for k, n in counts.items() if n >= max(3, 0.6 * pages)}
    return [b for b in boxes
            if not (b.at_edge and (_PAGE_NUMBER.match(b.text) or key(b) in running))]


def _render(boxes: list[Box], body: float) -> list[str]:
    """Each box as a heading line or as its paragraphs and list items."""
    headings = {id(b): b for b in boxes if _is_heading(b, body)}
    larger = sorted({round(b.size) for b in headings.values() if b.size >= body * HEADING_RATIO},
                    reverse=True)
    out: list[str] = []
    for box in boxes:
        if id(box) in headings:
            rank = larger.index(round(box.size)) if round(box.size) in larger else len(larger)
            out.append("#" * min(rank + 1, 4) + " " + box.text)
        else:
            out.append("\n".join(_logical_lines(box)))
    return out


def _is_heading(box: Box, body: float) -> bool:
    text = box.text
    if (len(box.lines) > HEADING_MAX_LINES or len(text) > HEADING_MAX_CHARS
            or sum(c.isalpha() for c in text) < 2 or _BULLET_START.match(text)
            or text.endswith((".", ",", ";"))):
        return False
    return box.size >= body * HEADING_RATIO or (box.bold and box.size >= body * 0.95
                                                and len(text) <= 100)


def _logical_lines(box: Box) -> list[str]:
    """The box's lines with wrapped ones joined: one line per paragraph or list item."""
    widest = max(line.x1 - line.x0 for line in box.lines)
    out: list[str] = []
    previous: Line | None = None
    for line in box.lines:
        text = line.text
        starts_item = bool(_BULLET_START.match(text) or _NUMBER_START.match(text))
        if starts_item:
            text = _BULLET_START.sub("• ", text, count=1)
        wrapped = previous is not None and (
            previous.x1 - previous.x0 >= WRAPPED_WIDTH * widest
            or _WORD_HYPHEN.search(previous.text) is not None
            or text[:1].islower())
        if out and wrapped and not starts_item:
            out[-1] = _join(out[-1], text)
        else:
            out.append(text)
        previous = line
    return out


def _join(left: str, right: str) -> str:
    """A wrapped line rejoined: "déve-" + "loppement" is one word, "Saint-" + "Gilles"
    keeps its hyphen."""
    if _WORD_HYPHEN.search(left):
        return left[:-1] + right if right[:1].islower() else left + right
    return f"{left} {right}"


def _properties(path: Path) -> DocumentProperties:
    """Title from the document information, language from the catalogue's /Lang."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import resolve1
    from pdfminer.psparser import PSLiteral
    from pdfminer.utils import decode_text

    def text_of(value: Any) -> str:
        value = resolve1(value)
        if isinstance(value, bytes):
            return decode_text(value)
        if isinstance(value, PSLiteral):
            return str(value.name)
        return value if isinstance(value, str) else ""

    with open(path, "rb") as handle:
        document = PDFDocument(PDFParser(handle))
        info = document.info[0] if document.info else {}
        title = text_of(info.get("Title"))
        language = text_of(document.catalog.get("Lang"))
    return DocumentProperties(title=usable_title(title),
                              language=language_code(language))
