"""One question about several organisations, each with its own answer: "Quand sont nés PAC et
la Ligue des droits humains ?", "Which is older, SOS Faim or Quinoa?".

The engine answers from the passages of one organisation at a time: asked together, the
better documented one takes every place and the other gets no evidence. A question whose
organisations are coordinated ("X et Y", "X ou Y", "between X and Y") is split into one
question per organisation when its kind of answer is one value per organisation: the kind's
own question (``each`` in data/kinds.toml, a message of prompts/: "When was {name} founded?"
for "which is older"),
or, for a typed kind (a date, a count, a place...), the question without the other names.
The parts are answered and joined like the parts of a compound question (compound.py). A
question about how they relate ("le lien entre X et Y") stays whole: one sentence names both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answering.profile import asked_part, profile_question
from assistant.core.messages import message
from assistant.core.names import NAME, is_organisation_noun, matched_name
from assistant.core.text import STOPWORDS, fold

# What may stand between two organisations asked together: a conjunction or a comma, and
# the second one's article ("PAC et la Ligue", "SOS Faim or Quinoa", "X, Y et Z").
BETWEEN = re.compile(
    r"^\s*(?:,|,?\s*(?:et|ou|and|or|&|vs\.?|versus))\s+(?:(?:la|le|les|the)\s+|l['’])?$",
    re.IGNORECASE)
# A name goes on through a preposition and the lowercase words after it ("Ligue des droits
# humains"), up to a stop word or a punctuation mark.
NAME_TAIL = re.compile(r"^\s+(?:(?:des|de|du|of|for)\s+|d['’])((?:[^\W\d_][\w\-’']*\s*)+)",
                       re.IGNORECASE)


@dataclass(frozen=True)
class NamedSpan:
    """An organisation's name and where the question writes it."""

    name: str
    start: int
    end: int


def coordinated_names(question: str) -> list[NamedSpan]:
    """The organisations the question asks about together, in order; fewer than two: []."""
    mentions = [m for m in (_mention(question, match) for match in NAME.finditer(question))
                if m is not None]
    best: list[NamedSpan] = []
    run: list[NamedSpan] = []
    for mention in mentions:
        if run and mention.start < run[-1].end:
            continue  # inside the name before it ("Nations" in "League of Nations")
        if run and BETWEEN.match(question[run[-1].end:mention.start]):
            run.append(mention)
        else:
            run = [mention]
        if len(run) > len(best):
            best = list(run)
    return best if len(best) >= 2 else []


def _mention(question: str, match: re.Match[str]) -> NamedSpan | None:
    """The match as names_in reads it (no leading question word, article or elision), with
    the lowercase words that go on the name."""
    name = matched_name(match.group(0))
    tail_only = not name and is_organisation_noun(match.group(0).strip())
    if tail_only:  # "la Fédération des femmes du Québec": a kind of organisation, then its name
        name = match.group(0).strip()
    if not name:
        return None
    start = match.start() + match.group(0).rfind(name)
    end = start + len(name)
    tail = NAME_TAIL.match(question[end:])
    if tail_only and not tail:
        return None
    if tail:
        words = []
        tail_words = tail.group(1).split()
        for i, word in enumerate(tail_words):
            # a stop word ends the name, unless a capitalised word follows ("du Québec")
            following = tail_words[i + 1] if i + 1 < len(tail_words) else ""
            if fold(word) in STOPWORDS and not following[:1].isupper():
                break
            words.append(word)
        if words:
            end = question.index(words[-1], end) + len(words[-1])
            name = question[start:end]
    return NamedSpan(name, start, end)


def split_organisations(question: str, language: str) -> list[str]:
    """One question per organisation asked together, when each has its own answer of the
    question's kind; else the question alone."""
    asked = asked_part(question)
    mentions = coordinated_names(asked)
    if not mentions:
        return [question]
    kind = profile_question(question, language).kind
    if kind.each:
        return [message(kind.each, language, name=m.name) for m in mentions]
    if kind.type and kind.selector == "factoid":
        return [_about_one(asked, mentions, i) for i in range(len(mentions))]
    return [question]


def _about_one(question: str, mentions: list[NamedSpan], keep: int) -> str:
    """The question without the other organisations and what joins them to it."""
    first, last = mentions[0], mentions[-1]
    kept = mentions[keep].name
    return " ".join(f"{question[:first.start]}{kept}{question[last.end:]}".split())
