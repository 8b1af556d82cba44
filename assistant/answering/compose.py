"""The answer's text from the chosen units, each with its citation; or the plain abstention."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answering.units import LIST_MARK, is_list_item
from assistant.core.messages import message
from assistant.core.types import Answer, Citation, Passage, Unit


def compose(units: Sequence[Unit], language: str, as_list: bool) -> tuple[str, list[Citation]]:
    citations = [Citation(u.passage.rank, u.passage, u.text) for u in units]
    if (as_list or sum(is_list_item(u) for u in units) >= 2) and len(units) > 2:
        # The list's own lead-in ("Nos stratégies : ...") introduces it; else a generic intro.
        lead = units[0] if not is_list_item(units[0]) else None
        lines = [f"{lead.text.strip()} [{lead.passage.rank}]" if lead else
                 message("list_intro", language)]
        for unit in units[1:] if lead else units:
            item = LIST_MARK.sub("", unit.text).strip()
            lines.append(f"- {item} [{unit.passage.rank}]")
        return "\n".join(lines), citations
    return " ".join(f"{u.text.strip()} [{u.passage.rank}]" for u in units), citations


def abstain(language: str, sources: list[Passage]) -> Answer:
    return Answer(message("not_found", language), True, language, sources=sources)
