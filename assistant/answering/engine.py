"""Answer stage, without an LLM: pick the sentences / list items that answer, cite them.

Every sentence of an answer is copied from the passage it cites, so an answer can
never state what its passage does not say. The engine abstains (in the question's
language, citing nothing) when no unit supports the question well enough.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import Any

import numpy as np

from assistant.answering.conversation import is_organisation_noun, names_in
from assistant.core.messages import message, prompt_file, synonyms_of
from assistant.core.text import STOPWORDS, analyze, fold, has_cue, tokenize_words
from assistant.core.types import Answer, Citation, Passage, ScoredUnit, Unit
from assistant.directory.extraction import folded_words

NUMBER_WORDS = frozenset(
    {
        "un", "une", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix",
        "one", "two", "three", "four", "five", "seven", "eight", "nine", "ten",
    }
)
# What a count can be written as, digits aside ("une vingtaine de pays", "thousands").
COUNT_WORDS = re.compile(
    r"\b(deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|vingt|trente|cent|mille"
    r"|dizaines?|douzaines?|quinzaines?|vingtaines?|trentaines?|cinquantaines?|centaines?"
    r"|milliers?|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|hundreds?"
    r"|thousands?|dozens?)\b",
    re.IGNORECASE,
)
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
NUMBER = re.compile(r"\d")
WEB = re.compile(r"(www\.|https?:|\.be\b|\.org\b|\.com\b|\.eu\b)")
ADDRESS = re.compile(r"\b(rue|chaussée|chaussee|avenue|place|boulevard|quai|\d{4})\b", re.I)
# Where an organisation is: a street address, or "à Liège" / "in Brussels" / "based in".
PLACE = re.compile(r"(?i:\b(?:rue|chaussée|chaussee|avenue|place|boulevard|quai)\b)"
                   r"|\b\d{4}\s+[A-ZÀ-Ý]"  # a postcode and its town
                   r"|\b(?:à|a|in|en|au|at|near|près de|pres de)\s+(?:la |le |l'|the )?"
                   r"[A-ZÀ-Ý][\w'’-]+")
WHO = re.compile(r"^(et |and )?(qui|who)\b")
# Kinds of answer that only a sentence of that kind can give: a phone number, an e-mail
# address, a sum of money, a frequency. With none in the passages the engine abstains
# ("What's WSM's phone number?" was answered with its website).
PHONE = re.compile(r"(?:\+\d{2}|\b0\d{1,3})[\s./-]?\d{2,3}(?:[\s./-]?\d{2}){2,3}\b")
EMAIL = re.compile(r"[\w.-]+@[\w-]+\.\w+")
AMOUNT = re.compile(r"(?:€|\$|£|\beur\b|\beuros?\b|\bdollars?\b|\bfrancs?\b)", re.IGNORECASE)
FREQUENCY = re.compile(
    r"\b(?:(?:bi|tri|se)?(?:mensuel|mestriel|annuel|hebdomadaire|quotidien)\w*"
    r"|trimestriel\w*|semestriel\w*|chaque (?:annee|année|an|mois|semaine|jour)"
    r"|tous les (?:\w+ )?(?:ans|mois|jours|semaines)|(?:une|deux|trois|quatre) fois par"
    r"|par (?:an|mois|semaine|jour)|(?:bi|tri)?(?:monthly|weekly|annual|annually|yearly"
    r"|daily|quarterly)|every (?:\w+ )?(?:years?|months?|weeks?|days?)"
    r"|each (?:year|month|week|day)|(?:once|twice|\w+ times) a|per (?:year|month|week|day))\b",
    re.IGNORECASE,
)
TYPE_PATTERNS = {"number": NUMBER, "year": YEAR, "web": WEB, "address": ADDRESS,
                 "phone": PHONE, "email": EMAIL, "amount": AMOUNT, "frequency": FREQUENCY}
REQUIRED_KINDS = ("phone", "email", "amount", "frequency")
# A more precise kind replaces the general one its words also contain: "adresse e-mail"
# is no street address, "how much money" and "tous les combien" are no count.
NARROWER_KINDS = {"email": "address", "amount": "number", "frequency": "number",
                  "phone": "number"}










@dataclass(frozen=True)
class QuestionProfile:
    """What shape of answer a question expects (from the word lists in prompts/)."""

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

    known: tuple[str, ...] = ()  # lone capitalised words the directory knows ("Aped")
    # the directory's other names of the names asked ("FOPES": "faculté Ouverte de ...")
    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()

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


def profile_question(question: str, language: str) -> QuestionProfile:
    cues = prompt_file(language, "question")
    text = " " + fold(question).strip() + " "
    lowered = text.strip() + " "
    is_list = any(lowered.startswith(fold(s)) for s in cues["list_starts"]) or any(
        fold(w) in text for w in cues["list_words"]
    )
    # "À qui s'adresse la formation ?" asks who it is for, not for an address.
    kinds_text = text
    for lookalike in cues["kind_lookalikes"]:
        kinds_text = kinds_text.replace(fold(lookalike), " ")
    expects = {
        kind
        for kind in ("number", "year", "web", "address", *REQUIRED_KINDS)
        if any(fold(w) in kinds_text for w in cues[f"{kind}_words"])
    }
    expects -= {NARROWER_KINDS[k] for k in expects if k in NARROWER_KINDS}
    if "number" in expects:
        is_list = False  # "how many X" wants a count, not the list of X
    words = tuple(w for w in tokenize_words(question) if w not in STOPWORDS and len(w) > 1)
    focus, duration = focus_of(text.strip(), cues)
    if expects & set(REQUIRED_KINDS):
        focus = ()  # the kind is the focus: "le numéro de téléphone" is "Tél. : 02 ..."
    is_summary = any(f" {fold(w)}" in text for w in cues["summary_words"])
    names = tuple(names_in(question))
    asks_who = bool(WHO.match(text.strip()))
    return QuestionProfile(language, is_list and not is_summary, frozenset(expects), words,
                           is_summary, focus, duration, names,
                           asks_who=asks_who,
                           defines=asks_definition(text, words, names, cues),
                           asks_founder=asks_who and has_cue(text, cues["founding_words"]),
                           asks_current=has_cue(text, cues["current_words"]))


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
    cues = prompt_file(language, "question")
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


@lru_cache(maxsize=1024)
def text_stems(text: str) -> frozenset[str]:
    """The analyzer's stems of a text, cached: each passage is read by several checks."""
    return frozenset(analyze(text))


