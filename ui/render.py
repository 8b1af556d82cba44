"""Safe rendering of questions, answers and sources for the web chat.

Documents hold raw HTML (``<ul style=...>``) and users can type anything, so every piece
of text from a document or a user is escaped here before it reaches the page; the only
live markup is the little this module writes itself.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from assistant.answer import Answer, Citation
from assistant.messages import message
from assistant.retrieval import Passage

# Markdown that would fetch or link something even from escaped text: images, inline links,
# reference definitions. The chatbot renders Markdown, so these get a backslash.
_IMAGE = re.compile(r"!\[")
_INLINE_LINK = re.compile(r"\]\(")
_REFERENCE = re.compile(r"^(\s*)\[(?=[^\]\n]*\]:)", re.MULTILINE)  # "[x]: url", not "[1] WSM"


def chat_markdown(text: str) -> str:
    """User or document text as inert chatbot Markdown: HTML escaped, links neutralised.

    Quotes stay as they are (``quote=False``): they only matter inside attributes, and
    French answers are full of apostrophes.
    """
    escaped = html.escape(text, quote=False)
    escaped = _IMAGE.sub(r"!\\[", escaped)
    escaped = _INLINE_LINK.sub(r"]\\(", escaped)
    return _REFERENCE.sub(r"\1\\[", escaped)


def find_spans(text: str, sentences: Iterable[str]) -> list[tuple[int, int]]:
    """Where the cited sentences lie in the passage (whitespace may differ), merged."""
    spans = []
    for sentence in sentences:
        words = sentence.split()
        if not words:
            continue
        pattern = r"\s+".join(re.escape(w) for w in words)
        match = re.search(pattern, text)
        if match:
            spans.append((match.start(), match.end()))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight(text: str, sentences: Iterable[str]) -> str:
    """The passage as escaped HTML, each cited sentence (escaped too) inside <mark>."""
    pieces = []
    position = 0
    for start, end in find_spans(text, sentences):
        pieces.append(html.escape(text[position:start]))
        pieces.append(f"<mark>{html.escape(text[start:end])}</mark>")
        position = end
    pieces.append(html.escape(text[position:]))
    return "".join(pieces)


def cited_passages(citations: Sequence[Citation]) -> list[tuple[Passage, list[str]]]:
    """Each cited passage once, in citation-number order, with the sentences it backs."""
    by_rank: dict[int, tuple[Passage, list[str]]] = {}
    for citation in citations:
        entry = by_rank.setdefault(citation.number, (citation.passage, []))
        entry[1].append(citation.unit_text)
    return [by_rank[rank] for rank in sorted(by_rank)]


def source_html(number: int, passage: Passage, sentences: Sequence[str], lang: str) -> str:
    """One source card: title, organisation, section, file, passage with highlights."""
    meta = [message("ui_source_organisation", lang, organisation=html.escape(passage.organisation))]
    if passage.section:
        meta.append(message("ui_source_section", lang, section=html.escape(passage.section)))
    meta.append(message("ui_source_file", lang, file=html.escape(passage.source)))
    return (
        f'<section class="source" id="source-{number}">'
        f'<h4><span class="source-number">[{number}]</span> {html.escape(passage.title)}</h4>'
        f'<p class="source-meta">{" · ".join(meta)}</p>'
        f'<div class="source-passage">{highlight(passage.text, sentences)}</div>'
        "</section>"
    )


def sources_html(answer: Answer | None, lang: str) -> str:
    """The sources panel for an answer: its cited passages, or a plain 'no source' line."""
    if answer is None:
        return _note("ui_sources_empty", lang)
    if answer.abstained or not answer.citations:
        return _note("ui_sources_none", lang)
    cards = [
        source_html(passage.rank, passage, sentences, lang)
        for passage, sentences in cited_passages(answer.citations)
    ]
    return '<div class="sources">' + "".join(cards) + "</div>"


def _note(key: str, lang: str) -> str:
    return f'<p class="sources-note">{html.escape(message(key, lang))}</p>'


CSS = """
#sources .source { border-left: 3px solid var(--color-accent); padding: 0 0 0 .75em;
                   margin-bottom: 1em; }
#sources .source-meta { font-size: .85em; opacity: .8; margin: .2em 0; }
#sources .source-passage { white-space: pre-wrap; font-size: .9em; }
#sources mark { background: #fde68a; color: inherit; padding: 0 .1em; }
#sources .sources-note { font-style: italic; }
/* On a phone the language choice goes under the title instead of squeezing it. */
@media (max-width: 640px) {
  #header-row { flex-wrap: wrap; }
  #header-row > * { min-width: 100% !important; flex-basis: 100% !important; }
}
"""
