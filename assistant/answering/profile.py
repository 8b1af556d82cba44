"""What a question asks for: its answer types, focus, names, and whether it wants a list, a
summary, a definition, a founder or today's holder (cue lists in data/)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.answering.detectors import NUMBER_WORDS, REQUIRED_KINDS
from assistant.answering.kinds import FACTOID, AnswerKind, answer_kind
from assistant.answering.matching import (
    is_strong_name,
    name_fully_known,
    name_known,
    passage_context,
    text_stems,
)
from assistant.core.names import is_organisation_noun, names_in
from assistant.core.text import STOPWORDS, fold, has_word, tokenize_words
from assistant.core.types import Passage
from assistant.core.wordlists import word_lists

WHO = re.compile(r"^(et |and )?(qui|who)\b")


@dataclass(frozen=True)
class QuestionProfile:
    """What shape of answer a question expects (cue lists in data/<lang>/question.toml)."""

    language: str
    is_list: bool
    expects: frozenset[str]  # "number", "year", "web", "address", and REQUIRED_KINDS
    words: tuple[str, ...]  # content words, folded
    is_summary: bool = False  # "Résumez l'historique de WSM": several sentences of one passage
    focus: tuple[str, ...] = ()  # what is asked for ("numero" in "quel est le numero de TVA")
    duration: bool = False  # the focus is a time span ("combien d'annees"): numbers answer it
    names: tuple[str, ...] = ()  # organisation names and acronyms the question mentions
    asks_who: bool = False  # "Qui a fondé ...", "Who created ...": an agent is asked for
    defines: bool = False  # "Le CIEP, c'est quoi ?", "What is FOPES?": nothing but a name
    asks_founder: bool = False  # "Qui a fondé Financité ?": who founded or created it
    asks_current: bool = False  # "le directeur actuel", "currently": today's holder
    kind: AnswerKind = FACTOID  # the answer kind (data/kinds.toml)

    known: tuple[str, ...] = ()  # lone capitalised words the directory knows ("Aped")
    # the directory's other names of the names asked ("FOPES": "faculté Ouverte de ...")
    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def name_words(self) -> frozenset[str]:
        """The folded words of the names the question mentions ("CNCD-11.11.11": cncd, 11)."""
        return frozenset(w for n in self.names for w in tokenize_words(n))

    @property
    def strong_names(self) -> list[str]:
        return [n for n in self.names if is_strong_name(n) or n in self.known]

    def names_all(self, passage: Passage) -> bool:
        """Does the passage name every organisation asked, under one of its names? In the
        question's language every word of a name must be there ("féminine" alone does not
        name Vie Féminine; as a phrase was too strict: "Charte Genre des ONG" is written
        "Charte Genre du secteur ONG"); across languages one of its words is enough, names
        being translated ("Decent Work" / "Travail Décent")."""
        stems = text_stems(passage_context(passage))

        def known(name: str) -> bool:
            if passage.language != self.language:
                return name_known(name, stems)
            return name_fully_known(name, stems)

        return all(any(known(a) for a in self.names_of(n)) for n in self.strong_names)

    def names_of(self, name: str) -> tuple[str, ...]:
        """The name asked and the directory's other names for it."""
        return (name, *dict(self.aliases).get(name, ()))

    def without_names(self, text: str) -> str:
        """The text with the question's names blanked: "CNCD-11.11.11" holds no count."""
        for name in self.names:
            text = text.replace(name, " ")
        return text


# The context a follow-up borrows from the conversation, after it in brackets
# (conversation.resolve_follow_up): "Et les bureaux sont ouverts quand ? (Où se trouve ...)".
BORROWED_CONTEXT = re.compile(r"\s*\([^()]*\)\s*$")


def asked_part(question: str) -> str:
    """The question without the context a follow-up borrowed: its kind of answer, focus and
    cues are its own ("quand", not the earlier question's "où se trouve")."""
    return BORROWED_CONTEXT.sub("", question) or question