def passage_context(passage: Passage) -> str:
    return f"{passage.title} {passage.section} {passage.text}"


@lru_cache(maxsize=4096)
def word_stems(word: str) -> frozenset[str]:
    """Stems of the word and of its bilingual synonyms (prompts/synonyms.toml)."""
    stems = set(analyze(word)) or {fold(word)}
    for synonym in synonyms_of(fold(word)):
        stems |= set(analyze(synonym))
    return frozenset(stems)


def cognate(a: str, b: str) -> bool:
    """French/English cognates share a long prefix (processus/process, Copenhague/Copenhagen)."""
    shortest = min(len(a), len(b))
    if shortest < 5:
        return False
    common = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common += 1
    return common >= 5 and common >= 0.8 * shortest


def word_match(word_stems_: frozenset[str], unit_stems: AbstractSet[str]) -> float:
    if word_stems_ & unit_stems:
        return 1.0
    if any(cognate(w, u) for w in word_stems_ for u in unit_stems):
        return 0.8
    return 0.0


def compound_part(a: str, b: str) -> bool:
    """"website" holds "web", "e-mail" holds "mail": a long enough piece of a compound."""
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 3 and len(short) >= 0.4 * len(long_) and (
        long_.startswith(short) or long_.endswith(short)
    )


def supported(word: str, text_stems: AbstractSet[str]) -> bool:
    """Is ``word`` (or a word of the same root, a cognate or a compound part) in the text?"""
    stems = word_stems(word)
    if word_match(stems, text_stems) > 0:
        return True
    return any(compound_part(w, u) for w in stems for u in text_stems)


