"""Safe rendering of questions, answers and sources for the web chat.

Documents hold raw HTML (``<ul style=...>``) and users can type anything, so every piece
of text from a document or a user is escaped here before it reaches the page; the only
live markup is the little this module writes itself.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

from assistant.core.messages import message
from assistant.core.types import Answer, Citation, Passage
from assistant.directory.organisations import Organisation, Relation, theme_by_id
from ui.views import Exchange, Turn

# Markdown that would fetch or link something even from escaped text: images, inline links,
# reference definitions. The chatbot renders Markdown, so these get a backslash.
_IMAGE = re.compile(r"!\[")
_INLINE_LINK = re.compile(r"\]\(")
# "[x]: url" anywhere, in a list item or a quote too ("- [r]: http://..." defined a link
# whose text hid its target); not "[1] WSM".
_REFERENCE = re.compile(r"\[(?=[^\]\n]*\]:)")
# What the chatbot's Markdown turns into a live link by itself (GFM autolinks): an address
# with a scheme, "www.", "mailto:" or an e-mail address, within a run of non-spaces.
_AUTOLINK_TOKEN = re.compile(r"\S*(?:://|www\.|mailto:|xmpp:|@[\w-]+\.)\S*", re.IGNORECASE)
_AUTOLINK_PARTS = re.compile(r"://|(?<![\w.])www\.|mailto:|xmpp:|@", re.IGNORECASE)
_EDGES = "()[]{}<>.,;:!?*_~\"'«»“”‘’\\"


def chat_markdown(text: str, links: Iterable[str] = ()) -> str:
    """User or document text as inert chatbot Markdown: HTML escaped, links neutralised.

    Bare addresses ("https://…", "www.…", "mailto:…", e-mail addresses) become live links
    only when they are in ``links`` (the addresses the cited documents write: see
    ``document_links``); any other is written with Markdown escapes, which read the same
    and link nothing (typed text, issue 19).

    Quotes stay as they are (``quote=False``): they only matter inside attributes, and
    French answers are full of apostrophes.
    """
    escaped = html.escape(text, quote=False)
    escaped = _IMAGE.sub(r"!\\[", escaped)
    escaped = _INLINE_LINK.sub(r"]\\(", escaped)
    escaped = _REFERENCE.sub(r"\\[", escaped)
    allowed = frozenset(links)
    return _AUTOLINK_TOKEN.sub(lambda m: _inert_unless(m.group(0), allowed), escaped)


def _inert_unless(token: str, allowed: frozenset[str]) -> str:
    if token.strip(_EDGES) in allowed and "\\" not in token:
        return token
    return _AUTOLINK_PARTS.sub(lambda m: "\\" + m.group(0) if m.group(0) == "@"
                               else m.group(0).replace(":", "\\:").replace(".", "\\."), token)


def document_links(answer: Answer | None) -> frozenset[str]:
    """The addresses written in the passages an answer cites: the only ones its reply may
    show as live links."""
    if answer is None:
        return frozenset()
    texts = (c.passage.text for c in answer.citations)
    return frozenset(m.group(0).strip(_EDGES) for text in texts
                     for m in _AUTOLINK_TOKEN.finditer(html.escape(text, quote=False)))


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


# -- citation numbers ---------------------------------------------------------------------------
# The service numbers a citation by its passage's rank among the retrieved passages ("[5]"
# for a one-source answer); people see 1..n in the order the answer cites them. Only the
# display changes: the service's answer, the command line and the feedback rows keep the
# service's numbers.
_MARKER = re.compile(r"(?<!\\)\[(\d+)\]")


def citation_numbers(answer: Answer | None) -> dict[int, int]:
    """Service number -> shown number, 1..n in the order the answer's text first cites them
    (a cited passage the text never names comes after, by rank)."""
    if answer is None:
        return {}
    cited = {c.number for c in answer.citations}
    order: list[int] = []
    for match in _MARKER.finditer(answer.text):
        number = int(match.group(1))
        if number in cited and number not in order:
            order.append(number)
    order += sorted(cited - set(order))
    return {number: shown for shown, number in enumerate(order, start=1)}


def renumbered(text: str, numbers: dict[int, int]) -> str:
    """The text with each cited [n] replaced by its shown number (others untouched)."""
    def shown(match: re.Match[str]) -> str:
        number = int(match.group(1))
        return f"[{numbers[number]}]" if number in numbers else match.group(0)

    return _MARKER.sub(shown, text)


def shown_reply(reply: str, answer: Answer | None) -> str:
    return renumbered(reply, citation_numbers(answer))


def chat_messages(session: Sequence[Exchange], turns: Sequence[Turn] = (),
                  lang: str = "fr") -> list[dict[str, str]]:
    """Chatbot messages: user and assistant alternate, every text escaped, citations
    numbered as the sources panel shows them; then the answer being written and the
    questions waiting their turn, each said so. The [n] stay text (the chatbot's copy
    button copies the text as it is): the page's script makes them links."""
    messages = []
    for exchange in session:
        messages.append({"role": "user", "content": chat_markdown(exchange.question)})
        messages.append({"role": "assistant",
                         "content": chat_markdown(shown_reply(exchange.reply, exchange.answer),
                                                    links=document_links(exchange.answer))})
    for position, turn in enumerate(turns):
        if turn.reply:
            reply = chat_markdown(turn.reply)
        else:  # the first one is being answered (or about to be): the others wait
            reply = html.escape(message("ui_thinking" if turn.started or position == 0
                                        else "ui_queued", lang), quote=False)
        messages.append({"role": "user", "content": chat_markdown(turn.question)})
        messages.append({"role": "assistant", "content": reply})
    return messages


