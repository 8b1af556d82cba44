"""Turn raw scraped documents (txt, md, html) into clean, line-structured text.

The sources are web scrapes: HTML fragments, tab tables, image captions glued to
the next word, "Read more" links, empty profile fields. Every rule here is generic
(it names no organisation and no string of a particular file) and conservative: when
a rule is unsure, the text is left as it is. Line and paragraph structure is kept
because chunking relies on it (one paragraph per line, headings on their own line).
"""

from __future__ import annotations

import html
import re
import sys
import unicodedata
from collections.abc import Callable, Iterable
from functools import cache
from html.parser import HTMLParser

__all__ = ["FORMATS", "clean_text", "html_to_text", "strip_markdown"]

FORMATS = ("txt", "md", "html")

# --------------------------------------------------------------------------- word lists


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Capitalised function words that open a sentence. A caption glued to one of them is
# recognisable ("Dame qui étudieThe AID network"); a glued proper noun is not.
SENTENCE_OPENERS = _word_set(
    """The This These Those Here There It Its In At On Our We With Within For From As
    Since After Before By To Through Le La Les Un Une Des Ce Cet Cette Ces Il Ils Elle
    Elles Nous Notre Nos Dans Pour Avec Depuis Par Sur En Au Aux Ici Voici Son Sa Ses
    Leur Leurs Cela Chaque"""
)
# Lower-case function words an acronym is sometimes glued to ("ABCDthe Consortium").
_GLUED_LOWER_WORDS = ("the", "le", "la", "les", "des", "du", "of", "and", "et")
# Words a doubled first capital ("LLe") may be repaired into.
_SHORT_WORDS = SENTENCE_OPENERS | {"De", "Du", "Et", "And", "Of", "Or", "Ou", "Si", "If"}

# Image-caption markers left by scrapers in front of the alt text.
_CAPTION_MARKERS = ("Logo", "Image", "Photo", "Icon", "Icône", "Illustration", "Picture", "Visuel")

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

# --------------------------------------------------------------------------- regexes

_SPACES = re.compile("[\u00a0\u202f\u2007\u2009\u200a\u2002-\u2006\u2008\u205f\u3000]")
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_AUTOLINK = re.compile(r"<((?:https?://|ftp://|mailto:|www\.)[^\s<>]+|[\w.+-]+@[\w-]+\.[\w.-]+)>")
_HTML_TAG_NAMES = (
    "a|abbr|address|article|aside|audio|b|blockquote|body|br|button|caption|center|code|dd|"
    "div|dl|dt|em|fieldset|figcaption|figure|font|footer|form|h[1-6]|head|header|hr|html|i|"
    "iframe|img|input|label|li|link|main|meta|nav|noscript|ol|option|p|picture|pre|script|"
    "section|select|small|source|span|strong|style|sub|sup|svg|table|tbody|td|template|"
    "textarea|tfoot|th|thead|title|tr|u|ul|video"
)
_HTML_TAG = re.compile(rf"<!--|</?(?:{_HTML_TAG_NAMES})\b[^<>]*>", re.IGNORECASE)

_BULLET_START = re.compile(r"^\s*(?:-\*|[-*+–]|[•◦▪▫■□●○‣⁃∙·])\s+")
_GLYPH_BULLET_START = re.compile(r"^\s*[•◦▪▫■□●○‣⁃∙]\s*")
_INLINE_BULLET = re.compile(r"\s*•\s*")
# "item one)- Item two": a dash glued to the previous word, then a capitalised item.
_GLUED_DASH_ITEM = re.compile(r"(?<=[^\s-])-\s+(?=[A-ZÀ-ÖØ-Þ«\"“])")
_DOUBLED_CAPITAL = re.compile(r"(?<!\w)([A-ZÀ-ÖØ-Þ])\1([a-zß-öø-ÿ]{1,5})(?!\w)")
# Acronym glued to a capitalised word ("ABCDWord"); three capitals at least keeps
# names such as "UCLouvain" or "KULeuven" intact.
_ACRONYM_GLUED_WORD = re.compile(r"(?<![\w-])([A-Z]{3,})([A-Z][a-zß-öø-ÿ]{3,})(?![\w-])")
_ACRONYM_GLUED_LOWER = re.compile(rf"(?<![\w-])([A-Z]{{3,}})({'|'.join(_GLUED_LOWER_WORDS)})(?=\s)")
_MARKER = re.compile(rf"(?<!\S)(?:{'|'.join(_CAPTION_MARKERS)})\s+")
_LONE_CAPTION = re.compile(rf"^(?:{'|'.join(_CAPTION_MARKERS)})(?:\s+[^\s.!?:;,]+){{0,4}}$")

