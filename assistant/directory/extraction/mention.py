"""What extraction finds: one organisation as one passage presents it (``Mention``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Mention:
    """One organisation as one passage presents it (merged across passages later)."""

    name: str
    doc_id: str
    chunk_id: str
    evidence: str  # the unit (sentence or list item) the facts come from, verbatim
    defined: bool  # the passage describes it (not only names it in passing)
    aliases: list[str] = field(default_factory=list)
    description: str = ""
    own_text: str = ""  # what the passage says of it, for themes
    context: str = ""  # the headings above it, for themes
    address: str = ""
    town: str = ""
    website: str = ""
    relations: list[tuple[str, str]] = field(default_factory=list)  # (kind, target name)
    # The lead-in that announced its relations ("Ses partenaires privilégiés sont :"), in
    # another passage than the evidence: what kind of partner it is.
    relation_context: str = ""
    language: str = ""
    themes: dict[str, str] = field(default_factory=dict)  # theme id -> why ("keyword: ...")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mention:
        data = dict(data)
        data["relations"] = [tuple(r) for r in data.get("relations", [])]
        return cls(**data)
