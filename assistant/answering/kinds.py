"""Answer kinds as data: which kind of answer a question asks for (data/kinds.toml), and
what that kind means for the engine (the type its sentence should hold, a feature of the
fitted model, and how the answer is selected)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from assistant.core.text import fold, has_word, tokenize_words
from assistant.core.wordlists import word_lists

SELECTORS = ("factoid", "list", "summary", "timeline", "definition", "passage", "comparison")
OPENING_CONJUNCTION = re.compile(r"^(?:et|and)\s+")


@dataclass(frozen=True)
class AnswerKind:
    id: str
    type: str  # a detector name of detectors.py, "" for none
    selector: str  # one of SELECTORS
    starts: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    only_names: bool = False
    # the message asking the question of each organisation when several are asked together
    # ("When was {name} founded?" for "Which is older, X or Y?"); "" when none (compared.py)
    each: str = ""
    # the types a summary or a definition should hold when the document has them ("date",
    # "count", "place": when it was founded, how big it is, where it is), each from the
    # document's best sentence holding it when the chosen ones lack it (covering_units)
    covers: tuple[str, ...] = ()
    # the sentences a passage answer reads on after its best one whatever their score
    # (selection.pick_passage)
    reads_on: int = 0
    # its answer must hold its type: a unit without it is no answer (checks.holds_the_type)
    required: bool = False
    # the fitted abstention threshold applies to it (false: a summary, history, definition or
    # list of an organisation the question names is answered however low its best unit scores)
    threshold: bool = True

    def matches(self, folded: str, content_words: Sequence[str], name_words: set[str]) -> bool:
        opening = OPENING_CONJUNCTION.sub("", folded)
        if self.starts and not any(opening.startswith(s) for s in self.starts):
            return False
        if self.cues and not has_word(folded, self.cues):
            return False
        if self.only_names:
            allowed = name_words | {w for c in self.cues for w in tokenize_words(c)}
            return bool(name_words) and all(w in allowed for w in content_words)
        return True


FACTOID = AnswerKind("factoid", "", "factoid")


@cache
def kinds(language: str) -> tuple[AnswerKind, ...]:
    """The kinds of data/kinds.toml, in order, with the cues of ``language``."""
    rows = word_lists("answering", "kinds")["kind"]
    found = []
    for row in rows:
        cues = row.get(language, {})
        kind = AnswerKind(
            str(row["id"]), str(row["type"]), str(row["selector"]),
            starts=tuple(fold(s) for s in cues.get("starts", ())),
            cues=tuple(fold(c) for c in cues.get("cues", ())),
            only_names=bool(row.get("only_names", False)), each=str(row.get("each", "")),
            covers=tuple(str(t) for t in row.get("covers", ())),
            reads_on=int(row.get("reads_on", 0)), required=bool(row.get("required", False)),
            threshold=bool(row.get("threshold", True)))
        if kind.required and not kind.type:
            raise ValueError(f"kinds.toml: {kind.id} requires a type it does not have")
        if kind.selector not in SELECTORS:
            raise ValueError(f"kinds.toml: unknown selector {kind.selector!r} ({kind.id})")
        if kind.starts or kind.cues:
            found.append(kind)
    return tuple(found)


def answer_kind(question: str, language: str, content_words: Sequence[str],
                names: Sequence[str]) -> AnswerKind:
    """The first kind whose cues the question holds; "factoid" when none does."""
    folded = " ".join(fold(question).replace("?", " ").split())
    name_words = {w for n in names for w in tokenize_words(n)}
    for kind in kinds(language):
        if kind.matches(folded, content_words, name_words):
            return kind
    return FACTOID