def source_html(number: int, passage: Passage, sentences: Sequence[str], lang: str,
                exchange: int | None = None) -> str:
    """One source card: title, organisation, section, file, passage with highlights, and
    (for an exchange of the conversation) a button opening the whole document there."""
    meta = [message("ui_source_organisation", lang, organisation=html.escape(passage.organisation))]
    if passage.section:
        meta.append(message("ui_source_section", lang, section=html.escape(passage.section)))
    meta.append(message("ui_source_file", lang, file=html.escape(passage.source)))
    opener = ""
    if exchange is not None:
        opener = (f'<button type="button" class="open-document" data-exchange="{exchange}" '
                  f'data-number="{number}">{html.escape(message("ui_open_document", lang))}'
                  "</button>")
    return (
        f'<section class="source" id="source-{number}" data-number="{number}">'
        f'<h4><span class="source-number">[{number}]</span> {html.escape(passage.title)}</h4>'
        f'<p class="source-meta">{" · ".join(meta)}</p>'
        f'<div class="source-passage">{highlight(passage.text, sentences)}</div>'
        f"{opener}</section>"
    )


def sources_html(answer: Answer | None, lang: str, exchange: int | None = None) -> str:
    """The sources panel for an answer: its cited passages numbered as its text shows them,
    or a plain 'no source' line."""
    if answer is None:
        return _note("ui_sources_empty", lang)
    if answer.abstained or not answer.citations:
        return _note("ui_sources_none", lang)
    numbers = citation_numbers(answer)
    cards = sorted(
        (numbers[passage.rank], passage, sentences)
        for passage, sentences in cited_passages(answer.citations)
    )
    attribute = f' data-exchange="{exchange}"' if exchange is not None else ""
    return (f'<div class="sources"{attribute}>'
            + "".join(source_html(n, p, s, lang, exchange) for n, p, s in cards) + "</div>")


def cited_sentences(answer: Answer, shown_number: int) -> tuple[Passage, list[str]] | None:
    """The passage behind shown citation ``shown_number`` of an answer, with its sentences."""
    numbers = citation_numbers(answer)
    for passage, sentences in cited_passages(answer.citations):
        if numbers.get(passage.rank) == shown_number:
            return passage, sentences
    return None


def document_html(passages: Sequence[Passage], focus: Passage, sentences: Sequence[str],
                  lang: str) -> str:
    """A whole document, its passages in order under their section headings, the cited
    passage framed (``id="doc-focus"``) with its cited sentences marked; all escaped."""
    head = passages[0] if passages else focus
    meta = [message("ui_source_organisation", lang, organisation=html.escape(head.organisation)),
            message("ui_source_file", lang, file=html.escape(head.source))]
    parts = [f'<article class="document"><h3 class="document-title">{html.escape(head.title)}'
             f'</h3><p class="source-meta">{" · ".join(meta)}</p>']
    section = None
    for passage in passages:
        if passage.section and passage.section != section:
            parts.append(f'<h4 class="document-section">{html.escape(passage.section)}</h4>')
        section = passage.section
        if passage.chunk_id == focus.chunk_id:
            parts.append(f'<div class="document-passage" id="doc-focus">'
                         f"{highlight(passage.text, sentences)}</div>")
        else:
            parts.append(f'<div class="document-passage">{html.escape(passage.text)}</div>')
    parts.append("</article>")
    return "".join(parts)


def document_note(key: str, lang: str) -> str:
    return f'<p class="document-note">{html.escape(message(key, lang))}</p>'


