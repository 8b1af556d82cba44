"""The checks that keep only units whose passage holds what the question asks for (the engine
abstains when none is left)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.answering.detectors import (
    COUNT_WORDS,
    NUMBER,
    PLACE,
    REQUIRED_KINDS,
    TYPE_PATTERNS,
    YEAR,
)
from assistant.answering.matching import passage_context, supported, text_stems
from assistant.answering.profile import QuestionProfile
from assistant.answering.units import LIST_MARK, is_list_item
from assistant.core.names import names_in
from assistant.core.text import tokenize_words
from assistant.core.types import Passage, ScoredUnit, Unit
from assistant.directory.extraction import folded_words


def names_what_was_asked(passage: Passage, profile: QuestionProfile) -> bool:
    """A who-question ("Qui l'a créée ?") is answered by a passage about that action: one
    of the question's words other than names must be there."""
    name_words_ = {w for n in profile.names for w in tokenize_words(n)}
    asked = [w for w in profile.words if w not in name_words_]
    # ... and about the organisation asked: "Who founded the Aped?" is not answered by
    # "The Pédagothèque website was created by the CF2D".
    if not profile.names_all(passage):
        return False
    if not asked:
        return True
    stems = text_stems(f"{passage.section} {passage.text}")
    return any(supported(w, stems) for w in asked)


def dates_what_was_asked(passage: Passage, profile: QuestionProfile) -> bool:
    """"When was the CSC founded?" is answered by a passage that names the CSC and holds a
    year, not by a year about another organisation ("1974: l'ACW/MOC crée ...")."""
    return bool(YEAR.search(profile.without_names(passage.text))) and profile.names_all(passage)


def gives_kind(unit: Unit, kind: str, profile: QuestionProfile) -> bool:
    """A sentence of the kind asked for (a phone number...), in a passage that names the
    organisation asked about: another organisation's phone number does not answer."""
    if not TYPE_PATTERNS[kind].search(profile.without_names(unit.text)):
        return False
    return profile.names_all(unit.passage)


def dated_for_another(unit: Unit, profile: QuestionProfile,
                      aliases_of: Callable[[str], Sequence[str]], kind: str = "year") -> bool:
    """A year (or an address) in a sentence that names organisations, none of them the one
    asked about (under any of its names, ``profile.aliases``): "Copenhagen process - this
    process was launched in 2002" does not date the AID network, though it sits in the AID
    network's page; "1974 : l'ACW/MOC crée le service Solidarité Mondiale" does date WSM.
    ``aliases_of`` tells which names of an address line are organisations."""
    if not TYPE_PATTERNS[kind].search(unit.text):
        return False
    names = names_in(unit.text)
    if kind == "address":  # streets and towns are names too: only organisations count
        names = [n for n in names if aliases_of(n)]
        # "Adresse principale : ..." with no name is the address of the page's organisation
        names = names or [unit.passage.organisation]
    named = [f" {folded_words(n)} " for n in names]
    if not named:
        return False
    asked = {folded_words(a) for n in profile.strong_names for a in profile.names_of(n)}
    return not any(f" {a} " in n for a in asked if a for n in named)


def with_a_year_for_the_asked(scored: list[ScoredUnit], profile: QuestionProfile,
                              aliases_of: Callable[[str], Sequence[str]]) -> list[ScoredUnit]:
    """The units that hold a year of the organisation asked about, or sit next to one
    ("En 2006, ... ." then "L'asbl Solidarité Mondiale et l'asbl Wereldsolidariteit
    fusionnent leurs activités.")."""
    dated = {(s.unit.passage.chunk_id, s.unit.index) for s in scored
             if YEAR.search(s.unit.text) and not dated_for_another(s.unit, profile, aliases_of)}
    return [s for s in scored if (s.unit.passage.chunk_id, s.unit.index) in dated or (
        not YEAR.search(s.unit.text) and any(
            (s.unit.passage.chunk_id, s.unit.index + step) in dated for step in (-1, 1)))]


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


# A first, former or founding holder ("premier directeur", "co-fondateur", "former
# president"), in folded words; and the past tenses of a dated statement ("fut", "était",
# "comptait", "was").
PAST_HOLDER = re.compile(r"\b(?:premiers?|premieres?|first|former|ancien|ancienne|anciens"
                         r"|anciennes|(?:co )?fondat(?:eur|rice)s?|(?:co )?founders?|founding)\b")


