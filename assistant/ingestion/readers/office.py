"""Word (DOCX, python-docx) and OpenDocument text (ODT, odfpy) files.

Both formats say what each paragraph is, so nothing is guessed from the look: a heading
style or outline level gives "# ..." lines (level 2 "## ..."), a paragraph in a bulleted
list "• ...", in a numbered list "1. ...", "2. ..." (Word and LibreOffice compute the
numbers; the text holds none), a table one line per row with its cells tab-separated
(cleaning makes "cell: cell" lines of them). Titles and languages come from the document
properties (core.xml, meta.xml); Word's "Company" property names the organisation.

python-docx over docx2txt (the llama-index DocxReader): both keep every letter, only
python-docx gives styles and list numbering (docx2txt gives bare lines, no heading or list
mark). odfpy over odfdo: the same text; odfpy is smaller, and both are kept up.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.ingestion.readers.base import (
    DocumentProperties,
    ReadRefused,
    language_code,
    usable_organisation,
    usable_title,
)

_LEVEL_IN_NAME = re.compile(r"^(?:heading|titre|überschrift|kop)\s*(\d)$", re.IGNORECASE)
_TITLE_NAMES = {"title", "titre"}


def _heading_line(level: int, text: str) -> str:
    return "#" * max(1, min(level, 4)) + " " + text


# -- DOCX ------------------------------------------------------------------------------------
def read_docx(path: Path) -> tuple[str, DocumentProperties]:
    """A Word document's text as lines for cleaning (``txt``), and its properties."""
    import docx
    from docx.table import Table

    try:
        document = docx.Document(str(path))
        lines: list[str] = []
        numbering = _Numbering(document)
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(_table_rows(block))
                lines.append("")
            else:
                lines.append(_docx_paragraph(block, numbering))
        properties = _docx_properties(document, path)
    except ReadRefused:
        raise
    except Exception as exc:  # a broken part, bad XML, a missing relationship: damaged
        raise ReadRefused("reason_corrupt", kind="DOCX") from exc
    return "\n".join(lines), properties


def _docx_paragraph(paragraph: Any, numbering: _Numbering) -> str:
    text = paragraph.text.strip()
    if not text:
        return ""
    level = _docx_heading_level(paragraph)
    if level:
        return _heading_line(level, " ".join(text.split()))
    mark = numbering.mark(paragraph)
    if mark:
        return f"{mark} {' '.join(text.split())}"
    return text + "\n"  # a paragraph: a blank line after it, soft line breaks kept


def _style_chain(paragraph: Any) -> Iterator[Any]:
    style = paragraph.style
    seen = 0
    while style is not None and seen < 10:
        yield style
        style, seen = style.base_style, seen + 1


def _docx_heading_level(paragraph: Any) -> int:
    """Heading level from the paragraph's outline level or its style ("Heading 2",
    "Titre 2", "Title"); 0 for body text."""
    from docx.oxml.ns import qn

    ppr = paragraph._p.pPr
    for element in [ppr] + [s.element.pPr for s in _style_chain(paragraph)]:
        outline = element.find(qn("w:outlineLvl")) if element is not None else None
        if outline is not None:
            value = int(outline.get(qn("w:val"), "9"))
            return value + 1 if value < 9 else 0  # 9 is "body text"
    for style in _style_chain(paragraph):
        name = (style.name or "").strip()
        found = _LEVEL_IN_NAME.match(name)
        if found:
            return int(found.group(1))
        if name.casefold() in _TITLE_NAMES:
            return 1
    return 0


class _Numbering:
    """Bullet or number of a list paragraph, from numbering.xml (a paragraph's own numPr,
    or its style's): "•", or "1.", "2." counted per list and level."""

    def __init__(self, document: Any) -> None:
        from docx.oxml.ns import qn

        self.qn = qn
        self.formats: dict[tuple[str, str], str] = {}
        self.counters: dict[tuple[str, str], int] = {}
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return
        abstract = {a.get(qn("w:abstractNumId")): a for a in root.findall(qn("w:abstractNum"))}
        for num in root.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            definition = abstract.get(ref.get(qn("w:val"))) if ref is not None else None
            if definition is None:
                continue
            for level in definition.findall(qn("w:lvl")):
                fmt = level.find(qn("w:numFmt"))
                self.formats[(num.get(qn("w:numId")), level.get(qn("w:ilvl")))] = (
                    fmt.get(qn("w:val"), "bullet") if fmt is not None else "bullet")

    def mark(self, paragraph: Any) -> str:
        qn = self.qn
        numpr = None
        for element in [paragraph._p.pPr] + [s.element.pPr for s in _style_chain(paragraph)]:
            numpr = element.find(qn("w:numPr")) if element is not None else None
            if numpr is not None:
                break
        if numpr is None:
            return ""
        num = numpr.find(qn("w:numId"))
        ilvl = numpr.find(qn("w:ilvl"))
        key = (num.get(qn("w:val")) if num is not None else "",
               ilvl.get(qn("w:val")) if ilvl is not None else "0")
        if key[0] in ("", "0"):  # numId 0: numbering switched off
            return ""
        fmt = self.formats.get(key, "bullet")
        if fmt in ("bullet", "none"):
            return "•"
        self.counters[key] = self.counters.get(key, 0) + 1
        return f"{self.counters[key]}."


