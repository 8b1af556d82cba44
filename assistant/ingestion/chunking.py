"""Structure-aware chunking of cleaned text into citable chunks.

The cleaned documents keep one paragraph per line and headings on their own line.
Chunks follow that structure rather than a fixed window, so that an answer can cite
one organisation's description, one whole list or one section:

- "entry": one paragraph describing one organisation or item (a paragraph that names
  its subject, "X est ...", "X: ...", "X - ...", or the paragraph under a heading
  that names it);
- "list": a run of list items together with the line that introduces them;
- "section": the other prose under a heading, split at sentence boundaries;
- "window": overlapping sentence windows, only for text with no structure at all.

Each chunk also carries its units (sentences and list items), the pieces an answer
quotes; they are always substrings of the chunk text.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.core.types import Chunk

__all__ = ["Chunk", "MAX_UNIT_CHARS", "chunk_document", "preview", "split_units"]

MAX_UNIT_CHARS = 400
OVERRUN_TOLERANCE = 1.1  # a paragraph up to 10% over max_chars is not split

# --------------------------------------------------------------------------- data model




@dataclass(frozen=True)
class _Block:
    kind: str  # "heading", "para" or "item"
    text: str


@dataclass
class _Segment:
    """A piece of the document before it is sized into chunks."""

    kind: str  # "entry", "section" or "list"
    section: str
    text: str = ""  # paragraph text ("entry" / "section") or the list's lead-in
    items: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- word lists

# Markers of a list item at the start of a line: bullets and "1." / "1)" numbers.
_ITEM = re.compile(r"^(?:[•\-*–]\s+|\d{1,2}[.)]\s+)")
_BULLET_MARK = re.compile(r"[•\-*–]\s+")  # used with match(text, pos): no "^"
_MD_HEADING = re.compile(r"^#{1,6}\s+(?=\S)")
_OPENING_QUOTES = "«\"“‘'([„"


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_ABBREVIATIONS = _word_set(
    "e.g i.e cf p pp vol no nr n° m mm mme mmes mlle mr mrs ms dr prof st ste av bd ch vs "
    "approx env resp art al inc ltd co jr sr fig ex bte tél tel ca cfr dept ed eds op cit "
    "etc"
)
# Words that open a sentence without naming its subject: such a paragraph is not a
# self-titled entry ("Pour Solidarité Mondiale, ... est clair" is prose).
_NON_SUBJECT_STARTERS = _word_set(
    "avec pour dans depuis en par via sur au aux à a ici là là-bas ainsi cela ceci ce cet "
    "cette ces ses son sa leur leurs nos notre nous il ils elle elles on tous toutes tout si "
    "bien comme selon outre après avant lorsque quand un une de des du d here there within "
    "in at also for with since we our it its they their this these those to by as after "
    "before finally moreover however when if an plus moins tant telle tel tels telles voici "
    "voilà déjà toujours jamais aujourd’hui aujourd'hui more less such today then so"
)
_ANAPHORA = _word_set("il elle ils elles sa son ses leur leurs it its they their he she his her")
_ENTRY_VERBS = (
    r"(?:est|sont|était|étaient|sera|a pour|ont pour|vise|visent|travaille|travaillent|"
    r"regroupe|regroupent|réunit|réunissent|rassemble|rassemblent|coordonne|propose|offre|"
    r"milite|fédère|représente|permet|is|are|was|were|aims|aim|provides|offers|brings|"
    r"gathers|works|proposes|represents|enables|helps|promotes|supports)"
)
# The subject may hold the dots of an acronym ("The F.T.U. ASBL aims to ...").
_SUBJECT_VERB = re.compile(
    rf"^(?P<subject>(?:[^.!?:;]|(?<=[A-Z])\.){{2,160}}?),?\s+{_ENTRY_VERBS}(?!\w)"
)
_VERB_IN_SENTENCE = re.compile(rf"\s{_ENTRY_VERBS}(?!\w)")
_LABEL_DESCRIPTION = re.compile(r"^(?P<label>[^:.!?]{2,60}?)\s?:\s+(?P<desc>\S.*)$")
_NAME_DASH = re.compile(r"^(?P<name>[^.!?:;,]{1,60}?)\s+[-–—]\s+(?P<desc>\S.*)$")
_NAME_APPOSITION = re.compile(
    r"^(?P<name>[^\W\d_][\w’'&.-]*(?:\s+[^\W\d_][\w’'&.-]*){0,3}),\s+(?P<rest>[a-zà-ÿ].*)$"
)
_ARTICLE = re.compile(r"^(?:(?:le|la|les|the)\s+|l[’'])", re.IGNORECASE)


# --------------------------------------------------------------------------- units


def split_units(text: str) -> list[str]:
    """Split any text into its smallest citable pieces: sentences and list items.

    Lines are hard boundaries; a bullet marker is left out of its item; an inline
    numbered list ("... : 1. a 2. b") gives one unit per number; a unit longer than
    MAX_UNIT_CHARS is cut at ";", ":", "," (then spaces). Units are substrings of text.
    """
    return [text[start:end] for start, end in _unit_spans(text)]


def _unit_spans(text: str, limit: int = MAX_UNIT_CHARS) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for start, end in _line_spans(text):
        bullet = _BULLET_MARK.match(text, start, end)
        body_start = bullet.end() if bullet else start
        for part in _numbered_item_spans(text, body_start, end):
            for sentence in _sentence_spans(text, *part):
                for piece in _limit_length(text, *sentence, limit):
                    _append_unit(text, spans, piece)
    return spans


def _append_unit(text: str, spans: list[tuple[int, int]], span: tuple[int, int]) -> None:
    """Keep a unit; bare punctuation ("»") is glued to the unit before it."""
    start, end = _strip_span(text, *span)
    if start >= end:
        return
    if not re.search(r"\w", text[start:end]):
        if spans and "\n" not in text[spans[-1][1] : start]:
            spans[-1] = (spans[-1][0], end)
        return
    spans.append((start, end))


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _line_spans(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for line in text.split("\n"):
        yield start, start + len(line)
        start += len(line) + 1


_NUMBER_MARK = re.compile(r"(?:^|(?<=\s))(\d{1,2})[.)]\s+(?=\S)")


def _numbered_item_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut "intro : 1. a 2. b 3. c" before each number of a 1, 2, 3... sequence."""
    marks: list[int] = []
    expected = 1
    for mark in _NUMBER_MARK.finditer(text[start:end]):
        if int(mark.group(1)) == expected:
            marks.append(start + mark.start())
            expected += 1
    if len(marks) < 2:
        return [(start, end)]
    bounds = [start, *marks, end]
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False) if a < b]