PAST_TENSE = re.compile(r"\b(?:fut|furent|etait|etaient|avait|avaient|\w{3,}(?:ait|aient)"
                        r"|was|were|had)\b")


def tells_the_past(unit: Unit) -> bool:
    """Does the sentence tell of a past holder or state ("François Martou ... en fut
    co-fondateur et premier directeur en 1974")? It does not answer a question about
    today ("Qui est le directeur actuel de la FOPES ?"): the current holder may be
    someone else, and an abstention is better than a confident wrong answer."""
    text = folded_words(unit.text)
    return bool(PAST_HOLDER.search(text) or (YEAR.search(text) and PAST_TENSE.search(text)))


def answering_units(scored: list[ScoredUnit], profile: QuestionProfile,
                    aliases_of: Callable[[str], Sequence[str]] = lambda name: ()
                    ) -> list[ScoredUnit]:
    """Keep the units whose passage holds what the question asks for (its focus)."""
    if profile.asks_who:
        scored = [s for s in scored if names_what_was_asked(s.unit.passage, profile)]
    if profile.asks_founder:
        # "Qui a fondé Financité ?": only a sentence that says who founded it answers, with
        # the list it introduces ("it was born of the union of three entities:" + items).
        founders = [s.unit for s in scored if founds_the_asked(s.unit, profile)]
        founding = {(u.passage.chunk_id, u.index) for u in founders}
        leads = {(u.passage.chunk_id, u.index) for u in founders if u.text.rstrip().endswith(":")}
        scored = [s for s in scored if (s.unit.passage.chunk_id, s.unit.index) in founding
                  or (is_list_item(s.unit) and any(
                      chunk == s.unit.passage.chunk_id and index < s.unit.index
                      for chunk, index in leads))]
    if profile.asks_current and not profile.asks_founder:
        # "le directeur actuel", "currently": a sentence about the past holder is no answer.
        scored = [s for s in scored if not tells_the_past(s.unit)]
    if "year" in profile.expects and profile.strong_names:
        scored = [s for s in scored if dates_what_was_asked(s.unit.passage, profile)]
        scored = with_a_year_for_the_asked(scored, profile, aliases_of)
    for kind in REQUIRED_KINDS:
        if kind in profile.expects:
            scored = [s for s in scored if gives_kind(s.unit, kind, profile)]
    if "address" in profile.expects and profile.strong_names:
        # A list "based in Liège" filters on the place; its items need not repeat it.
        scored = [s for s in scored if (profile.is_list or PLACE.search(s.unit.text))
                  and not dated_for_another(s.unit, profile, aliases_of, kind="address")]
    if not profile.focus and not profile.duration and "number" not in profile.expects:
        return scored
    kept = []
    for item in scored:
        if (profile.duration or "number" in profile.expects) and not states_a_count(
            item.unit.text, profile
        ):
            continue
        stems = text_stems(passage_context(item.unit.passage))
        # An attribute of *this* organisation: the passage must name it too ("the president
        # of Vie Féminine" is not answered by a passage on the president of the MOC).
        if not (all(supported(f, stems) for f in profile.focus)
                and profile.names_all(item.unit.passage)):
            continue
        # "Qui préside le MOC ?": the person asked for is in the sentence that holds the
        # role, not in another sentence of a passage that names it ("l'UCL propose une
        # formation" beside "François Martou, président du MOC").
        if profile.asks_who and profile.focus and not all(
                supported(f, text_stems(item.unit.text)) for f in profile.focus):
            continue
        kept.append(item)
    return kept


def states_a_count(text: str, profile: QuestionProfile) -> bool:
    """Does the sentence hold a number, other than inside a name ("CNCD-11.11.11")? When
    the question counts something ("combien de pays"), the number must count that thing
    ("une vingtaine de pays"), not something else ("83 organisations")."""
    # "3. interpeller..." is an item number, not a count.
    text = LIST_MARK.sub("", profile.without_names(text))
    if not (NUMBER.search(text) or COUNT_WORDS.search(text)):
        return False
    if profile.duration or not profile.focus:
        return True
    words = tokenize_words(text)
    for position, word in enumerate(words):
        if word[0].isdigit() or COUNT_WORDS.fullmatch(word):
            following = text_stems(" ".join(words[position + 1 : position + 4]))
            if all(supported(f, following) for f in profile.focus):
                return True
    return False