def _note(key: str, lang: str) -> str:
    return f'<p class="sources-note">{html.escape(message(key, lang))}</p>'


# -- the organisation directory --------------------------------------------------------------
# A website becomes a link only when it plainly is one (http(s):// or www.): never a
# javascript: or data: address from a document.
_WEBSITE = re.compile(r"^(?:https?://|www\.)[^\s<>\"'`]+$", re.IGNORECASE)


def theme_label(theme_id: str, lang: str) -> str:
    """A theme's name in ``lang`` (its id when the vocabulary no longer has it)."""
    theme = theme_by_id(theme_id)
    return theme.label(lang) if theme else theme_id


def relation_text(relation: Relation, lang: str) -> str:
    """The relation as "member of CNCD-11.11.11", escaped (an unknown kind shows as its
    own words)."""
    try:
        kind = message(f"relation_{relation.kind}", lang)
    except KeyError:
        kind = relation.kind.replace("_", " ")
    return f"{html.escape(kind)} {html.escape(relation.target_name)}"


def website_html(website: str) -> str:
    if not _WEBSITE.match(website):
        return html.escape(website)
    href = website if website.lower().startswith(("http://", "https://")) else f"https://{website}"
    return (f'<a href="{html.escape(href, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer nofollow">{html.escape(website)}</a>')


def organisation_html(number: int, org: Organisation, lang: str) -> str:
    """One directory card: title, other names, website, description, town, themes,
    relations and the quoted source texts, all escaped."""
    parts = [f'<article class="org" id="org-{number}">',
             f'<h4 class="org-title">{html.escape(org.title)}</h4>']
    if org.aliases:
        parts.append(f'<p class="org-aliases">{" · ".join(html.escape(a) for a in org.aliases)}'
                     "</p>")
    if org.website:
        parts.append(f'<p class="org-website">{website_html(org.website)}</p>')
    if org.description:
        parts.append(f'<p class="org-description" tabindex="0">{html.escape(org.description)}</p>')
    facts = []
    place = [p for p in (org.town, org.address) if p]
    if org.town and org.address and org.town in org.address:
        place = [org.address]
    if place:
        facts.append(_fact("orgs_town", "org-town", html.escape(" · ".join(place)), lang))
    if org.themes:
        labels = sorted(theme_label(t, lang) for t in org.themes)
        facts.append(_fact("orgs_themes", "org-themes", " ".join(
            f'<span class="org-theme">{html.escape(label)}</span>' for label in labels), lang))
    if org.relations:
        items = "".join(f"<li>{relation_text(r, lang)}</li>" for r in org.relations)
        facts.append(_fact("orgs_relations", "org-relations", f"<ul>{items}</ul>", lang))
    if facts:
        parts.append(f'<dl class="org-facts">{"".join(facts)}</dl>')
    if org.sources:
        quotes = "".join(
            f'<blockquote class="org-source">{html.escape(s.text)}</blockquote>'
            for s in org.sources
        )
        parts.append(f'<details class="org-sources"><summary>'
                     f'{html.escape(message("orgs_sources", lang))} ({len(org.sources)})'
                     f"</summary>{quotes}</details>")
    parts.append("</article>")
    return "".join(parts)


def _fact(key: str, css_class: str, value_html: str, lang: str) -> str:
    return (f'<dt class="{css_class}">{html.escape(message(key, lang))}</dt>'
            f'<dd class="{css_class}">{value_html}</dd>')


DIRECTORY_PAGE = 20  # cards shown at first; the others one click away


def directory_html(organisations: Sequence[Organisation], lang: str) -> str:
    """The directory panel: "N organisation(s)", the first ``DIRECTORY_PAGE`` cards, then
    the others behind a "show the N others" fold."""
    count = html.escape(message("orgs_header", lang, count=len(organisations)))
    cards = [organisation_html(i, org, lang) for i, org in enumerate(organisations, 1)]
    shown, folded = cards[:DIRECTORY_PAGE], cards[DIRECTORY_PAGE:]
    more = ""
    if folded:
        label = html.escape(message("ui_directory_more", lang, count=len(folded)))
        more = (f'<details class="directory-more"><summary>{label}</summary>'
                f'{"".join(folded)}</details>')
    return (f'<div class="directory"><p class="directory-count">{count}</p>{"".join(shown)}'
            f"{more}</div>")


def directory_note(text: str) -> str:
    """A one-line message (an unknown theme, a missing index) in place of the cards."""
    return f'<p class="directory-note">{html.escape(text)}</p>'