def profile_question(question: str, language: str) -> QuestionProfile:
    cues = word_lists("answering", "question", language)
    text = " " + fold(asked_part(question)).strip() + " "
    # "À qui s'adresse la formation ?" asks who it is for, not for an address.
    kinds_text = text
    for lookalike in cues["kind_lookalikes"]:
        kinds_text = kinds_text.replace(fold(lookalike), " ")
    words = tuple(w for w in tokenize_words(question) if w not in STOPWORDS and len(w) > 1)
    names = tuple(names_in(question))
    kind = answer_kind(kinds_text, language, words, names)
    expects = {TYPE_NAMES.get(kind.type, kind.type)} if kind.type else set()
    focus, duration = focus_of(text.strip(), cues)
    if expects & set(REQUIRED_KINDS):
        focus = ()  # the kind is the focus: "le numéro de téléphone" is "Tél. : 02 ..."
    asks_who = bool(WHO.match(text.strip()))
    return QuestionProfile(language, kind.selector == "list", frozenset(expects), words,
                           kind.selector in ("summary", "timeline"), focus, duration, names,
                           asks_who=asks_who, defines=kind.selector == "definition",
                           asks_founder=kind.id == "founder",
                           asks_current=has_word(text, cues["current_words"]), kind=kind)


# The profile's names of the kinds' answer types (the checks read "number", "address", "year").
TYPE_NAMES = {"count": "number", "place": "address", "date": "year"}


def asks_definition(folded: str, words: Sequence[str], names: Sequence[str],
                    cues: Mapping[str, Any]) -> bool:
    """A definition cue ("c'est quoi", "what is") and no word but the organisation's name."""
    if not names or not any(fold(c) in folded for c in cues["definition_cues"]):
        return False
    known = {w for n in names for w in tokenize_words(n)}
    known |= {w for c in cues["definition_cues"] for w in tokenize_words(c)}
    return all(w in known for w in words)


def defines_a_name(text: str, names: Sequence[str]) -> bool:
    """"CIEP, Christian Workers' Movement's Centre ...", "Le GRESEA est ...": the sentence
    opens with the name and goes on to say what it is."""
    for name in names:
        pattern = rf"^(?:the |le |la |les |l['’])?{re.escape(name)}\b\s*(?:\(|,|:|-|–| est | is )"
        if re.match(pattern, text.strip(), flags=re.IGNORECASE):
            return True
    return False


def search_text(question: str, language: str) -> str:
    """The question without instruction words ("Résumez ...", "Give me an overview of ..."),
    which say how to answer, not what about: they only add noise to retrieval."""
    cues = word_lists("answering", "question", language)
    instructions = [fold(w) for w in cues["summary_words"] if fold(w) not in HISTORY_WORDS]
    words = question.split()
    kept = [w for w in words if fold(w).strip(".,;:!?") not in instructions]
    return " ".join(kept) if kept else question


# "historique"/"history" name a topic as much as an instruction: they stay in the search.
HISTORY_WORDS = frozenset({"historique", "histoire", "history"})


def focus_of(folded_question: str, cues: Mapping[str, Any]) -> tuple[tuple[str, ...], bool]:
    """The attribute a question asks for, unless it is too generic to be required verbatim."""
    generic = set(cues["generic_focus"])
    for pattern in cues["focus_patterns"]:
        match = re.search(pattern, folded_question)
        if not match:
            continue
        word = match.group("focus")
        if word in cues["duration_focus"]:
            return (), True
        if word in generic or word in STOPWORDS or word in NUMBER_WORDS:
            continue  # "le nom de la présidente": a later pattern may find the real focus
        return (word,), False
    return (), False


def asks_organisation_kinds(question: str, language: str) -> bool:
    """"Quels types d'organisations ... ?", "What kinds of groups ...?"."""
    cues = word_lists("answering", "question", language)["kinds_words"]
    words = fold(question).replace("'", " ").split()
    for i, word in enumerate(words[:-1]):
        if word in cues:
            following = [w for w in words[i + 1 : i + 3] if w not in ("d", "de", "of", "des")]
            if following and is_organisation_noun(following[0]):
                return True
    return False