def is_strong_name(name: str) -> bool:
    """Acronyms and multi-word names identify an organisation; a lone capitalised word
    ("the South", "Belgium") is too loose to require."""
    return " " in name.strip() or (name.isupper() and len(name) >= 2)


def name_words(name: str) -> list[str]:
    return [w for w in tokenize_words(name) if w not in STOPWORDS and len(w) >= 2]


def name_known(name: str, stems: AbstractSet[str]) -> bool:
    """A passage names an organisation when one of the name's words is in it."""
    return any(supported(word, stems) for word in name_words(name))


def name_fully_known(name: str, stems: AbstractSet[str]) -> bool:
    """Every word of the name is in the text (or the corpus, given its vocabulary)."""
    words = name_words(name)
    return bool(words) and all(supported(word, stems) for word in words)


def coverage(words: Sequence[str], text: str, idf: Callable[[str], float]) -> float:
    """IDF-weighted share of the question's content words found in ``text``."""
    if not words:
        return 0.0
    unit_stems = text_stems(text)
    total = found = 0.0
    for word in words:
        stems = word_stems(word)
        weight = max(idf(s) for s in stems)
        total += weight
        found += weight * word_match(stems, unit_stems)
    return found / total if total else 0.0


def section_match(profile: QuestionProfile, section: str) -> float:
    """1.0 when a question word (other than an organisation's name) heads the passage."""
    if not section:
        return 0.0
    name_words_ = {w for n in profile.names for w in tokenize_words(n)}
    section_stems = text_stems(section)
    return float(any(
        word_match(word_stems(w), section_stems) > 0 for w in profile.words if w not in name_words_
    ))


def type_bonus(profile: QuestionProfile, text: str) -> float:
    wanted = [TYPE_PATTERNS[k] for k in profile.expects]
    if not wanted:
        return 0.0
    text = profile.without_names(text)
    return 0.08 if any(p.search(text) for p in wanted) else -0.08


@dataclass(frozen=True)
class EngineWeights:
    """How unit evidence is combined; chosen on our own question set (tests/questions.jsonl)."""

    coverage: float = 0.35
    context_coverage: float = 0.15
    rank_prior: float = 0.05
    names: float = 0.15  # share of the organisations named in the question that the passage names
    section: float = 0.15  # the passage's heading matches a question word ("Historique")
    definition: float = 0.1  # "What is X?": a sentence that opens with X and describes it
    min_score: float = 0.95
    followers: float = 0.06  # how close a second unit must be to join a factoid answer


def score_units(
    units: Sequence[Unit], profile: QuestionProfile, query_vector: np.ndarray,
    idf: Callable[[str], float], weights: EngineWeights,
) -> list[ScoredUnit]:
    scored = []
    context_cache: dict[str, float] = {}
    names_cache: dict[str, float] = {}
    section_cache: dict[str, float] = {}
    strong_names = profile.strong_names
    for unit in units:
        passage = unit.passage
        if passage.chunk_id not in context_cache:
            context = passage_context(passage)
            context_cache[passage.chunk_id] = coverage(profile.words, context, idf)
            stems = text_stems(context)
            section_cache[passage.chunk_id] = section_match(profile, passage.section)
            names_cache[passage.chunk_id] = (
                sum(name_known(n, stems) for n in strong_names) / len(strong_names)
                if strong_names else 0.0
            )
        dense = float(np.dot(unit.vector, query_vector))
        # A sentence inherits its document's subject: "1974: crée le service Solidarité
        # Mondiale" in a page titled WSM does answer "When was WSM founded?".
        cov = coverage(profile.words, f"{passage.title} {unit.text}", idf)
        score = (
            dense
            + weights.coverage * cov
            + weights.context_coverage * context_cache[passage.chunk_id]
            + weights.names * names_cache[passage.chunk_id]
            + weights.section * section_cache[passage.chunk_id]
            + weights.rank_prior / passage.rank
            + type_bonus(profile, unit.text)
            + (weights.definition if profile.defines
               and defines_a_name(unit.text, profile.names) else 0.0)
        )
        scored.append(ScoredUnit(unit, dense, cov, score))
    return sorted(scored, key=lambda s: s.score, reverse=True)


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


