"""Two questions in one: "Le CIEP, c'est quoi, et WSM travaille-t-elle avec lui ?" (or three:
"What is FOPES, which university runs it, and which research centre is it part of?").

The extractive engine answers from one best passage, so a question joining two asks ("What is
FOPES, and which research centre is it part of?") got half an answer. It is split where an
"et"/"and" opens a second question (cue lists in assistant/answering/data/<lang>/question.toml);
the second part borrows the first part's names for its pronouns, as a follow-up does, and each
part is answered on its own. The answers are then joined with their citations renumbered over one
list of sources.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from assistant.answering.conversation import is_follow_up
from assistant.core.lists import strip_list_mark
from assistant.core.messages import message
from assistant.core.names import names_in
from assistant.core.text import fold
from assistant.core.types import Answer, Citation, Passage
from assistant.core.wordlists import word_lists

# ", et" / ", and" always may join two questions; a bare "et" only before a question word
# ("Que fait le CIEP et qui le finance ?"), not in "Lire et Ecrire" or "réfugiés et étrangers".
JOINT = re.compile(r"(,\s*(?:et|and)\s+|\s(?:et|and)\s+)", re.IGNORECASE)
MIN_PART_WORDS = 2


def split_compound(question: str, language: str) -> list[str]:
    """The question's parts (one part when it asks one thing)."""
    cues = word_lists("answering", "question", language)
    starts = [fold(s) for s in cues["question_starts"]]
    inverted = [fold(s) for s in cues.get("inverted_subjects", [])]
    for match in JOINT.finditer(question):
        left, right = question[: match.start()].strip(" ,"), question[match.end() :].strip()
        if len(left.split()) < MIN_PART_WORDS or len(right.split()) < MIN_PART_WORDS:
            continue
        head = fold(right)
        with_comma = match.group(0).lstrip().startswith(",")
        if _opens_question(right, starts) or (with_comma and _inverted(head, inverted)):
            return [*_enumerated(left, starts), _as_question(right)]
    return [question]


def _enumerated(left: str, starts: Sequence[str]) -> list[str]:
    """The questions a comma lists before the last ", and": "What is FOPES, which
    university runs it, and ...". Both sides must open as questions ("Le CIEP, qui le
    finance" is one)."""
    pieces = [p.strip() for p in left.split(",")]
    if len(pieces) > 1 and all(len(p.split()) >= MIN_PART_WORDS and _opens_question(p, starts)
                               for p in pieces):
        return [_as_question(p) for p in pieces]
    return [_as_question(left)]


def _opens_question(part: str, starts: Sequence[str]) -> bool:
    """The part opens with a question word (``starts``, folded)."""
    head = fold(part)
    return any(head.startswith(s) for s in starts)


def _inverted(folded: str, endings: Sequence[str]) -> bool:
    """"wsm travaille-t-elle avec lui": a verb with its subject after it, early on."""
    words = re.sub(r"[?!.,;]", " ", folded).split()[:3]
    return any(w.endswith(e) for w in words for e in endings)


def _as_question(part: str) -> str:
    part = part.strip()
    return part if part.endswith("?") else part.rstrip(" .,;") + " ?"


def standalone_parts(parts: Sequence[str], language: str) -> list[str]:
    """Later parts that refer back ("is it part of", "avec lui") get the first part's
    names in parentheses, as a follow-up gets the conversation's."""
    first_names = names_in(parts[0])
    resolved = [parts[0]]
    for part in parts[1:]:
        missing = [n for n in first_names if n not in part]
        if missing and is_follow_up(_without_inverted_subject(part, language), language):
            part = f"{part} ({', '.join(dict.fromkeys(missing))})"
        resolved.append(part)
    return resolved


def _without_inverted_subject(part: str, language: str) -> str:
    """A part that names its own subject keeps its inverted pronoun to itself ("combien
    d'ONG le CNCD coordonne-t-il"); only another pronoun ("avec lui") refers back."""
    if not names_in(part):
        return part
    for ending in sorted(word_lists("answering", "question", language).get("inverted_subjects", []),
                         key=len, reverse=True):
        part = re.sub(rf"{re.escape(ending)}\b", "", part, flags=re.IGNORECASE)
    return part


def join_answers(parts: Sequence[str], answers: Sequence[Answer], language: str) -> Answer:
    """One answer: each part's text in turn, its citations renumbered over shared sources
    (every part's cited passages first, so each part's evidence stays near the top); a
    part the documents do not answer says so. Abstains only when every part does."""
    if all(a.abstained for a in answers):
        first = answers[0]
        return Answer(first.text, True, language, sources=first.sources)
    answered = [a for a in answers if not a.abstained]
    cited = [c.passage for a in answered for c in a.citations]
    rank_of: dict[str, int] = {}
    sources: list[Passage] = []
    for passage in [*cited, *(p for a in answered for p in a.sources)]:
        if passage.chunk_id not in rank_of:
            rank_of[passage.chunk_id] = len(sources) + 1
            sources.append(replace(passage, rank=rank_of[passage.chunk_id]))
    texts: list[str] = []
    citations: list[Citation] = []
    quoted: set[str] = set()
    for part, answer in zip(parts, answers, strict=True):
        if answer.abstained:
            texts.append(message("part_not_found", language, part=part.rstrip(" ?")))
            continue
        said = {c.unit_text for c in answer.citations}
        if said and said <= quoted:
            continue  # one sentence answers both parts ("la CNAPD ..., active depuis 1970")
        text = without_quoted(answer.text, answer.citations, quoted)
        quoted |= said
        renumber = {p.rank: rank_of[p.chunk_id] for p in answer.sources}
        renumber.update({c.number: rank_of[c.passage.chunk_id] for c in answer.citations})
        texts.append(renumbered(text, renumber))
        for c in answer.citations:
            rank = rank_of[c.passage.chunk_id]
            citations.append(Citation(rank, sources[rank - 1], c.unit_text))
    routes = {a.route for a in answered}
    return Answer("\n\n".join(texts), False, language, sources=sources, citations=citations,
                  route=routes.pop() if len(routes) == 1 else "passages")


def without_quoted(text: str, citations: Sequence[Citation], quoted: set[str]) -> str:
    """A later part's answer without the sentences an earlier part already quoted ("What is
    FOPES, and which research centre is it part of?": the sentence naming both is said
    once): their list lines are dropped, their sentences cut from the running text."""
    for c in citations:
        if c.unit_text not in quoted:
            continue
        item = strip_list_mark(c.unit_text).strip()
        text = re.sub(rf"^- {re.escape(item)} \[{c.number}\]\n?", "", text, flags=re.MULTILINE)
        text = text.replace(f"{c.unit_text.strip()} [{c.number}]", "")
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def renumbered(text: str, ranks: dict[int, int]) -> str:
    """"[2]" becomes "[ranks[2]]" (markers of unknown ranks stay as they are)."""
    return re.sub(r"\[(\d+)\]", lambda m: f"[{ranks.get(int(m.group(1)), m.group(1))}]", text)