_DEBRIS_LINE = re.compile(
    r"^[\W_]*(?:read more|read the rest|continue reading|learn more|see more|show more|"
    r"more info|lire la suite|lire plus|en savoir plus|voir plus|plus d['’]infos?|"
    r"click here|cliquez ici|share|partager|print|imprimer|back to top|haut de page|"
    r"retour en haut(?: de la page)?)[\W_]*$",
    re.IGNORECASE,
)
_FILE_TYPES = r"pdf|docx?|xlsx?|pptx?|odt|ods|odp|rtf|zip|csv|epub|mp3|mp4|jpe?g|png"
_DOWNLOAD_DEBRIS = re.compile(
    rf"^[\W_]*(?:(?:{_FILE_TYPES})\b[\s\-–—:,(]*)?\d+(?:[.,]\d+)?\s*"
    r"(?:ko|mo|go|kb|mb|gb|kio|mio|octets|bytes)\b[\W_]*$"
    rf"|^[\W_]*(?:(?:télécharger|telecharger|download)(?:\s+(?:le|la|the|this))?"
    rf"(?:\s+(?:{_FILE_TYPES}|document|fichier|file))?|{_FILE_TYPES})[\W_]*$",
    re.IGNORECASE,
)
_FIELD = re.compile(r"^(?P<label>[^:]{1,60}?)\s*:\s*(?P<value>.*)$")
_TERMINAL_PUNCT = ".!?…;"
_UNCLOSED_COMMENT = re.compile(r"<!--(?!.*?-->)", re.DOTALL)
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")


# --------------------------------------------------------------------------- public API


def clean_text(raw: str, fmt: str = "txt") -> str:
    """Clean one document; `fmt` is "txt", "md" or "html". Raises ValueError otherwise."""
    if fmt not in FORMATS:
        raise ValueError("reason_unsupported")
    text = _normalise_characters(raw)
    if fmt == "html":
        text = html_to_text(text)
    elif fmt == "md":
        text = strip_markdown(text)
    text = _AUTOLINK.sub(r"\1", text)
    text = _convert_tables(text)
    if _HTML_TAG.search(text):
        text = html_to_text(text, keep_whitespace=True)
    # Entities left in plain text ("&amp;"); only complete ones, so "R&D" stays as it is.
    text = _ENTITY.sub(lambda m: html.unescape(m.group(0)), text)
    lines = _clean_lines(_SPACES.sub(" ", text).split("\n"))
    return _normalise_whitespace(lines)


def html_to_text(markup: str, *, keep_whitespace: bool = False) -> str:
    """HTML to text with the stdlib parser: tags dropped, blocks and <li> on their own line.

    keep_whitespace=True is for fragments inside plain text, whose own line breaks and
    tabs carry structure; for whole HTML documents whitespace collapses as in a browser.
    """
    parser = _HtmlToText(keep_whitespace=keep_whitespace)
    # The stdlib parser stops at a comment that never ends and hands back the rest raw,
    # tags included: drop the opener so the text after it is parsed (and kept).
    markup = _UNCLOSED_COMMENT.sub("", markup)
    try:
        parser.feed(markup)
        parser.close()
    except AssertionError:  # Python < 3.13 asserts on some malformed "<![" declarations
        return html.unescape(_HTML_TAG.sub(" ", markup))
    return parser.text()


def strip_markdown(text: str) -> str:
    """Remove markdown syntax, keeping headings as "# Title" lines and tables as tab rows."""
    lines = [line for line in text.split("\n") if not _MD_FENCE.match(line)]
    lines = _setext_to_atx(lines)
    lines = _pipe_tables_to_tabs(lines)
    out: list[str] = []
    for line in lines:
        if _MD_REFERENCE_DEF.match(line) or _MD_RULE.match(line):
            out.append("")
            continue
        line = _MD_QUOTE.sub("", line)
        line = _MD_HEADING.sub(lambda m: f"{m.group(1)} {m.group(2).strip()}", line)
        out.append(_strip_inline_markdown(line))
    return "\n".join(out)


