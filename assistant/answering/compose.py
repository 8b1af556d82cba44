"""The answer's text from the chosen units, each with its citation; or the plain abstention."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answering.units import is_list_item
from assistant.core.lists import strip_list_mark
from assistant.core.messages import LANGUAGES, message, prompt_file
from assistant.core.types import Answer, Citation, Passage, Unit


def compose(units: Sequence[Unit], language: str, as_list: bool) -> tuple[str, list[Citation]]:
    """The units as the answer's text (a list, or sentences in a row), each with its [n];
    quoted from a document in the other language, the answer says so first, never a silent
    mix of languages."""
    other = other_language(units, language)
    text, citations = quoted(units, language, as_list, generic_intro=not other)
    if other:
        names = prompt_file(language, "messages")["language_names"]
        intro = message("quoted_in_other_language", language, language=names[other])
        text = f"{intro}\n{text}" if "\n" in text else f"{intro} {text}"
    return text, citations


def other_language(units: Sequence[Unit], language: str) -> str:
    """The other language the units are quoted in ("" when one of them is in ``language``,
    or their language is unknown)."""
    languages = {u.passage.language for u in units}
    if language in languages or len(languages) != 1:
        return ""
    other = languages.pop()
    return other if other in LANGUAGES else ""


def quoted(units: Sequence[Unit], language: str, as_list: bool,
           generic_intro: bool = True) -> tuple[str, list[Citation]]:
    """The units as text; a list without a lead-in of its own opens with the generic intro
    (unless the other-language notice already introduces it)."""
    citations = [Citation(u.passage.rank, u.passage, u.text) for u in units]
    if (as_list or sum(is_list_item(u) for u in units) >= 2) and len(units) > 2:
        # The list's own lead-in ("Nos stratégies : ...") introduces it; else a generic intro.
        lead = units[0] if not is_list_item(units[0]) else None
        lines = [f"{lead.text.strip()} [{lead.passage.rank}]"] if lead else (
            [message("list_intro", language)] if generic_intro else [])
        for unit in units[1:] if lead else units:
            item = strip_list_mark(unit.text).strip()
            lines.append(f"- {item} [{unit.passage.rank}]")
        return "\n".join(lines), citations
    return " ".join(f"{u.text.strip()} [{u.passage.rank}]" for u in units), citations


def abstain(language: str, sources: list[Passage]) -> Answer:
    return Answer(message("not_found", language), True, language, sources=sources)
