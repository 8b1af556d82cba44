"""Tables (tab rows) as "Title: description" lines; header rows, empty profile fields
("Label : Néant") and placeholder values go."""

from __future__ import annotations

import re

from assistant.core.lists import RAW_BULLET
from assistant.ingestion.cleaning.markup import HTML_TAG, html_to_text
from assistant.ingestion.cleaning.splitting import (
    flat_map,
    split_glued_dash_items,
    split_inline_bullets,
)

# Values that mean "no data" in profile fields and tables.
_PLACEHOLDERS = frozenset(
    {
        "néant",
        "n/a",
        "na",
        "n.a",
        "n.d",
        "nd",
        "-",
        "–",
        "—",
        "/",
        "none",
        "null",
        "nil",
        "aucun",
        "aucune",
        "non renseigné",
        "non communiqué",
        "not specified",
        "...",
    }
)
FIELD = re.compile(r"^(?P<label>[^:]{1,60}?)\s*:\s*(?P<value>.*)$")
_TERMINAL_PUNCT = ".!?…;"


def _is_placeholder(value: str) -> bool:
    return value.strip().strip(".:;").strip().casefold() in _PLACEHOLDERS | {""}


def is_empty_field(cell: str) -> bool:
    """A profile field that holds nothing: "Label : Néant" or "Label :"."""
    field = FIELD.match(cell)
    if field is None:
        return False
    return len(field["label"].split()) <= 6 and _is_placeholder(field["value"])


def _is_header_row(cells: list[str]) -> bool:
    """Column titles: a few short words per cell, no digits, no punctuation, no colon."""
    return len(cells) >= 2 and all(
        len(cell) <= 40
        and len(cell.split()) <= 4
        and not re.search(r"[\d:]", cell)
        and cell[-1] not in _TERMINAL_PUNCT + ","
        for cell in cells
    )


def convert_tables(text: str) -> str:
    """Tab rows become "Title: description" lines; header rows and empty fields go."""
    lines = text.split("\n")
    out: list[str] = []
    block: list[str] = []
    for line in [*lines, ""]:
        if "\t" in line:
            block.append(line)
            continue
        if any("\t" in row.rstrip() for row in block):
            out.extend(render_table(block))
        else:
            out.extend(row.rstrip() for row in block)  # stray trailing tabs, not a table
        block = []
        out.append(line)
    return "\n".join(out[:-1])


def render_table(rows: list[str], *, guess_header: bool = True) -> list[str]:
    out: list[str] = []
    header: list[str] | None = None
    for position, row in enumerate(rows):
        cells = [cell.strip() for cell in row.split("\t")]
        while cells and not cells[0]:
            cells.pop(0)  # a leading tab only indents the row
        filled = [cell for cell in cells if cell]
        if guess_header and position == 0 and len(rows) > 1 and _is_header_row(filled):
            header = filled
            continue
        if filled == header or not filled:
            continue  # the header repeated inside the table, or an empty row
        out.extend(_render_row(cells))
    return out


def _render_row(cells: list[str]) -> list[str]:
    """One row: "Title: description", or "Title:" then one item per line.

    A row whose values are all empty or placeholders ("Néant") says nothing: dropped.
    """
    if len(cells) == 1:
        return [] if is_empty_field(cells[0]) else _fragment_lines(cells[0])
    title = cells[0].rstrip(" :")
    parts = [_fragment_lines(cell) for cell in cells[1:] if not _is_placeholder(cell)]
    parts = [part for part in parts if part]
    if not parts or _is_placeholder(title):
        return []
    if all(len(part) == 1 and not RAW_BULLET.match(part[0]) for part in parts):
        return [f"{title}: " + "; ".join(part[0] for part in parts)]
    return [f"{title}:", *(line for part in parts for line in part)]


def _fragment_lines(cell: str) -> list[str]:
    """Clean one table cell: HTML removed, inline bullets split, one item per line."""
    if HTML_TAG.search(cell):
        cell = html_to_text(cell, keep_whitespace=True)
    lines = flat_map(split_inline_bullets, cell.split("\n"))
    lines = flat_map(split_glued_dash_items, lines)
    return [line.strip() for line in lines if line.strip()]
