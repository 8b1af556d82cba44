"""List marks: the bullets and numbers that open a list item ("• item", "- item", "1. item",
"2) item"), and the bullet glyphs of raw scrapes that cleaning turns into "• "."""

from __future__ import annotations

import re

# Bullets of cleaned text ("•", which cleaning writes for every glyph) and of hand-typed text.
_BULLET = r"[•\-*–]"
_NUMBER = r"\d{1,2}[.)]"

# A list item's mark at the start of a line, with the space after it ("1. ", "• ").
LIST_MARK = re.compile(rf"^\s*(?:{_BULLET}|{_NUMBER})\s+")
_ONLY_MARK = re.compile(rf"\s*(?:{_BULLET}|{_NUMBER})\s*")
# A bullet (not a number: a numbered item keeps its number) where a match starts.
BULLET = re.compile(rf"{_BULLET}\s+")

# Glyphs scrapes use as bullets.
_GLYPHS = "•◦▪▫■□●○‣⁃∙"
# Any bullet of a raw scrape at the start of a line, with the space after it: glyphs, "-",
# "*", "+", "–", "·" and the "-*" of some converters.
RAW_BULLET = re.compile(rf"^\s*(?:-\*|[-*+–]|[{_GLYPHS}·])\s+")
# A bullet glyph at the start of a line, even glued to its text ("•item").
GLYPH_BULLET = re.compile(rf"^\s*[{_GLYPHS}]\s*")
# Bullets inside a line ("intro • a • b"), with the spaces around them.
INLINE_BULLET = re.compile(r"\s*•\s*")


def is_list_mark(text: str) -> bool:
    """Is the text only a list mark ("• ", "2)"): what precedes an item on its line?"""
    return bool(_ONLY_MARK.fullmatch(text))


def strip_list_mark(text: str) -> str:
    """The text without the list mark that opens it."""
    return LIST_MARK.sub("", text)
