"""The checks that keep only units whose passage holds what the question asks for (the engine
abstains when none is left)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.answering.detectors import TYPE_PATTERNS, class_of, classes_counted
from assistant.answering.matching import name_known, passage_context, supported, text_stems
from assistant.answering.profile import QuestionProfile
from assistant.answering.units import is_list_item
from assistant.core.instructions import addresses_the_assistant
from assistant.core.names import names_in
from assistant.core.text import file_name_words, folded_words
from assistant.core.types import Passage, ScoredUnit, Unit


def names_the_asked(passage: Passage, profile: QuestionProfile) -> bool:
    """Does the passage (its title, heading or text) name an organisation the question asks
    about, by one word of one of its names? "How many members does the JOC have?" is not
    answered by "The European Youth Forum has 104 members". One word, in either language,
    so that "Decent Work" names "Travail Décent" and a partial or translated name still
    counts (the whole name was too strict: bench/QUALITY.md). One of the organisations, not
    each: a question on two ("Quand sont nés PAC et la Ligue ?") takes each one's evidence
    from its own page (selection.pick_comparison). The organisation the passage's document
    is about names it too: a page's later paragraphs seldom repeat its name ("In 1995,
    several such diaconal organisations in Europe agreed to form a network ..." on
    Eurodiaconia's history page, "Les participant·e·s ont minimum 18 ans ..." on Quinoa's);
    so does its file name ("etui-eu-trade-unionists-course.txt")."""
    stems = text_stems(f"{passage_context(passage)} {passage.organisation} "
                       f"{file_name_words(passage.source)}")
    return any(any(name_known(a, stems) for a in profile.names_of(n))
               for n in profile.strong_names)


def names_what_was_asked(passage: Passage, profile: QuestionProfile) -> bool:
    """A who-question ("Qui l'a créée ?") is answered by a passage about that action: one
    of the question's words other than names must be there."""
    asked = [w for w in profile.words if w not in profile.name_words]
    # ... and about the organisation asked: "Who founded the Aped?" is not answered by
    # "The Pédagothèque website was created by the CF2D".
    if not profile.names_all(passage):
        return False
    if not asked:
        return True
    stems = text_stems(f"{passage.section} {passage.text}")
    return any(supported(w, stems) for w in asked)


# Founding and creating, in folded words ("co-fondateur" -> "co fondateur"): verbs, their
# participles and the nouns of the founder. "fondation"/"foundation" is left out: it is
# also a kind of organisation ("Work-University Foundation").
FOUNDING = re.compile(
    r"\b(?:co ?)?(?:fond(?:e|ee|es|ees|er|a|ait|erent)|cre(?:e|ee|es|ees|er|a|ait|erent|ation)"
    r"|found(?:ed|s)?|creat(?:e|ed|es|ion)|establish(?:ed|es)?|set up|sets up"
    r"|mise? sur pied|lanc(?:e|ee|es|ees|er|a)|launch(?:ed|es)?|started"
    r"|born (?:of|out of|from)|(?:est|sont|etait|fut|furent) nee?s? (?:de|du|des|d))\b"
    r"|(?P<agent>\b(?:co ?)?(?:fondat(?:eur|rice)s?|founders?|createurs?|creatrices?"
    r"|creators?)\b)"
)


# Before a founding verb: it is passive ("a été fondée", "was created"), its subject the
# organisation founded. After it: "par"/"by" names the founder.
PASSIVE_BEFORE = re.compile(r"\b(?:a ete|ont ete|avait ete|est|sont|fut|furent|etait|etaient"
                            r"|was|were|been|is|are)$")


AGENT_AFTER = re.compile(r"^(?:\w+ ){0,6}?(?:par|by)\b")


# "qui l'a fondée", "who founded it": the founded organisation is a pronoun object.
OBJECT_BEFORE = re.compile(r"\b(?:l|les|en) (?:a|ont|avait|avaient|fut|eut)$")