_NEXT_CHAR = re.compile(r"\s*(\S)")
_SENTENCE_END = re.compile(r"[.!?…]+(?:\s?[»”\"’)\]])*(?=\s+\S)")


def _sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence boundaries for French and English, sparing abbreviations and acronyms."""
    spans: list[tuple[int, int]] = []
    sentence_start = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if _is_sentence_end(text, sentence_start, match):
            spans.append((sentence_start, match.end()))
            sentence_start = match.end()
    spans.append((sentence_start, end))
    return spans


def _is_sentence_end(text: str, sentence_start: int, match: re.Match[str]) -> bool:
    following_match = _NEXT_CHAR.match(text, match.end())
    following = following_match.group(1) if following_match else ""
    word_start = max(text.rfind(" ", sentence_start, match.start()) + 1, sentence_start)
    if word_start >= match.start():
        return False
    word = text[word_start : match.start()].lstrip('(«"“[').casefold()
    punctuation = match.group(0).rstrip(' »”"’)]')
    if punctuation.startswith(".") and not _period_can_end(word, punctuation):
        return False
    if following.isupper() or following.isdigit() or following in _OPENING_QUOTES:
        return True
    # Scraped English often lower-cases sentence starts ("divide. through its...").
    # ... but "etc." followed by a lower-case word continues the sentence ("etc.) et nos ...").
    return (
        punctuation == "." and len(word) >= 3 and word.isalpha() and word.islower()
        and word != "etc"
    )


def _period_can_end(word: str, punctuation: str) -> bool:
    """A period after an abbreviation, a dotted acronym, an initial or a list number is not
    an end ("F.T.U. ASBL", "e.g. the", "J. Dupont", "1. En"); "etc." usually is."""
    if punctuation != ".":
        return True  # "...", "!" or "?" after the word
    if word == "etc":
        return True
    if "." in word or word in _ABBREVIATIONS:
        return False
    if len(word) == 1 and word.isalpha():
        return False
    return not (word.isdigit() and len(word) <= 2)


_CUT_LEVELS = (";", ":", ",", " ")


def _limit_length(
    text: str, start: int, end: int, limit: int, levels: tuple[str, ...] = _CUT_LEVELS
) -> list[tuple[int, int]]:
    """Cut an over-long span at the strongest separator available, greedily."""
    if end - start <= limit:
        return [(start, end)]
    if not levels:
        return [(start, start + limit), *_limit_length(text, start + limit, end, limit, ())]
    separator, weaker = levels[0], levels[1:]
    pattern = r"\s+" if separator == " " else re.escape(separator) + r"(?=\s)"
    cuts = [m.end() for m in re.finditer(pattern, text[start:end])]
    cuts = [start + cut for cut in cuts if 0 < cut < end - start]
    if not cuts:
        return _limit_length(text, start, end, limit, weaker)
    pieces: list[tuple[int, int]] = []
    for piece_start, piece_end in _greedy_pieces(start, end, cuts, limit):
        pieces.extend(_limit_length(text, piece_start, piece_end, limit, weaker))
    return pieces


def _greedy_pieces(start: int, end: int, cuts: list[int], limit: int) -> list[tuple[int, int]]:
    """Longest pieces of at most `limit` that end at cut points; where no cut point is
    close enough, the piece runs to the next one and is left for a weaker separator."""
    pieces: list[tuple[int, int]] = []
    piece_start = start
    for cut in [*cuts, end]:
        if cut - piece_start <= limit:
            continue
        reachable = [c for c in cuts if piece_start < c < cut and c - piece_start <= limit]
        piece_end = reachable[-1] if reachable else cut
        pieces.append((piece_start, piece_end))
        piece_start = piece_end
        if cut - piece_start > limit:  # still too far: an over-long piece on its own
            pieces.append((piece_start, cut))
            piece_start = cut
    if piece_start < end:
        pieces.append((piece_start, end))
    return pieces


# --------------------------------------------------------------------------- blocks


def _is_heading_line(line: str) -> bool:
    """A short line without final punctuation ("Historique", "MISSIONS :", "# Title")."""
    if _MD_HEADING.match(line):
        return True
    words = line.split()
    if not words or len(words) > 12 or len(line) > 100 or _ITEM.match(line):
        return False
    if line[0] in _OPENING_QUOTES or not line[0].isupper() and not line[0].isdigit():
        return False
    body = line[:-1].rstrip() if line.endswith(":") else line
    if line.endswith(":") and not (body.isupper() and any(c.isalpha() for c in body)):
        return False  # "Cela se concrétise par :" introduces, it does not title
    return ":" not in body and body[-1:] not in ".!?…;,"


def _heading_label(line: str) -> str:
    return _MD_HEADING.sub("", line).rstrip(" :").strip()


def _parse_blocks(text: str) -> list[_Block]:
    """One block per line: headings, list items and paragraphs.

    A line starting in lower case right after an unfinished line continues it
    ("..., entre autres:" / "le droit au logement, ...") and is joined to it.
    """
    lines = text.split("\n")
    last_filled = max((n for n, line in enumerate(lines) if line.strip()), default=-1)
    blocks: list[_Block] = []
    previous_blank = True
    for number, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            previous_blank = True
            continue
        has_content_after = number < last_filled
        if _ITEM.match(line):
            blocks.append(_Block("item", line))
        elif _is_heading_line(line) and has_content_after:
            blocks.append(_Block("heading", _heading_label(line)))
        elif _continues(blocks, line, previous_blank):
            blocks[-1] = _Block(blocks[-1].kind, f"{blocks[-1].text} {line}")
        else:
            blocks.append(_Block("para", line))
        previous_blank = False
    return blocks


def _continues(blocks: list[_Block], line: str, previous_blank: bool) -> bool:
    if previous_blank or not blocks or blocks[-1].kind == "heading":
        return False
    return line[0].islower() and blocks[-1].text[-1:] not in ".!?…"


# --------------------------------------------------------------------------- entries


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.casefold())


def _is_acronym(token: str) -> bool:
    letters = [c for c in token if c.isalpha()]
    return len(token) >= 3 and len(letters) >= 2 and all(c.isupper() for c in letters)


def _restates(heading: str, first_text: str) -> bool:
    """Does the first paragraph under `heading` repeat it? Then the heading names an item
    ("Appel pour une école démocratique" / "L'Appel pour une école démocratique est ...")."""
    first_sentence = first_text[slice(*_sentence_spans(first_text, 0, len(first_text))[0])]
    # Only the sentence's subject counts: a topic heading ("Social economy") is often
    # echoed later in its introduction ("... anchored in the social economy").
    verb = _VERB_IN_SENTENCE.search(first_sentence)
    if verb is not None:
        first_sentence = first_sentence[: verb.start()]
    else:
        first_sentence = " ".join(first_sentence.split()[:10])
    heading_words = _words(heading)
    sentence = f" {' '.join(_words(first_sentence))} "
    for size in range(len(heading_words), 1, -1):
        if size / len(heading_words) < 0.6:
            break
        if f" {' '.join(heading_words[:size])} " in sentence:
            return True
    for token in re.split(r"[\s’']+", heading):
        token = token.strip(".,;:()")
        pattern = rf"(?<![\w-]){re.escape(token)}(?![\w-])"
        if _is_acronym(token) and re.search(pattern, first_sentence):
            return True
    return False


def _names_a_subject(subject: str) -> bool:
    """A name ("La Coalition Climat", "Actiris, the Brussels office"), not an adverbial
    opening ("Plus que jamais, les mouvements") nor a pronoun ("Telle", "Nous")."""
    words = subject.split()
    if not words or len(words) > 12:
        return False
    first = re.split(r"[’']", words[0].casefold().strip(",;()"))[0]
    if first in _NON_SUBJECT_STARTERS:
        return False
    head, comma, rest = subject.partition(",")
    if comma and rest.strip()[:1].islower() and not _is_name(head):
        return False
    return _ARTICLE.sub("", subject)[:1].isupper()


def _is_name(text: str) -> bool:
    words = text.split()
    return bool(words) and all(word[:1].isupper() or word[:1].isdigit() for word in words)


def _is_self_titled(text: str, *, allow_colon: bool = False) -> bool:
    """A paragraph that names what it describes: "X est ...", "X: ...", "X - ...", "X, the ..."."""
    if text.endswith(":") and not allow_colon:
        return False
    subject_verb = _SUBJECT_VERB.match(text)
    if subject_verb and _names_a_subject(subject_verb["subject"]):
        return True
    label = _LABEL_DESCRIPTION.match(text)
    if label and _is_label(label["label"]) and _is_description(label["desc"]):
        return True
    dash = _NAME_DASH.match(text)
    if dash and _is_label(dash["name"]) and len(dash["desc"].split()) >= 4:
        return True
    return _is_apposition(text)


def _is_label(label: str) -> bool:
    return len(label.split()) <= 6 and label[:1].isalpha() and label[:1].isupper()


def _is_description(description: str) -> bool:
    words = len(description.split())
    return words >= 10 or (words >= 6 and description.rstrip()[-1:] in ".!?…")


def _is_apposition(text: str) -> bool:
    """Apposition "NAME, the ...": NAME is an acronym or comes back later in the paragraph."""
    match = _NAME_APPOSITION.match(text)
    if match is None:
        return False
    name = match["name"]
    if not _is_name(name):
        return False
    return _is_acronym(name) or re.search(rf"\b{re.escape(name)}\b", match["rest"]) is not None


def _starts_with_anaphora(text: str) -> bool:
    words = _words(text[:20])
    return bool(words) and words[0] in _ANAPHORA


# --------------------------------------------------------------------------- segments


class _Sections:
    """Which heading labels a block. A heading that names an item (restated by its first
    paragraph) labels that item only, until the next self-titled paragraph: in a list of
    organisations the next one must not inherit the previous one's name."""

    def __init__(self) -> None:
        self.topic = ""
        self.name: str | None = None
        self.fresh = False  # the named heading's first block has not been seen yet

    def heading(self, label: str, first_text: str | None) -> None:
        if first_text is not None and _restates(label, first_text):
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


