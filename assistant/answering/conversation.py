"""Follow-up resolution: make "Et son adresse ?" standalone before retrieval.

No LLM here, so the rule is explicit: a follow-up that refers back (a pronoun or
possessive, or an opening "Et ..."/"And ...") and names no organisation itself
borrows the names from the latest user turn that had any. "Et le CIEP ?" (a new
name, nothing else) reuses the previous question with the new name.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.core.names import is_acronym, names_in
from assistant.core.sentences import first_sentence
from assistant.core.text import fold
from assistant.core.types import History
from assistant.core.wordlists import word_lists


def is_follow_up(question: str, language: str) -> bool:
    cues = word_lists("answering", "question", language)
    # "Que fait-elle ?": inverted pronouns count, so hyphens become spaces.
    folded = " " + fold(question).replace("?", " ").replace("-", " ").strip() + " "
    bare = folded.strip()
    starts = any(
        bare.startswith(fold(s).strip() + " ") or bare == fold(s).strip()
        for s in cues["followup_starts"]
    )
    pronoun = any(f" {fold(p)} " in folded for p in cues["followup_pronouns"])
    clitic = any(re.search(p, bare) for p in cues["followup_patterns"])
    return starts or pronoun or clitic or ends_on_relation(bare, cues["followup_dangling_nouns"])


def ends_on_relation(folded_question: str, nouns: Sequence[str]) -> bool:
    """"Quels sont les membres ?", "What kinds of organisations are members?": a relation
    noun with no complement after it, so it relates to the organisation spoken about."""
    words = folded_question.rstrip(" ?.!").split()
    return any(words[-len(fold(n).split()):] == fold(n).split() for n in nouns)


def resolve_follow_up(question: str, history: History, language: str) -> str:
    """The question made standalone with the conversation's latest names (or unchanged)."""
    if not history or not is_follow_up(question, language):
        return question
    own_names = names_in(question)
    previous = latest_named_turn(history)
    if previous is None:
        return question
    previous_question, previous_names = previous
    if own_names and len(fold(question).split()) <= len(own_names[0].split()) + 3:
        # "Et le CIEP ?": the same question about another organisation.
        return replace_names(previous_question, previous_names, own_names[0])
    if own_names:
        return question
    return f"{question} ({topic_of(previous_question, previous_names)})"


def topic_of(previous_question: str, names: Sequence[str]) -> str:
    """What the follow-up is about: the earlier question (its words find the passage the
    conversation is on: "Et les bureaux sont ouverts quand ?" after "Où se trouve le siège
    de Quinoa ?"), led by the names it borrows that it does not hold (from the answer to
    "Qui soutient les mouvements sociaux ?"). Names alone lost the topic (bench/QUALITY.md).
    The profile reads the kind of answer from the follow-up alone (profile.asked_part): the
    earlier question's own brackets ("... des CPAS (FCPAS) ?") become commas, or the
    borrowed part would not be the last bracketed group and its cues would count."""
    borrowed = [n for n in dict.fromkeys(names) if n not in previous_question]
    earlier = re.sub(r"\s*\)", "", re.sub(r"\s*\(\s*", ", ", previous_question.strip()))
    return " ".join([*borrowed, earlier.rstrip(" ?")])


def latest_named_turn(history: History) -> tuple[str, list[str]] | None:
    """The latest user turn that names something; the assistant's answers only as a last
    resort (an answer like "Adresse : Chaussée de Haecht" names a street, not the subject)."""
    for user_turn, assistant_turn in reversed(history):
        if names := names_in(user_turn):
            if asks_for_an_entity(user_turn) and not any(is_strong(n) for n in names):
                # "Qui coordonne les ONG belges ?" -> "Le CNCD-11.11.11 coordonne ...": with
                # no organisation in the question, the answer names the subject the
                # follow-up refers to. A question naming one keeps it ("Qui siège au
                # conseil de SOLIDAR ?": the answer's acronyms are the members').
                given = [n for n in names_in(first_sentence(assistant_turn))
                         if is_acronym(n) and n not in names]
                return user_turn, given or names
            return user_turn, names
    for user_turn, assistant_turn in reversed(history):
        if names := names_in(first_sentence(assistant_turn)):
            return user_turn, names
    return None


ENTITY_QUESTION = re.compile(r"^(qui|quel|quelle|quels|quelles|who|which)\b")


def is_strong(name: str) -> bool:
    """An acronym or a name of several words: an organisation, not a lone capitalised word."""
    return is_acronym(name) or len(name.split()) > 1


def asks_for_an_entity(question: str) -> bool:
    return bool(ENTITY_QUESTION.match(fold(question).strip()))


def replace_names(question: str, names: list[str], new_name: str) -> str:
    for name in names:
        if name in question:
            return question.replace(name, new_name)
    return f"{question} ({new_name})"
