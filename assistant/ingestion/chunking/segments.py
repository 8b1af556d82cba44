"""Blocks grouped into segments: entries, prose under a heading, and lists with the line
that introduces them; each labelled with the heading it belongs to."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.core.sentences import sentence_spans
from assistant.ingestion.chunking.blocks import Block
from assistant.ingestion.chunking.entries import is_self_titled, restates


@dataclass
class Segment:
    """A piece of the document before it is sized into chunks."""

    kind: str  # "entry", "section" or "list"
    section: str
    text: str = ""  # paragraph text ("entry" / "section") or the list's lead-in
    items: list[str] = field(default_factory=list)


class Sections:
    """Which heading labels a block. A heading that names an item (restated by its first
    paragraph) labels that item only, until the next self-titled paragraph: in a list of
    organisations the next one must not inherit the previous one's name."""

    def __init__(self) -> None:
        self.topic = ""
        self.name: str | None = None
        self.fresh = False  # the named heading's first block has not been seen yet

    def heading(self, label: str, first_text: str | None) -> None:
        if first_text is not None and restates(label, first_text):
            self.name, self.fresh = label, True
        else:
            self.topic, self.name, self.fresh = label, None, False

    def place(self, starts_new_item: bool) -> tuple[str, bool]:
        """The section of the next block, and whether it is the named heading's own block."""
        if self.fresh:
            self.fresh = False
            return self.name or "", True
        if self.name is not None and starts_new_item:
            self.name = None
        return self.name or self.topic, False


def _first_text(blocks: list[Block], start: int) -> str | None:
    if start < len(blocks) and blocks[start].kind != "heading":
        return blocks[start].text
    return None


def segments_of(blocks: list[Block], lead_in_max: int) -> list[Segment]:
    sections = Sections()
    segments: list[Segment] = []
    position = 0
    while position < len(blocks):
        block = blocks[position]
        if block.kind == "heading":
            sections.heading(block.text, _first_text(blocks, position + 1))
            position += 1
            continue
        items_from = position + 1 if block.kind == "para" else position
        items = _item_run(blocks, items_from)
        if items:
            lead_in = block.text if block.kind == "para" else ""
            prefix, lead_in = _split_lead_in(lead_in, lead_in_max)
            if prefix:
                segments.append(_prose_segment(prefix, sections))
            new_item = is_self_titled(lead_in, allow_colon=True)
            section, _ = sections.place(new_item)
            segments.append(Segment("list", section, lead_in, items))
            position = items_from + len(items)
            continue
        segments.append(_prose_segment(block.text, sections))
        position += 1
    return segments


def _prose_segment(text: str, sections: Sections) -> Segment:
    self_titled = is_self_titled(text)
    section, named = sections.place(self_titled)
    return Segment("entry" if self_titled or named else "section", section, text)


def _item_run(blocks: list[Block], start: int) -> list[str]:
    items: list[str] = []
    while start + len(items) < len(blocks) and blocks[start + len(items)].kind == "item":
        items.append(blocks[start + len(items)].text)
    return items


def _split_lead_in(text: str, lead_in_max: int) -> tuple[str, str]:
    """A long paragraph before a list: only its last sentence introduces the list."""
    if len(text) <= lead_in_max:
        return "", text
    last_start = sentence_spans(text, 0, len(text))[-1][0]
    if len(text) - last_start > lead_in_max:
        return text, ""  # even its last sentence is too long to repeat: plain prose
    return text[:last_start].strip(), text[last_start:].strip()