def introduces_list(best: ScoredUnit, scored: Sequence[ScoredUnit]) -> bool:
    """A best unit like "Formations:" only announces its list: the list is the answer."""
    own = candidate_lists(scored).get(best.unit.passage.chunk_id)
    if own is None or is_list_item(best.unit):
        return False
    following = [u for u in own if u.index > best.unit.index]
    return bool(following) and is_list_item(following[0]) and best.unit.text.rstrip().endswith(
        (":", "?", "…")
    )


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


def asks_organisation_kinds(question: str, language: str) -> bool:
    """"Quels types d'organisations ... ?", "What kinds of groups ...?"."""
    cues = prompt_file(language, "question")["kinds_words"]
    words = fold(question).replace("'", " ").split()
    for i, word in enumerate(words[:-1]):
        if word in cues:
            following = [w for w in words[i + 1 : i + 3] if w not in ("d", "de", "of", "des")]
            if following and is_organisation_noun(following[0]):
                return True
    return False


def pick_list_units(
    best: ScoredUnit, scored: Sequence[ScoredUnit], limit: int,
    weights: EngineWeights = EngineWeights(), kinds_of: QuestionProfile | None = None,
) -> list[Unit]:
    """The list that answers: its lead-in and all its items, in text order.

    The best unit's own list wins; otherwise a list whose lead-in or items score close to
    the best unit (list pages often introduce items with a short line like "Our strategies?").
    ``kinds_of``: the profile of a question asking for kinds of organisations.
    """
    lists = candidate_lists(scored)
    own = lists.get(best.unit.passage.chunk_id)
    if kinds_of is not None and lists and not (own and lists_organisation_kinds(own)):
        # "Quels types d'organisations WSM soutient-elle ?": a list of kinds of organisations
        # in a passage about the organisation asked answers, before a list that scores
        # higher on other words ("Echanges Nord-Sud: • Missions dans le Sud ...").
        kinds = {cid: units for cid, units in lists.items()
                 if lists_organisation_kinds(units) and kinds_of.names_all(units[0].passage)}
        if kinds:
            own = kinds[max(kinds, key=lambda cid: list_score(kinds[cid], scored))]
    if own is None and lists:
        chunk_id, _ = max(
            ((cid, list_score(units, scored)) for cid, units in lists.items()),
            key=lambda pair: pair[1],
        )
        if list_score(lists[chunk_id], scored) >= best.score - LIST_MARGIN:
            own = lists[chunk_id]
    if own is None:
        return pick_factoid_units(best, scored, weights, limit)
    items = [u for u in own if is_list_item(u)]
    lead = [u for u in own if u.index < items[0].index][-1:]
    return (lead + items)[: limit + 1]


LIST_MARGIN = 0.1


def lists_organisation_kinds(units: Sequence[Unit]) -> bool:
    """Most items are kinds of organisation: their first word that is not a stop word is
    one ("Dans un syndicat", "Une mutuelle de santé"; not "Voyages d'immersion ...")."""
    items = [u for u in units if is_list_item(u)]

    def opens_on_kind(text: str) -> bool:
        words = [w for w in re.split(r"[^a-z-]+", fold(text)) if w and w not in STOPWORDS]
        return bool(words) and is_organisation_noun(words[0])

    return bool(items) and sum(opens_on_kind(u.text) for u in items) * 2 > len(items)


def candidate_lists(scored: Sequence[ScoredUnit]) -> dict[str, list[Unit]]:
    """Units of each retrieved passage that holds at least two list items, in text order."""
    by_chunk: dict[str, list[Unit]] = {}
    for item in scored:
        by_chunk.setdefault(item.unit.passage.chunk_id, []).append(item.unit)
    lists = {}
    for chunk_id, units in by_chunk.items():
        ordered = sorted(units, key=lambda u: u.index)
        if sum(is_list_item(u) for u in ordered) >= 2:
            lists[chunk_id] = ordered
    return lists