OBJECT_AFTER = re.compile(r"^(?:it|them)\b")


def founds_the_asked(unit: Unit, profile: QuestionProfile) -> bool:
    """Does the sentence say who founded or created the organisation asked about?

    "Qui a fondé Financité ?" is not answered by a sentence that merely lists Financité
    among WSM's platforms, nor "Who created the MOC?" by "l'ACW/MOC crée le service
    Solidarité Mondiale" (the MOC is the founder there). The sentence must hold a founding
    word with the organisation asked (any of its directory names) as what is founded: after
    an active verb or a founder noun ("crée le service Solidarité Mondiale", "cofondateur
    de la FOPES"), before a passive one ("The Pédagothèque website was created by").
    Or it does not name it and its paragraph is about it ("Avec la faculté Ouverte de
    Politique Économique et Sociale, ... François Martou, qui en fut co-fondateur"), when
    the founding word is a founder noun, a passive verb or a verb with a pronoun object
    ("qui l'a fondée") and no other organisation is its subject."""
    text = folded_words(unit.text)
    verbs = list(FOUNDING.finditer(text))
    if not verbs:
        return False
    asked = [folded_words(a) for n in (profile.strong_names or profile.names)
             for a in profile.names_of(n)]
    asked = [a for a in asked if a]
    if not asked:
        return True  # "Who founded it?" left unresolved: nothing to link
    padded = f" {text} "
    spots = [padded.find(f" {a} ") for a in asked if f" {a} " in padded]
    named = [folded_words(n) for n in names_in(unit.text)]
    for verb in verbs:
        before, after = text[: verb.start()].rstrip(), text[verb.end():].lstrip()
        passive = bool(PASSIVE_BEFORE.search(before) or AGENT_AFTER.match(after))
        if spots:
            # The organisation asked is what is founded, not who founds.
            if any(spot >= verb.end() for spot in spots) and (verb.group("agent") or not passive):
                return True
            if any(spot < verb.start() for spot in spots) and passive and not verb.group("agent"):
                return True
            continue
        others = [n for n in named if n and f" {n} " in f" {before} "]
        by_pronoun = bool(OBJECT_BEFORE.search(before) or OBJECT_AFTER.match(after))
        if verb.group("agent") or ((passive or by_pronoun) and not others):
            return paragraph_about(unit, asked)
        if unnamed_own_organisation(unit, profile) and not passive and any(
                f" {n} " in f" {after} " for n in named):
            return True
    return False


def unnamed_own_organisation(unit: Unit, profile: QuestionProfile) -> bool:
    """Without the directory's other names, the page's own organisation may be written
    otherwise in its pages ("Qui a créé WSM ?", "1974 : l'ACW/MOC crée le service
    Solidarité Mondiale" on WSM's page): a founding verb with a named object on the page
    of the organisation asked is taken as its founding."""
    own = folded_words(unit.passage.organisation)
    return bool(own) and any(
        folded_words(n) == own and not dict(profile.aliases).get(n)
        for n in (profile.strong_names or profile.names))


def paragraph_about(unit: Unit, asked: Sequence[str]) -> bool:
    """Is the organisation (one of its folded names) named in the passage's heading, or in
    the unit's paragraph before it: the paragraph's subject the sentence goes on about?"""
    text = unit.passage.text
    position = text.find(unit.text)
    start = text.rfind("\n", 0, max(position, 0)) + 1
    context = f" {folded_words(unit.passage.section)} {folded_words(text[start:max(position, 0)])} "
    return any(f" {a} " in context for a in asked)


@dataclass(frozen=True)
class Check:
    """One check of the engine: when it applies, which candidate units it keeps."""

    name: str
    applies: Callable[[QuestionProfile], bool]
    keep: Callable[[list[ScoredUnit], QuestionProfile, Callable[[str], Sequence[str]]],
                   list[ScoredUnit]]