# --------------------------------------------------------------------------- characters


def _normalise_characters(raw: str) -> str:
    """Unify newlines, spaces and Unicode forms so later regexes see one spelling."""
    text = unicodedata.normalize("NFC", raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\v", "\n")
    text = _INVISIBLE.sub("", text)
    text = _unprintable().sub("", text)
    return _SPACES.sub(" ", text)


@cache
def _unprintable() -> re.Pattern[str]:
    """Control, format, surrogate and private-use characters, tab and newline excepted: a
    scraped or binary-tainted file must not carry them into passages, answers or the UI."""
    dropped = {"Cc", "Cf", "Cs", "Co"}
    codes = [c for c in range(sys.maxunicode + 1)
             if unicodedata.category(chr(c)) in dropped and chr(c) not in "\t\n"]
    ranges: list[list[int]] = []
    for code in codes:  # consecutive code points as one range: a short character class
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    parts = (re.escape(chr(a)) + (f"-{re.escape(chr(b))}" if b > a else "") for a, b in ranges)
    return re.compile("[" + "".join(parts) + "]")


# --------------------------------------------------------------------------- HTML


class _HtmlToText(HTMLParser):
    """Collects text; block tags become line breaks, table cells become tab-separated."""

    _BLOCK = _word_set(
        "address article aside blockquote body caption dd div dl dt fieldset figcaption "
        "figure footer form header html main nav ol p pre section table tbody tfoot thead ul"
    )
    _SKIP = frozenset({"script", "style", "noscript", "template", "head", "svg"})
    _HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self, *, keep_whitespace: bool) -> None:
        super().__init__(convert_charrefs=True)
        self._keep_whitespace = keep_whitespace
        self._parts: list[str] = []
        self._skip_depth = 0
        self._cell_depth = 0
        self._row_start: int | None = None
        self._row_cells: list[str] = []  # "td" / "th" tags seen in the current row
        self._item_opened = False  # "• " written, no text yet: "<li><p>x" stays one line

    def text(self) -> str:
        self._end_row()
        return "".join(self._parts)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip_depth += 1
        elif tag == "tr":
            self._end_row()
            self._parts.append("\n")
            self._row_start = len(self._parts)
        elif tag in ("td", "th"):
            if self._row_cells:
                self._parts.append("\t")
            self._row_cells.append(tag)
            self._cell_depth += 1
        elif tag in ("br", "hr"):
            self._parts.append(" " if self._cell_depth else "\n")
        elif tag == "li":
            # Inside a cell a newline would break the tab row: items stay inline.
            at_line_start = bool(self._parts) and self._parts[-1].endswith("\n")
            self._parts.append(" • " if self._cell_depth else "• " if at_line_start else "\n• ")
            self._item_opened = True
        elif tag in self._HEADINGS:
            self._parts.append("\n\n" + "#" * int(tag[1]) + " ")
        elif tag in self._BLOCK:
            self._break_line()

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in ("td", "th"):
            self._cell_depth = max(0, self._cell_depth - 1)
        elif tag == "tr" or tag == "table":
            self._end_row()
            self._parts.append("\n")
        elif tag in self._HEADINGS:
            self._parts.append("\n\n")
        elif tag in self._BLOCK:
            self._break_line()

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if not self._keep_whitespace:
            data = re.sub(r"\s+", " ", data)
        self._item_opened = self._item_opened and not data.strip()
        self._parts.append(data)

    def _break_line(self) -> None:
        if not self._item_opened:
            self._parts.append(" " if self._cell_depth else "\n")

    def _end_row(self) -> None:
        """Drop a header row (only <th> cells): its labels are not content."""
        if self._row_start is not None and self._row_cells and "td" not in self._row_cells:
            del self._parts[self._row_start :]
        self._row_start = None
        self._row_cells = []


# --------------------------------------------------------------------------- markdown

