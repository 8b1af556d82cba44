"""What the readers share: the refusal, the document's own properties (title, organisation,
language), and the repairs every extracted text gets (ligatures, private-use bullets)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any


class ReadRefused(ValueError):
    """A file that cannot be indexed; ``args[0]`` is the reason's message key (as the
    corpus scan's ValueErrors are), ``values`` what its message shows."""

    def __init__(self, reason: str, **values: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values


@dataclass(frozen=True)
class DocumentProperties:
    """What a document says of itself (PDF info, DOCX core/app properties, ODT meta.xml);
    empty strings where it says nothing usable."""

    title: str = ""
    organisation: str = ""
    language: str = ""  # "fr" or "en" only


@dataclass(frozen=True)
class ReadResult:
    """A document's text in the format ``clean_text`` takes, and its properties."""

    text: str
    fmt: str  # "txt", "md" or "html"
    kind: str  # what the content is: "pdf", "docx", "odt", "text"
    properties: DocumentProperties = field(default_factory=DocumentProperties)
    pages: int = 0  # PDF pages (0 for other kinds)


# Ligature glyphs (ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ) a typeset PDF may keep in its text: NFKC spells them out.
_LIGATURES = re.compile("[\ufb00-\ufb06]")
# Bullets that Word and PowerPoint draw with Symbol or Wingdings fonts come out of a PDF as
# private-use code points (cleaning would drop them with the list structure they carry).
_PRIVATE_BULLETS = re.compile("[\uf0b7\uf0a7\uf0a8\uf0d8\uf076\uf0fc\uf0e0\uf06e\uf0a1\uf075"
                              "\uf0de\uf02d\uf0d7\uf0b2]")
# "(cid:123)": a glyph pdfminer could not map to a character.
_CID = re.compile(r"\(cid:\d+\)")


def repair_extracted(text: str) -> str:
    """Ligatures spelled out, symbol-font bullets as "•", unmappable glyphs dropped."""
    text = _LIGATURES.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), text)
    text = _PRIVATE_BULLETS.sub("•", text)
    return _CID.sub("", text)


# Titles that document software writes by itself, not a person.
_MACHINE_TITLE = re.compile(
    r"^(?:microsoft (?:word|powerpoint) - .*|untitled.*|sans titre.*|document\s*\d*|"
    r"doc\d*|titre|title|présentation powerpoint|powerpoint presentation|"
    r"\(?anonymous\)?|\(?unspecified\)?|slide \d+|diapositive \d+)$", re.IGNORECASE)
_FILE_NAME = re.compile(r"\.(?:docx?|odt|pdf|txt|rtf|html?|md|indd|tex|dotx?)$", re.IGNORECASE)


def usable_title(value: str, stem: str = "") -> str:
    """A property's title when a person wrote it; "" for software defaults ("Microsoft
    Word - x.docx", "Untitled", "Document1"), file names and strings without words."""
    value = " ".join(repair_extracted(value or "").split())
    if (not value or len(value) > 200 or sum(c.isalpha() for c in value) < 3
            or _MACHINE_TITLE.match(value) or _FILE_NAME.search(value)
            or (stem and value.casefold() == stem.casefold())):
        return ""
    return value


def usable_organisation(value: str) -> str:
    value = " ".join((value or "").split())
    return value if 2 <= len(value) <= 120 and any(c.isalpha() for c in value) else ""


def language_code(value: str) -> str:
    """"fr", "en" from a document's language tag ("fr-BE", "en_GB", "FR"); "" otherwise."""
    code = re.split(r"[-_]", (value or "").strip().lower(), maxsplit=1)[0]
    return code if code in ("fr", "en") else ""
