"""A cleaned document's lines as blocks: headings, list items and paragraphs (a line that
continues an unfinished one is joined to it)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.core.lists import LIST_MARK
from assistant.core.sentences import OPENING_QUOTES


@dataclass(frozen=True)
class Block:
    """One line of the document: a heading, a list item or a paragraph."""

    kind: str  # "heading", "para" or "item"
    text: str




_MD_HEADING = re.compile(r"^#{1,6}\s+(?=\S)")
# A wiki heading ("==History==", "= Church Action on Poverty ="), as a scraped wiki page
# writes them.
_WIKI_HEADING = re.compile(r"^(=+)\s*([^=]+?)\s*\1$")
# A question alone on its line, short enough to title what follows: an FAQ's ("Quels sont
# les axes thématiques des cours ?") heads its answer, which is no question.
QUESTION_HEADING_WORDS = 20


def _is_heading_line(line: str, after: str) -> bool:
    """A short line without final punctuation ("Historique", "MISSIONS :", "# Title",
    "==History=="), or an FAQ's question followed by its answer."""
    if _MD_HEADING.match(line) or _WIKI_HEADING.match(line):
        return True
    if is_faq_question(line, after):
        return True
    words = line.split()
    if not words or len(words) > 12 or len(line) > 100 or LIST_MARK.match(line):
        return False
    if line[0] in OPENING_QUOTES or not line[0].isupper() and not line[0].isdigit():
        return False
    body = line[:-1].rstrip() if line.endswith(":") else line
    if line.endswith(":") and not (body.isupper() and any(c.isalpha() for c in body)):
        return False  # "Cela se concrétise par :" introduces, it does not title
    return ":" not in body and body[-1:] not in ".!?…;,"


def is_faq_question(line: str, after: str) -> bool:
    """A question on its own line, followed by a line that is no question nor list item."""
    return (line.endswith("?") and len(line.split()) <= QUESTION_HEADING_WORDS
            and line[0].isupper() and bool(after) and not after.endswith("?")
            and not LIST_MARK.match(after))


def _heading_label(line: str) -> str:
    wiki = _WIKI_HEADING.match(line)
    if wiki:
        return wiki.group(2).strip()
    return _MD_HEADING.sub("", line).rstrip(" :").strip()


def parse_blocks(text: str) -> list[Block]:
    """One block per line: headings, list items and paragraphs.

    A line starting in lower case right after an unfinished line continues it
    ("..., entre autres:" / "le droit au logement, ...") and is joined to it.
    """
    lines = text.split("\n")
    filled = [n for n, line in enumerate(lines) if line.strip()]
    following = dict(zip(filled, filled[1:], strict=False))  # the next filled line
    blocks: list[Block] = []
    previous_blank = True
    figure = False  # the last block is a key figure waiting for its label
    for number, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            previous_blank = True
            continue
        after = following.get(number)
        if figure and line[0].islower():
            blocks[-1] = Block("para", f"{blocks[-1].text} {line}")
            figure = False
        elif LIST_MARK.match(line):
            blocks.append(Block("item", line))
        elif after is not None and is_key_figure(line, lines[after].strip()):
            blocks.append(Block("para", line))
            figure = True
            continue
        elif after is not None and _is_heading_line(line, lines[after].strip()):
            blocks.append(Block("heading", _heading_label(line)))
        elif _continues(blocks, line, previous_blank):
            blocks[-1] = Block(blocks[-1].kind, f"{blocks[-1].text} {line}")
        else:
            blocks.append(Block("para", line))
        figure = False
        previous_blank = False
    return blocks


def is_key_figure(line: str, next_line: str) -> bool:
    """"89" over "à travers projets menés dans": a figure of a report's key-figures block,
    whose label follows in lowercase, is the start of a sentence, not a heading (as a
    heading, the figure stayed out of every quotable unit)."""
    return line[0].isdigit() and len(line.split()) <= 4 and next_line[:1].islower() and (
        not line.rstrip().endswith((".", ":", "!", "?")))


def _continues(blocks: list[Block], line: str, previous_blank: bool) -> bool:
    if previous_blank or not blocks or blocks[-1].kind == "heading":
        return False
    return line[0].islower() and blocks[-1].text[-1:] not in ".!?…"