def _first_text(blocks: list[_Block], start: int) -> str | None:
    if start < len(blocks) and blocks[start].kind != "heading":
        return blocks[start].text
    return None


def _segments(blocks: list[_Block], lead_in_max: int) -> list[_Segment]:
    sections = _Sections()
    segments: list[_Segment] = []
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
            new_item = _is_self_titled(lead_in, allow_colon=True)
            section, _ = sections.place(new_item)
            segments.append(_Segment("list", section, lead_in, items))
            position = items_from + len(items)
            continue
        segments.append(_prose_segment(block.text, sections))
        position += 1
    return segments


def _prose_segment(text: str, sections: _Sections) -> _Segment:
    self_titled = _is_self_titled(text)
    section, named = sections.place(self_titled)
    return _Segment("entry" if self_titled or named else "section", section, text)


def _item_run(blocks: list[_Block], start: int) -> list[str]:
    items: list[str] = []
    while start + len(items) < len(blocks) and blocks[start + len(items)].kind == "item":
        items.append(blocks[start + len(items)].text)
    return items


def _split_lead_in(text: str, lead_in_max: int) -> tuple[str, str]:
    """A long paragraph before a list: only its last sentence introduces the list."""
    if len(text) <= lead_in_max:
        return "", text
    last_start = _sentence_spans(text, 0, len(text))[-1][0]
    if len(text) - last_start > lead_in_max:
        return text, ""  # even its last sentence is too long to repeat: plain prose
    return text[:last_start].strip(), text[last_start:].strip()


