"""Segments sized into chunk bodies of at most ``max_chars``: paragraphs packed and split
only between sentences, long lists split (each part repeating its lead-in), and sentence
windows for text with no structure."""

from __future__ import annotations

from assistant.core.sentences import sentence_spans
from assistant.ingestion.chunking.entries import starts_with_anaphora
from assistant.ingestion.chunking.segments import Segment
from assistant.ingestion.chunking.units import MAX_UNIT_CHARS, limit_length, strip_span, unit_spans

OVERRUN_TOLERANCE = 1.1  # a paragraph up to 10% over max_chars is not split


def _balanced_groups(lengths: list[int], max_chars: int) -> list[list[int]]:
    """Group consecutive pieces (by index) into as few groups as fit in max_chars, then
    even them out: the smallest capacity that needs no more groups decides the cuts."""

    def fill(capacity: int) -> list[list[int]]:
        groups: list[list[int]] = []
        size = 0
        for index, length in enumerate(lengths):
            if groups and size + 1 + length <= capacity:
                groups[-1].append(index)
                size += 1 + length
            else:
                groups.append([index])
                size = length
        return groups

    needed = len(fill(max_chars))
    low, high = max([*lengths, 1]), max(max_chars, max([*lengths, 1]))
    while low < high:
        middle = (low + high) // 2
        if len(fill(middle)) <= needed:
            high = middle
        else:
            low = middle + 1
    return fill(low)


def _sentence_pieces(text: str, max_chars: int) -> list[str]:
    """Sentences of a paragraph; a sentence longer than max_chars is cut at clauses."""
    pieces: list[str] = []
    for start, end in sentence_spans(text, 0, len(text)):
        for piece in limit_length(text, *strip_span(text, start, end), max_chars):
            piece_text = text[slice(*strip_span(text, *piece))]
            if piece_text:
                pieces.append(piece_text)
    return pieces


def _is_pull_quote(paragraph: str) -> bool:
    return (
        len(paragraph) < 300 and paragraph[:1] in '«"“' and paragraph.rstrip(" .!?")[-1:] in '»"”'
    )


def _glue_pull_quotes(paragraphs: list[str], max_chars: int) -> list[str]:
    """A paragraph that is only a quotation introduces the next one: keep them together."""
    glued: list[str] = []
    for paragraph in paragraphs:
        previous = glued[-1] if glued else ""
        fits = len(previous) + 1 + len(paragraph) <= max_chars
        if previous and _is_pull_quote(previous.split("\n")[-1]) and fits:
            glued[-1] = f"{previous}\n{paragraph}"
            continue
        glued.append(paragraph)
    return glued


def pack_paragraphs(paragraphs: list[str], max_chars: int) -> list[str]:
    """Paragraphs joined into bodies of at most max_chars; a paragraph is split only at
    sentence boundaries, and only when it does not fit alone."""
    pieces: list[tuple[str, bool]] = []  # (text, starts a paragraph)
    for paragraph in _glue_pull_quotes(paragraphs, max_chars):
        # A paragraph barely over the limit stays whole: cutting a section into a big piece
        # and a one-sentence remainder loses more (the remainder has no context) than it saves.
        if len(paragraph) <= max_chars * OVERRUN_TOLERANCE:
            pieces.append((paragraph, True))
            continue
        sentences = _sentence_pieces(paragraph, max_chars)
        pieces.extend((sentence, number == 0) for number, sentence in enumerate(sentences))
    groups = _balanced_groups([len(text) for text, _ in pieces], max_chars)
    bodies: list[str] = []
    for group in groups:
        body = pieces[group[0]][0]
        for index in group[1:]:
            text, new_paragraph = pieces[index]
            body += ("\n" if new_paragraph else " ") + text
        bodies.append(body)
    return bodies


def list_bodies(lead_in: str, items: list[str], max_chars: int) -> list[str]:
    """The lead-in and its items; a list too long is split, each part repeating the lead-in."""
    head = f"{lead_in}\n" if lead_in else ""
    if len(head) + len("\n".join(items)) <= max_chars:
        return [head + "\n".join(items)]
    capacity = max_chars - len(head)
    # An item too long to sit beside the lead-in is cut between its sentences.
    items = [piece for item in items for piece in _sentence_pieces(item, capacity)]
    groups = _balanced_groups([len(item) for item in items], capacity)
    return [head + "\n".join(items[index] for index in group) for group in groups]


def window_bodies(text: str, max_chars: int, window_sentences: int) -> list[str]:
    """Windows of `window_sentences` sentences (fewer if too long), one sentence overlap."""
    spans = unit_spans(text, min(MAX_UNIT_CHARS, max_chars))
    windows: list[str] = []
    first = 0
    size = max(1, window_sentences)
    while first < len(spans):
        last = min(first + size, len(spans))
        while last - first > 1 and spans[last - 1][1] - spans[first][0] > max_chars:
            last -= 1
        windows.append(text[spans[first][0] : spans[last - 1][1]])
        if last == len(spans):
            break
        first = last - 1 if last - first > 1 else last
    return windows


def structured_bodies(segments: list[Segment], max_chars: int) -> list[tuple[str, str, str]]:
    """(section, kind, body) for each chunk, in document order."""
    bodies: list[tuple[str, str, str]] = []
    position = 0
    while position < len(segments):
        segment = segments[position]
        if segment.kind == "list":
            bodies += [
                (segment.section, "list", body)
                for body in list_bodies(segment.text, segment.items, max_chars)
            ]
            position += 1
            continue
        group = _prose_group(segments, position)
        paragraphs = [member.text for member in group]
        bodies += [
            (segment.section, segment.kind, body)
            for body in pack_paragraphs(paragraphs, max_chars)
        ]
        position += len(group)
    return bodies


def _prose_group(segments: list[Segment], start: int) -> list[Segment]:
    """The paragraphs chunked together: an entry and the paragraphs that go on about it
    ("Elle ...", "Its ..."), or a run of prose paragraphs under the same heading."""
    first = segments[start]
    group = [first]
    for segment in segments[start + 1 :]:
        if segment.kind != "section" or segment.section != first.section:
            break
        if first.kind == "entry" and not starts_with_anaphora(segment.text):
            break
        group.append(segment)
    return group
