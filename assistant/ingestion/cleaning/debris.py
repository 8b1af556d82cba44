"""Debris lines: navigation and download leftovers ("Read more", "PDF 2 Mo"), lone image
captions, empty profile fields, template or script code and unfilled placeholders a scrape
let through, page numbers, and lead-ins left with nothing after them."""

from __future__ import annotations

import re

from assistant.ingestion.cleaning.captions import LONE_CAPTION
from assistant.ingestion.cleaning.tables import FIELD, is_empty_field

_DEBRIS_LINE = re.compile(
    r"^[\W_]*(?:read more|read the rest|continue reading|learn more|see more|show more|"
    r"more info|lire la suite|lire plus|en savoir plus|voir plus|plus d['’]infos?|"
    r"click here|cliquez ici|share|partager|print|imprimer|back to top|haut de page|"
    r"retour en haut(?: de la page)?)[\W_]*$",
    re.IGNORECASE,
)
_FILE_TYPES = r"pdf|docx?|xlsx?|pptx?|odt|ods|odp|rtf|zip|csv|epub|mp3|mp4|jpe?g|png"
_DOWNLOAD_DEBRIS = re.compile(
    rf"^[\W_]*(?:(?:{_FILE_TYPES})\b[\s\-–—:,(]*)?\d+(?:[.,]\d+)?\s*"
    r"(?:ko|mo|go|kb|mb|gb|kio|mio|octets|bytes)\b[\W_]*$"
    rf"|^[\W_]*(?:(?:télécharger|telecharger|download)(?:\s+(?:le|la|the|this))?"
    rf"(?:\s+(?:{_FILE_TYPES}|document|fichier|file))?|{_FILE_TYPES})[\W_]*$",
    re.IGNORECASE,
)

# A language switcher ("de fr it", "FR | NL | EN") and a lone lowercase token without a vowel
# ("fbpx", a tracking tag's class): scraped page furniture, no words of the page's.
_LANGUAGE_SWITCHER = re.compile(
    r"^(?:(?:fr|nl|en|de|it|es|pt|ar|tr|pl|ro|lu|lb)\b[\s|/·•,-]*){2,}$", re.IGNORECASE)
_VOWELLESS_TOKEN = re.compile(r"^[b-df-hj-np-tv-xz]{3,}$")

# A template's placeholder left unfilled ("__MAIN_TEXT__", "{{ title }}", "[[CONTENT]]",
# "%BODY%", "<!-- main -->") and a page number alone ("Page 1", "p. 3/12", "Page 2 sur 5"):
# a line that is nothing else says nothing, and as a chunk's title it reads as the page's.
_PLACEHOLDER = re.compile(
    r"^(?:_{2,}[A-Za-z][\w-]*_{2,}|\{\{.*\}\}|\{%.*%\}|\[\[[A-Za-z_][\w -]*\]\]"
    r"|%[A-Z][A-Z_]+%|<!--.*-->)$"
    r"|^(?:page|p\.)\s*\d{1,4}(?:\s*(?:/|of|sur|de)\s*\d{1,4})?$",
    re.IGNORECASE,
)

# Marks of program code, not of prose: PHP/JS variables and calls, comment ends, statement
# ends ("'; echo $this->article->section; } */ ?>" in a scraped page).
_CODE_MARKS = (
    re.compile(r"\$[A-Za-z_]\w*"), re.compile(r"\w->\w"), re.compile(r"<\?(?:php)?|\?>"),
    re.compile(r"/\*|\*/"), re.compile(r"[)'\"];\s*(?:$|[}\w])"), re.compile(r"\w\(\)"),
    re.compile(r"\{\s*\}|\}\s*;?\s*$"),
    re.compile(r"\b(?:echo|print|var|function|return)\b\s*[('\"$]"),
)


def is_code(line: str) -> bool:
    """A line of template or script code: three different marks of code (one alone, such as
    "$" or "->", occurs in prose)."""
    return sum(bool(mark.search(line)) for mark in _CODE_MARKS) >= 3


def is_debris(line: str) -> bool:
    """Navigation and download leftovers, lone image captions, empty profile fields, code,
    language switchers and tracking tags."""
    stripped = line.strip()
    if not stripped:
        return False
    if _DEBRIS_LINE.match(stripped) or _DOWNLOAD_DEBRIS.match(stripped):
        return True
    if LONE_CAPTION.match(stripped) or not re.search(r"\w", stripped):
        return True  # a caption alone, or a line of bare punctuation / bullet glyphs
    if is_code(stripped) or _PLACEHOLDER.match(stripped):
        return True
    if _LANGUAGE_SWITCHER.match(stripped) or _VOWELLESS_TOKEN.match(stripped):
        return True
    field = FIELD.match(stripped)
    return bool(field and field["value"].strip() and is_empty_field(stripped))


def drop_trailing_labels(lines: list[str]) -> list[str]:
    """A lead-in ("Download our note:") with nothing after it, at the end of the text."""
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    while lines and lines[-1].rstrip().endswith(":") and len(lines[-1].split()) <= 12:
        lines = lines[:-1]
        while lines and not lines[-1].strip():
            lines = lines[:-1]
    return lines