# --------------------------------------------------------------------------- sizing


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
    for start, end in _sentence_spans(text, 0, len(text)):
        for piece in _limit_length(text, *_strip_span(text, start, end), max_chars):
            piece_text = text[slice(*_strip_span(text, *piece))]
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


def _pack_paragraphs(paragraphs: list[str], max_chars: int) -> list[str]:
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


def _list_bodies(lead_in: str, items: list[str], max_chars: int) -> list[str]:
    """The lead-in and its items; a list too long is split, each part repeating the lead-in."""
    head = f"{lead_in}\n" if lead_in else ""
    if len(head) + len("\n".join(items)) <= max_chars:
        return [head + "\n".join(items)]
    capacity = max_chars - len(head)
    # An item too long to sit beside the lead-in is cut between its sentences.
    items = [piece for item in items for piece in _sentence_pieces(item, capacity)]
    groups = _balanced_groups([len(item) for item in items], capacity)
    return [head + "\n".join(items[index] for index in group) for group in groups]


# --------------------------------------------------------------------------- documents


def chunk_document(
    text: str, *, doc_id: str, title: str, max_chars: int = 1200, window_sentences: int = 5
) -> list[Chunk]:
    """Chunk one cleaned document (see the module docstring for the kinds of chunk)."""
    blocks = _parse_blocks(text)
    if not blocks:
        return []
    if _is_unstructured(blocks, max_chars):
        bodies = [("", "window", body) for body in _windows(text, max_chars, window_sentences)]
    else:
        bodies = _structured_bodies(_segments(blocks, max_chars // 3), max_chars)
    bodies = [body for body in bodies if re.search(r"\w", body[2])]  # punctuation only
    return [
        Chunk(doc_id, index, title, section, kind, body, tuple(split_units(body)))
        for index, (section, kind, body) in enumerate(bodies)
    ]


def _is_unstructured(blocks: list[_Block], max_chars: int) -> bool:
    """No heading, no list, and paragraphs that are few and long (or one big line)."""
    if any(block.kind != "para" for block in blocks):
        return False
    total = sum(len(block.text) for block in blocks)
    return total > max_chars and (len(blocks) == 1 or total / len(blocks) > max_chars)


def _windows(text: str, max_chars: int, window_sentences: int) -> list[str]:
    """Windows of `window_sentences` sentences (fewer if too long), one sentence overlap."""
    spans = _unit_spans(text, min(MAX_UNIT_CHARS, max_chars))
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


def _structured_bodies(segments: list[_Segment], max_chars: int) -> list[tuple[str, str, str]]:
    """(section, kind, body) for each chunk, in document order."""
    bodies: list[tuple[str, str, str]] = []
    position = 0
    while position < len(segments):
        segment = segments[position]
        if segment.kind == "list":
            bodies += [
                (segment.section, "list", body)
                for body in _list_bodies(segment.text, segment.items, max_chars)
            ]
            position += 1
            continue
        group = _prose_group(segments, position)
        paragraphs = [member.text for member in group]
        bodies += [
            (segment.section, segment.kind, body)
            for body in _pack_paragraphs(paragraphs, max_chars)
        ]
        position += len(group)
    return bodies


def _prose_group(segments: list[_Segment], start: int) -> list[_Segment]:
    """The paragraphs chunked together: an entry and the paragraphs that go on about it
    ("Elle ...", "Its ..."), or a run of prose paragraphs under the same heading."""
    first = segments[start]
    group = [first]
    for segment in segments[start + 1 :]:
        if segment.kind != "section" or segment.section != first.section:
            break
        if first.kind == "entry" and not _starts_with_anaphora(segment.text):
            break
        group.append(segment)
    return group


# --------------------------------------------------------------------------- preview


def preview(path: Path | str) -> str:
    """Print (and return) the chunks of one raw file for a reviewer to eyeball: kind,
    section, number of units and text of each chunk."""
    from assistant.ingestion.cleaning import clean_text  # only the preview reads raw files

    source = Path(path)
    fmt = {".md": "md", ".html": "html", ".htm": "html"}.get(source.suffix.lower(), "txt")
    text = clean_text(source.read_text(encoding="utf-8"), fmt)
    lines = [f"##### {source.name}"]
    for chunk in chunk_document(text, doc_id=source.stem, title=source.stem):
        lines.append(
            f"--- [{chunk.index}] {chunk.kind} | section: {chunk.section or '-'} | "
            f"{len(chunk.units)} units | {len(chunk.text)} chars"
        )
        lines.append(chunk.text)
    shown = "\n".join(lines)
    print(shown, end="\n\n")
    return shown


if __name__ == "__main__":
    # python -m assistant.ingestion.chunking FILE... prints the chunks of each file.
    for argument in sys.argv[1:]:
        preview(argument)