def _table_rows(table: Any) -> list[str]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            text = " ".join(cell.text.split())
            if not cells or text != cells[-1]:  # a merged cell repeats itself
                cells.append(text)
        if any(cells):
            rows.append("\t".join(cells))
    return rows


def _docx_properties(document: Any, path: Path) -> DocumentProperties:
    core = document.core_properties
    return DocumentProperties(
        title=usable_title(core.title or ""),
        organisation=usable_organisation(_docx_company(document)),
        language=language_code(core.language or ""),
    )


def _docx_company(document: Any) -> str:
    """docProps/app.xml's <Company>, when the document has that part."""
    for rel in document.part.package.rels.values():
        if rel.reltype.endswith("/extended-properties") and not rel.is_external:
            found = re.search(rb"<(?:\w+:)?Company>([^<]*)</(?:\w+:)?Company>",
                              rel.target_part.blob)
            return found.group(1).decode("utf-8", "replace") if found else ""
    return ""


# -- ODT -------------------------------------------------------------------------------------
def read_odt(path: Path) -> tuple[str, DocumentProperties]:
    """An OpenDocument text's lines for cleaning (``txt``), and its properties."""
    from odf.opendocument import load

    try:
        document = load(str(path))
        lines = list(_OdtWalker(document).lines(document.text))
        properties = _odt_properties(document, path)
    except Exception as exc:  # bad XML, a missing content.xml: damaged
        raise ReadRefused("reason_corrupt", kind="ODT") from exc
    return "\n".join(lines), properties


TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
STYLE_NS = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"


class _OdtWalker:
    """Walks the body in order: headings, paragraphs, lists (bullet or number, from their
    list style), tables."""

    def __init__(self, document: Any) -> None:
        self.list_kinds: dict[str, str] = {}
        self.parents: dict[str, str] = {}
        for styles in (document.styles, document.automaticstyles):
            for element in _children(styles):
                name = element.getAttrNS(STYLE_NS, "name") or ""
                if element.qname == (TEXT_NS, "list-style"):
                    name = element.getAttrNS(STYLE_NS, "name") or ""
                    first = next(iter(_children(element)), None)
                    numbered = first is not None and first.qname[1] == "list-level-style-number"
                    self.list_kinds[name] = "number" if numbered else "bullet"
                elif element.qname[1] == "style":
                    self.parents[name] = element.getAttrNS(STYLE_NS, "parent-style-name") or ""

    def lines(self, container: Any, list_style: str = "") -> Iterator[str]:
        from odf import teletype

        counter = 0
        for element in _children(container):
            ns, tag = element.qname
            if (ns, tag) == (TEXT_NS, "h"):
                level = int(element.getAttrNS(TEXT_NS, "outline-level") or 1)
                text = " ".join(teletype.extractText(element).split())
                if text:
                    yield _heading_line(level, text)
            elif (ns, tag) == (TEXT_NS, "p"):
                text = teletype.extractText(element).strip()
                if not text:
                    continue
                if self._is_title(element.getAttrNS(TEXT_NS, "style-name") or ""):
                    yield _heading_line(1, " ".join(text.split()))
                else:
                    yield text + "\n"
            elif (ns, tag) == (TEXT_NS, "list"):
                style = element.getAttrNS(TEXT_NS, "style-name") or list_style
                counter = 0
                for item in _children(element):
                    if item.qname[1] not in ("list-item", "list-header"):
                        continue
                    counter += 1
                    mark = f"{counter}." if self.list_kinds.get(style) == "number" else "•"
                    inner = [line.strip() for line in self.lines(item, style) if line.strip()]
                    if inner:
                        first, *rest = inner
                        yield f"{mark} {first}" if not first.startswith(("•", "#")) else first
                        yield from rest
                yield ""
            elif (ns, tag) == (TABLE_NS, "table"):
                yield from _odt_table(element)
                yield ""
            elif tag in ("section", "table-rows", "table-header-rows", "soft-page-break"):
                yield from self.lines(element, list_style)

    def _is_title(self, style: str) -> bool:
        for _ in range(5):
            if style.casefold() in _TITLE_NAMES or style.startswith("Heading"):
                return True
            style = self.parents.get(style, "")
            if not style:
                return False
        return False


def _children(element: Any) -> list[Any]:
    return [c for c in getattr(element, "childNodes", []) if getattr(c, "qname", None)]


def _odt_table(table: Any) -> Iterator[str]:
    from odf import teletype

    for row in _descendants(table, "table-row"):
        cells = [" ".join(teletype.extractText(c).split())
                 for c in _children(row) if c.qname[1] == "table-cell"]
        if any(cells):
            yield "\t".join(cells)


def _descendants(element: Any, tag: str) -> Iterator[Any]:
    for child in _children(element):
        if child.qname[1] == tag:
            yield child
        elif child.qname[1] != "table":  # a nested table's rows are not this table's
            yield from _descendants(child, tag)


def _odt_properties(document: Any, path: Path) -> DocumentProperties:
    from odf import teletype

    title = language = organisation = ""
    for element in _children(document.meta):
        tag = element.qname[1]
        if tag == "title":
            title = teletype.extractText(element)
        elif tag == "language":
            language = teletype.extractText(element)
        elif tag == "user-defined":
            name = (element.getAttribute("name") or "").casefold()
            if name in ("company", "organisation", "organization", "société"):
                organisation = teletype.extractText(element)
    return DocumentProperties(title=usable_title(title),
                              organisation=usable_organisation(organisation),
                              language=language_code(language))