_MD_FENCE = re.compile(r"^\s{0,3}(?:```|~~~)")
_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_QUOTE = re.compile(r"^\s{0,3}(?:>\s?)+")
_MD_RULE = re.compile(r"^\s{0,3}([-*_])(?:\s*\1){2,}\s*$")
_MD_REFERENCE_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$")
_MD_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_MD_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_MD_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MD_INLINE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images: their alt text is a caption
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)"), r"\1"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])"), r"\1"),
)


def _strip_inline_markdown(line: str) -> str:
    for pattern, replacement in _MD_INLINE:
        line = pattern.sub(replacement, line)
    return line


def _setext_to_atx(lines: list[str]) -> list[str]:
    """Setext headings: "Title" underlined by === or --- becomes "# Title" / "## Title"."""
    out: list[str] = []
    for line in lines:
        underline = _MD_SETEXT.match(line)
        if underline and out and out[-1].strip() and not _MD_TABLE_ROW.match(out[-1]):
            out[-1] = ("# " if underline.group(1)[0] == "=" else "## ") + out[-1].strip()
            continue
        out.append(line)
    return out


def _pipe_tables_to_tabs(lines: list[str]) -> list[str]:
    """Pipe tables become "Title: description" lines; the row above |---| is the header."""
    out: list[str] = []
    block: list[str] = []
    for line in [*lines, ""]:
        if _MD_TABLE_ROW.match(line) or (block and _MD_TABLE_SEPARATOR.match(line)):
            block.append(line)
            continue
        if block:
            out.extend(_render_pipe_table(block))
            block = []
        out.append(line)
    return out[:-1]


def _render_pipe_table(block: list[str]) -> list[str]:
    separator = next((i for i, row in enumerate(block) if _MD_TABLE_SEPARATOR.match(row)), None)
    body = block[separator + 1 :] if separator is not None else block
    rows = ["\t".join(cell.strip() for cell in row.strip().strip("|").split("|")) for row in body]
    return _render_table(rows, guess_header=separator is None)


# --------------------------------------------------------------------------- tables


def _is_placeholder(value: str) -> bool:
    return value.strip().strip(".:;").strip().casefold() in _PLACEHOLDERS | {""}


def _is_empty_field(cell: str) -> bool:
    """A profile field that holds nothing: "Label : Néant" or "Label :"."""
    field = _FIELD.match(cell)
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


def _convert_tables(text: str) -> str:
    """Tab rows become "Title: description" lines; header rows and empty fields go."""
    lines = text.split("\n")
    out: list[str] = []
    block: list[str] = []
    for line in [*lines, ""]:
        if "\t" in line:
            block.append(line)
            continue
        if any("\t" in row.rstrip() for row in block):
            out.extend(_render_table(block))
        else:
            out.extend(row.rstrip() for row in block)  # stray trailing tabs, not a table
        block = []
        out.append(line)
    return "\n".join(out[:-1])


def _render_table(rows: list[str], *, guess_header: bool = True) -> list[str]:
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
        return [] if _is_empty_field(cells[0]) else _fragment_lines(cells[0])
    title = cells[0].rstrip(" :")
    parts = [_fragment_lines(cell) for cell in cells[1:] if not _is_placeholder(cell)]
    parts = [part for part in parts if part]
    if not parts or _is_placeholder(title):
        return []
    if all(len(part) == 1 and not _BULLET_START.match(part[0]) for part in parts):
        return [f"{title}: " + "; ".join(part[0] for part in parts)]
    return [f"{title}:", *(line for part in parts for line in part)]


def _fragment_lines(cell: str) -> list[str]:
    """Clean one table cell: HTML removed, inline bullets split, one item per line."""
    if _HTML_TAG.search(cell):
        cell = html_to_text(cell, keep_whitespace=True)
    lines = _flat_map(_split_inline_bullets, cell.split("\n"))
    lines = _flat_map(_split_glued_dash_items, lines)
    return [line.strip() for line in lines if line.strip()]


# --------------------------------------------------------------------------- lines


def _flat_map(split: Callable[[str], list[str]], lines: Iterable[str]) -> list[str]:
    return [piece for line in lines for piece in split(line)]


