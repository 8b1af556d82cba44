"""HTML to text with the standard library's parser: tags dropped, blocks and list items on
their own line, table cells tab-separated, header rows dropped."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_HTML_TAG_NAMES = (
    "a|abbr|address|article|aside|audio|b|blockquote|body|br|button|caption|center|code|dd|"
    "div|dl|dt|em|fieldset|figcaption|figure|font|footer|form|h[1-6]|head|header|hr|html|i|"
    "iframe|img|input|label|li|link|main|meta|nav|noscript|ol|option|p|picture|pre|script|"
    "section|select|small|source|span|strong|style|sub|sup|svg|table|tbody|td|template|"
    "textarea|tfoot|th|thead|title|tr|u|ul|video"
)
HTML_TAG = re.compile(rf"<!--|</?(?:{_HTML_TAG_NAMES})\b[^<>]*>", re.IGNORECASE)
_UNCLOSED_COMMENT = re.compile(r"<!--(?!.*?-->)", re.DOTALL)


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
        return html.unescape(HTML_TAG.sub(" ", markup))
    return parser.text()


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