def list_score(units: Sequence[Unit], scored: Sequence[ScoredUnit]) -> float:
    """A list is as good as its lead-in (the two units before the first item) or best item."""
    score_of = {id(s.unit): s.score for s in scored}
    first_item = next(i for i, u in enumerate(units) if is_list_item(u))
    candidates = units[max(0, first_item - 2) :]
    return max(score_of.get(id(u), 0.0) for u in candidates)


def is_list_item(unit: Unit) -> bool:
    """Is the unit an item of a list (a bullet or a number opens its line in the passage)?"""
    if LIST_MARK.match(unit.text):
        return True  # "1. En coopérant ..." inside a paragraph
    text = unit.passage.text
    position = text.find(unit.text)
    if position < 0:
        return False
    line_start = text.rfind("\n", 0, position) + 1
    return bool(LIST_PREFIX.fullmatch(text[line_start:position]))


LIST_MARK = re.compile(r"^\s*(•|-|–|\*|\d{1,2}[.)])\s")
LIST_PREFIX = re.compile(r"\s*(•|-|–|\*|\d{1,2}[.)])\s*")


SUMMARY_MARGIN = 0.1


def pick_summary_units(best: ScoredUnit, scored: Sequence[ScoredUnit], limit: int) -> list[Unit]:
    """The strongest units (at most ``limit``) of the passage that says most about the
    question, read in the text's order. Among the passages whose best unit is close to
    the best, the one whose ``limit`` strongest units add up to most: a one-line heading
    ("Les Mouvements Sociaux comme force de changement social !") can score best and
    summarise nothing. Consecutive chunks of one section count as one passage: a long
    paragraph ("Quelques succès: 2018 ...") is cut into several chunks."""
    by_passage: dict[str, list[ScoredUnit]] = {}
    for item in scored:  # already sorted, strongest first
        by_passage.setdefault(item.unit.passage.chunk_id, []).append(item)
    close = [units for units in by_passage.values()
             if units[0].score >= best.score - SUMMARY_MARGIN]
    groups = [sorted((u for p in joined_neighbours(units[0].unit.passage, by_passage)
                      for u in by_passage[p]), key=lambda s: s.score, reverse=True)
              for units in close]
    chosen = max(groups, key=lambda units: sum(u.score for u in units[:limit]))
    return sorted((s.unit for s in chosen[:limit]), key=text_order)


def chunk_position(chunk_id: str) -> tuple[str, int]:
    """(document, chunk number) from an id "<document hash>-<n>"; ("", 0) for another id."""
    document, _, number = chunk_id.rpartition("-")
    return (document, int(number)) if number.isdigit() else ("", 0)


def text_order(unit: Unit) -> tuple[str, int, int]:
    return (*chunk_position(unit.passage.chunk_id), unit.index)


def joined_neighbours(passage: Passage, by_passage: Mapping[str, Sequence[ScoredUnit]]
                      ) -> list[str]:
    """The passage and the retrieved chunks next to it in the same section, in a row."""
    document, number = chunk_position(passage.chunk_id)
    if not document:
        return [passage.chunk_id]
    section_of = {cid: units[0].unit.passage.section for cid, units in by_passage.items()}
    found = [passage.chunk_id]
    for step in (-1, 1):
        position = number + step
        while (cid := f"{document}-{position}") in by_passage and (
                section_of[cid] == passage.section):
            found.append(cid)
            position += step
    return found


def pick_factoid_units(best: ScoredUnit, scored: Sequence[ScoredUnit], weights: EngineWeights,
                       limit: int) -> list[Unit]:
    """The best unit, plus close runners-up that add something (at most ``limit``)."""
    chosen = [best.unit]
    for other in scored[1:]:
        if len(chosen) >= min(limit, 2):
            break
        if other.score < best.score - weights.followers:
            break
        if other.unit.text != best.unit.text:
            chosen.append(other.unit)
    return chosen


# Sentences that lean on the one before ("Y sont représentés ...", "It was born ...").
ANAPHORA = re.compile(
    r"^(y|il|elle|ils|elles|ce|cet|cette|ces|celui-ci|celle-ci|ceux-ci|sa|son|ses|leur|leurs"
    r"|it|its|they|their|this|these|those|he|she|his|her)\b",
    re.IGNORECASE,
)