def _split_inline_bullets(line: str) -> list[str]:
    """Inline bullets: "intro • a • b" on one line becomes "intro", "• a", "• b"."""
    if "•" not in line:
        return [line]
    head, *items = _INLINE_BULLET.split(line)
    pieces = [head] if head.strip() else []
    return pieces + [f"• {item.strip()}" for item in items if item.strip(" ,;")]


def _split_glued_dash_items(line: str) -> list[str]:
    """A dash list flattened by the scraper ("- a)- B- C") becomes one item per line."""
    if not re.match(r"^\s*-\s", line):
        return [line]
    first, *rest = _GLUED_DASH_ITEM.split(line.strip())
    return [first, *(f"- {item}" for item in rest)]


def _normalise_bullet(line: str) -> str:
    """Every bullet glyph ("-* ", "- ", "◦", "•") becomes "• "; the punctuation a lost link
    text leaves behind ("•, the portal") goes with it."""
    bullet = _GLYPH_BULLET_START.match(line) or _BULLET_START.match(line)
    if bullet is None:
        return line
    return "• " + re.sub(r"^[,;:\s]+", "", line[bullet.end() :])


def _fix_doubled_capital(line: str) -> str:
    """Doubled first capital: "LLe" -> "Le", only when the result is a known short word."""

    def repair(match: re.Match[str]) -> str:
        word = match.group(1) + match.group(2)
        return word if word in _SHORT_WORDS else match.group(0)

    return _DOUBLED_CAPITAL.sub(repair, line)


def _fix_glued_acronyms(line: str, vocabulary: frozenset[str]) -> str:
    """Acronyms glued to the next word: "ABCDthe" -> "ABCD the"; "ABCDWord" -> "ABCD Word"
    when the document vouches for it.

    An acronym glued to a capitalised word is ambiguous ("ABCDeducation" could be
    "ABC Deducation"), so the split is made only when one of its two halves occurs on
    its own elsewhere in the same document.
    """
    line = _ACRONYM_GLUED_LOWER.sub(r"\1 \2", line)

    def split(match: re.Match[str]) -> str:
        acronym, word = match.group(1), match.group(2)
        known = acronym in vocabulary or word in vocabulary
        return f"{acronym} {word}" if known else match.group(0)

    return _ACRONYM_GLUED_WORD.sub(split, line)


# --------------------------------------------------------------------------- captions


def _starts_with_opener(text: str, min_letters: int) -> bool:
    """True when `text` begins with a sentence-opening function word ("The ", "Here,")."""
    word = re.match(r"[^\W\d_]+", text)
    if word is None:
        return False
    if text[:2] in ("L’", "L'", "D’", "D'") and len(text) > 2 and text[2].isalpha():
        return True
    after = text[word.end() : word.end() + 1]
    return (
        word.group(0) in SENTENCE_OPENERS
        and len(word.group(0)) >= min_letters
        and (not after or not after.isalnum())
    )