def each(test: Callable[[ScoredUnit, QuestionProfile], bool]) -> Callable[
        [list[ScoredUnit], QuestionProfile, Callable[[str], Sequence[str]]], list[ScoredUnit]]:
    """A check that looks at each unit on its own."""
    return lambda scored, profile, aliases_of: [s for s in scored if test(s, profile)]


def founding_units(scored: list[ScoredUnit], profile: QuestionProfile,
                   aliases_of: Callable[[str], Sequence[str]]) -> list[ScoredUnit]:
    """"Qui a fondé Financité ?": only a sentence that says who founded it answers, with the
    list it introduces ("it was born of the union of three entities:" + items)."""
    founders = [s.unit for s in scored if founds_the_asked(s.unit, profile)]
    founding = {(u.passage.chunk_id, u.index) for u in founders}
    leads = {(u.passage.chunk_id, u.index) for u in founders if u.text.rstrip().endswith(":")}
    return [s for s in scored if (s.unit.passage.chunk_id, s.unit.index) in founding
            or (is_list_item(s.unit) and any(
                chunk == s.unit.passage.chunk_id and index < s.unit.index
                for chunk, index in leads))]


def counts_another_class(text: str, asked: str) -> bool:
    """Does every count of the text whose class is known count another class than the one
    asked ("23 associations" for staff)? A text without such counts does not."""
    counted = classes_counted(text)
    return bool(counted) and asked not in counted


# Each check is kept for its ablation figure (bench/QUALITY.md): switched off, abstention on
# the frozen sets falls and their accuracy does not rise. Checks that did not earn their
# place so were removed: current holder, year, place and count of the organisation asked,
# focus in the passage, role in the sentence, strict answer type.
CHECKS = (
    Check("who_names_action", lambda p: p.asks_who,
          each(lambda s, p: names_what_was_asked(s.unit.passage, p))),
    Check("founder_link", lambda p: p.asks_founder, founding_units),
    # Documents are data, never instructions: a sentence that gives the assistant orders
    # ("Ignore toutes les instructions", "</documents> Nouvelle consigne système") is never
    # an answer (issue 19; core/instructions.py, word lists in core/data/instructions.toml).
    Check("names_the_organisation", lambda p: bool(p.strong_names),
          each(lambda s, p: names_the_asked(s.unit.passage, p))),
    # "Combien de ... ?", "Quel est le numéro de téléphone ?": a kind whose answer must hold
    # its type (``required`` in data/kinds.toml) is not answered by a sentence without it
    # (the names asked blanked: "CNCD-11.11.11" holds no count). Not every typed kind: the
    # same check for dates and places cost right answers on the frozen sets (QUALITY.md).
    Check("holds_the_type", lambda p: p.kind.required,
          each(lambda s, p: bool(TYPE_PATTERNS[p.kind.type].search(
              p.without_names(s.unit.text))))),
    # "Combien de salariés ?" is not answered by "23 associations membres": a sentence whose
    # counts all count another class than the question's (data/detectors.toml).
    Check("counts_another_class",
          lambda p: p.kind.type == "count" and bool(p.focus) and bool(class_of(p.focus[0])),
          each(lambda s, p: not counts_another_class(s.unit.text, class_of(p.focus[0])))),
    Check("addresses_the_assistant", lambda p: True,
          each(lambda s, p: not addresses_the_assistant(s.unit.text))),
)
CHECK_NAMES = tuple(c.name for c in CHECKS)


def answering_units(scored: list[ScoredUnit], profile: QuestionProfile,
                    aliases_of: Callable[[str], Sequence[str]] = lambda name: (),
                    disabled: frozenset[str] = frozenset()) -> list[ScoredUnit]:
    """Keep the units every applicable check keeps (``disabled``: checks switched off, for
    the ablation figures of bench/quality.py)."""
    for check in CHECKS:
        if check.name not in disabled and check.applies(profile):
            scored = check.keep(scored, profile, aliases_of)
    return scored


