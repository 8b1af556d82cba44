"""Lists flattened by scrapers split back into one item per line: "intro • a • b", and dash
lists glued to the previous item ("- a)- B- C")."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from assistant.core.lists import INLINE_BULLET

# "item one)- Item two": a dash glued to the previous word, then a capitalised item.
_GLUED_DASH_ITEM = re.compile(r"(?<=[^\s-])-\s+(?=[A-ZÀ-ÖØ-Þ«\"“])")


def flat_map(split: Callable[[str], list[str]], lines: Iterable[str]) -> list[str]:
    return [piece for line in lines for piece in split(line)]


def split_inline_bullets(line: str) -> list[str]:
    """Inline bullets: "intro • a • b" on one line becomes "intro", "• a", "• b"."""
    if "•" not in line:
        return [line]
    head, *items = INLINE_BULLET.split(line)
    pieces = [head] if head.strip() else []
    return pieces + [f"• {item.strip()}" for item in items if item.strip(" ,;")]


def split_glued_dash_items(line: str) -> list[str]:
    """A dash list flattened by the scraper ("- a)- B- C") becomes one item per line."""
    if not re.match(r"^\s*-\s", line):
        return [line]
    first, *rest = _GLUED_DASH_ITEM.split(line.strip())
    return [first, *(f"- {item}" for item in rest)]