def with_context(
    chosen: list[Unit], best: ScoredUnit, scored: Sequence[ScoredUnit],
    profile: QuestionProfile, limit: int,
) -> list[Unit]:
    """Add the neighbours a quoted sentence needs: the sentence a pronoun refers to, the one
    that continues it with a pronoun, or the one that holds the date or number asked for."""
    by_position = {(s.unit.passage.chunk_id, s.unit.index): s.unit for s in scored}
    unit = best.unit
    before = by_position.get((unit.passage.chunk_id, unit.index - 1))
    after = by_position.get((unit.passage.chunk_id, unit.index + 1))
    extra: list[Unit] = []
    if before is not None and ANAPHORA.match(unit.text):
        extra.append(before)
    if after is not None and ANAPHORA.match(after.text):
        extra.append(after)
    wanted = [TYPE_PATTERNS[k] for k in profile.expects if k in ("year", "number")]
    if wanted and not any(p.search(unit.text) for p in wanted):
        holders = [n for n in (before, after) if n is not None]
        extra += [n for n in holders if any(p.search(n.text) for p in wanted)][:1]
    result = list(chosen)
    for neighbour in extra:
        if all(neighbour is not r for r in result) and len(result) < limit:
            result.append(neighbour)
    return sorted(result, key=lambda u: (u.passage.rank, u.index)) if extra else result


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


def answer_from_units(
    question: str, language: str, sources: list[Passage], units: Sequence[Unit],
    query_vector: np.ndarray, idf: Callable[[str], float], *,
    weights: EngineWeights = EngineWeights(), max_units: int = 4, list_max: int = 12,
    vocabulary: set[str] | None = None,
    aliases_of: Callable[[str], Sequence[str]] | None = None,
) -> Answer:
    """Choose, compose and cite; or abstain when the best evidence is too weak.
    ``aliases_of`` gives an organisation's other names (the directory's)."""
    profile = profile_question(question, language)
    if aliases_of is not None:
        # Once per name and answer: each lookup reads the index state.
        aliases_of = cache(aliases_of)
        other = {n: tuple(a for a in aliases_of(n) if a != n) for n in profile.names}
        profile = replace(profile, known=tuple(
            n for n in profile.names if not is_strong_name(n) and other[n]),
            aliases=tuple((n, names) for n, names in other.items() if names))
    # A name the corpus never writes may be the directory's key for one it does ("CIRÉ",
    # the initials of "Coordination et initiatives pour réfugiés et étrangers").
    if vocabulary is not None and any(
        not any(name_fully_known(a, vocabulary) for a in profile.names_of(n))
        for n in profile.strong_names
    ):
        return abstain(language, sources)  # an organisation the documents never mention
    scored = answering_units(score_units(units, profile, query_vector, idf, weights), profile,
                             aliases_of or (lambda name: ()))
    if not scored or scored[0].score < weights.min_score:
        return abstain(language, sources)
    best = scored[0]
    if profile.is_summary:
        chosen = pick_summary_units(best, scored, max_units)
    elif profile.is_list or introduces_list(best, scored):
        kinds_of = profile if asks_organisation_kinds(question, language) else None
        chosen = pick_list_units(best, scored, list_max, weights, kinds_of=kinds_of)
    elif profile.defines and defines_a_name(best.unit.text, profile.names):
        # The sentence that says what it is; only its own continuation may follow.
        chosen = with_context([best.unit], best, scored, profile, max_units)
    else:
        chosen = with_context(
            pick_factoid_units(best, scored, weights, max_units), best, scored, profile, max_units
        )
    text, citations = compose(chosen, language, profile.is_list)
    return Answer(text, False, language, sources=sources, citations=citations)


def idf_table(texts: Sequence[str]) -> Mapping[str, float]:
    """Smoothed IDF of every stem over the chunk texts."""
    df: dict[str, int] = {}
    for text in texts:
        for stem in set(analyze(text)):
            df[stem] = df.get(stem, 0) + 1
    n = max(1, len(texts))
    return {stem: math.log(1 + (n - count + 0.5) / (count + 0.5)) for stem, count in df.items()}
