"""Markdown syntax removed: headings kept as "# Title" lines, pipe tables as tab rows turned
into "Title: description" lines, inline marks and links reduced to their text."""

from __future__ import annotations

import re

from assistant.ingestion.cleaning.tables import render_table


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
    return render_table(rows, guess_header=separator is None)