def _glue_point(token: str, *, after_marker: bool) -> int | None:
    """Where a caption glued to the next word ends inside `token`, or None.

    Without a caption marker only "lowercase + sentence opener" counts ("métiersHere").
    After a marker ("Logo ...") three more shapes are accepted: a repeated word
    ("NameName, ..."), an acronym before an opener ("ABCThe"), an acronym before a
    lower-case word ("ABCDeducational").
    """
    if after_marker and token[:1].isupper():
        for size in range(3, len(token) // 2 + 1):
            if token[:size].isalpha() and token[size : 2 * size] == token[:size]:
                return size
    # Without a marker, two-letter openers are too risky ("LinkedIn page").
    min_letters = 2 if after_marker else 3
    for i in range(2, len(token)):
        previous, current = token[i - 1], token[i]
        if not current.isupper() or not _starts_with_opener(token[i:], min_letters):
            continue
        if previous.islower() or (after_marker and previous.isupper()):
            return i
    if after_marker:
        upper = re.match(r"[A-ZÀ-ÖØ-Þ]{2,}(?=[a-zß-öø-ÿ]{3,}\b)", token)
        if upper:
            return upper.end()
    return None


def _is_caption_word(token: str) -> bool:
    return bool(re.fullmatch(r"[^\W\d_][\w’'\-]*", token))


def _remove_marked_caption(line: str) -> str:
    """Marked caption: "Photo XYZThe text" -> "The text" (up to 4 caption words, last glued).
    A logo's caption is the organisation's name, which the text may not repeat ("Logo
    apprendre à apprendreThe website offers ..."): it is kept as a lead-in."""
    for marker in _MARKER.finditer(line):
        tokens = re.finditer(r"\S+", line[marker.end() :])
        for count, token in enumerate(tokens):
            if count >= 4 or not _is_caption_word(token.group(0).rstrip(",.;:")):
                break
            point = _glue_point(token.group(0), after_marker=True)
            if point is not None:
                cut = marker.end() + token.start() + point
                rest = line[cut:]
                if not _is_sentence_rest(rest):
                    break
                caption = line[marker.end() : cut].strip()
                opens_line = not re.search(r"\w", line[: marker.start()])
                if (marker.group(0).strip() == "Logo" and opens_line
                        and not _opens_with(rest, caption)):
                    return f"{line[: marker.start()]}{caption} : {rest}"
                return line[: marker.start()] + rest
    return line


def _opens_with(text: str, name: str) -> bool:
    """Does the text open with the name, however it is dotted or cased ("F.T.U." / FTU)?"""
    def squeeze(value: str) -> str:
        return re.sub(r"[\W_]+", "", value).casefold()
    opening = squeeze(" ".join(text.split()[:4]))
    return opening.startswith(squeeze(name)) or opening.startswith("the" + squeeze(name))


def _is_sentence_rest(text: str) -> bool:
    """What follows a glued caption must read as a sentence, not as one more name."""
    return len(text.split()) >= 3


def _remove_leading_caption(line: str) -> str:
    """Caption at line start: "Poignée de mainsThe actions..." -> "The actions..."."""
    prefix = _BULLET_START.match(line)
    start = prefix.end() if prefix else 0
    for count, token in enumerate(re.finditer(r"\S+", line[start:])):
        word = token.group(0)
        if count >= 4 or (count == 0 and not word[:1].isupper()):
            break
        point = _glue_point(word, after_marker=False)
        if point is not None:
            cut = start + token.start() + point
            return line[:start] + line[cut:] if _is_sentence_rest(line[cut:]) else line
        if not _is_caption_word(word):
            break
    return line


# --------------------------------------------------------------------------- debris


def _is_debris(line: str) -> bool:
    """Navigation and download leftovers, lone image captions, empty profile fields."""
    stripped = line.strip()
    if not stripped:
        return False
    if _DEBRIS_LINE.match(stripped) or _DOWNLOAD_DEBRIS.match(stripped):
        return True
    if _LONE_CAPTION.match(stripped) or not re.search(r"\w", stripped):
        return True  # a caption alone, or a line of bare punctuation / bullet glyphs
    field = _FIELD.match(stripped)
    return bool(field and field["value"].strip() and _is_empty_field(stripped))


def _drop_trailing_labels(lines: list[str]) -> list[str]:
    """A lead-in ("Download our note:") with nothing after it, at the end of the text."""
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    while lines and lines[-1].rstrip().endswith(":") and len(lines[-1].split()) <= 12:
        lines = lines[:-1]
        while lines and not lines[-1].strip():
            lines = lines[:-1]
    return lines


def _clean_line(line: str, vocabulary: frozenset[str]) -> str:
    line = _normalise_bullet(line.strip())
    line = _remove_marked_caption(line)
    line = _remove_leading_caption(line)
    line = _fix_glued_acronyms(line, vocabulary)
    line = _fix_doubled_capital(line)
    line = re.sub(r"[ \t]+", " ", line).strip()
    return re.sub(r" +,", ",", line)


def _clean_lines(lines: list[str]) -> list[str]:
    lines = _flat_map(_split_inline_bullets, lines)
    lines = _flat_map(_split_glued_dash_items, lines)
    vocabulary = frozenset(re.findall(r"[^\W\d_]+", "\n".join(lines)))
    cleaned = [_clean_line(line, vocabulary) for line in lines]
    cleaned = [line for line in cleaned if not _is_debris(line)]
    return _drop_trailing_labels(cleaned)


def _normalise_whitespace(lines: list[str]) -> str:
    """Trailing spaces gone, runs of blank lines reduced to one, no blank edges."""
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
