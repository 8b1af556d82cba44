"""The types every stage shares: a document, its chunks, a retrieved passage, a unit
(sentence or list item) with its kind, and an answer with its citations.

Data flows one way through them: Document -> Chunk -> (store) -> Passage -> Unit -> Answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

# A conversation so far: (user question, assistant answer) pairs, oldest first.
History = Sequence[tuple[str, str]]


@dataclass(frozen=True)
class DocumentInfo:
    """What the manifest says of a file (or what could be guessed without one)."""

    doc_id: str
    file: str
    title: str
    organisation: str
    language: str
    original_file: str = ""


@dataclass(frozen=True)
class Document:
    info: DocumentInfo
    text: str  # cleaned
    content_hash: str



@dataclass(frozen=True)
class Chunk:
    doc_id: str  # given by the caller
    index: int  # 0-based order in the document
    title: str  # document title, given by the caller
    section: str  # nearest heading or section label ("" if none)
    kind: str  # "entry", "list", "section" or "window"
    text: str  # the chunk body, cleaned, as shown to users
    units: tuple[str, ...]  # sentences / list items of `text`, in order; substrings of it
    # each unit's kind, decided once by the chunker: "item" (opens a list item) or "sentence"
    unit_kinds: tuple[str, ...] = ()

    def context_text(self) -> str:
        """What gets embedded and indexed: the title and section situate the body."""
        if self.section and self.section.casefold() != self.title.casefold():
            return f"{self.title} — {self.section}\n{self.text}"
        return f"{self.title}\n{self.text}"

    def unit_spans(self) -> list[tuple[int, int]]:
        """Where each unit lies in :meth:`context_text`, as [start, end) offsets: the body
        ends it, and the units are its substrings in order."""
        body_at = len(self.context_text()) - len(self.text)
        spans, searched = [], 0
        for unit in self.units:
            start = self.text.index(unit, searched)
            searched = start + len(unit)
            spans.append((body_at + start, body_at + searched))
        return spans



def chunk_position(chunk_id: str) -> tuple[str, int]:
    """(document, chunk number) from an id "<document hash>-<n>"; ("", 0) for another id."""
    document, _, number = chunk_id.rpartition("-")
    return (document, int(number)) if number.isdigit() else ("", 0)


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk, as the answer engine and the interfaces see it."""

    chunk_id: str
    text: str
    title: str
    section: str
    source: str
    organisation: str
    language: str
    score: float
    rank: int



@dataclass(frozen=True)
class Unit:
    """A sentence or list item of a retrieved passage, with its embedding."""

    passage: Passage
    index: int
    text: str
    vector: np.ndarray  # pooled from its chunk's pass through the model
    kind: str = "sentence"  # "item" (opens a list item) or "sentence", from the chunker
    own_vector: np.ndarray | None = None  # embedded on its own (None: the pooled one serves)

    @property
    def alone_vector(self) -> np.ndarray:
        return self.vector if self.own_vector is None else self.own_vector


@dataclass
class ScoredUnit:
    unit: Unit
    dense: float
    coverage: float
    score: float


@dataclass(frozen=True)
class Citation:
    number: int  # [n] in the answer: the passage's rank among the sources
    passage: Passage
    unit_text: str


@dataclass
class Answer:
    text: str
    abstained: bool
    language: str
    sources: list[Passage] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    standalone_question: str = ""
    route: str = "passages"  # "directory" when the organisation directory answered
    confidence: float = 0.0  # the fitted model's probability of the best unit quoted
    engine: str = "extractive"  # "llm" when a generated, checked text is the answer
    notice: str = ""  # one line on why a generated answer was replaced by this one
    checked: list[dict[str, object]] = field(default_factory=list)  # per generated sentence

