"""Relations a sentence states between organisations: member of, partner of, part of,
created by, coordinates ("fait partie du Mouvement Ouvrier Chrétien", "created by")."""

from __future__ import annotations

from collections.abc import Callable

from assistant.core.names import is_acronym
from assistant.core.text import fold, has_word
from assistant.directory.extraction.enumerations import enumerated_names, parenthesised_lists
from assistant.directory.extraction.mention import Mention
from assistant.directory.extraction.names import (
    CLAUSE_BREAK_RE,
    clause_before,
    clean_name,
    is_connector,
    is_organisation,
    looks_like_name,
    name_key,
    name_tail,
    split_words,
)
from assistant.directory.extraction.vocabulary import wordlist

# DocumentReader.add: keeps a mention of the document (None when the name is no name).
AddMention = Callable[..., Mention | None]


def relation_target(text: str, cue: str) -> str:
    """The name that follows a cue: "fait partie du Mouvement Ouvrier Chrétien" -> it."""
    at = fold(text).find(cue)
    if at < 0:
        return ""
    after = text[at + len(cue):]
    words = split_words(CLAUSE_BREAK_RE.split(after)[0])
    run: list[str] = []
    for word in words:
        if word[:1].isupper() or is_acronym(word) or (run and is_connector(word)):
            run.append(word)
        elif run:
            break
        elif len(run) == 0 and fold(word) in wordlist("articles") | wordlist("organisation_words"):
            continue
        else:
            break
    while run and is_connector(run[-1]):
        run.pop()
    return clean_name(" ".join(run).rstrip("…"))


def subject_before(text: str, cue: str, default: str) -> str:
    at = fold(text).find(cue)
    words = name_tail(clause_before(text[:at])) if at > 0 else []
    name = clean_name(" ".join(words))
    return name if name and looks_like_name(name) else default


def _network_before(before: str) -> str:
    """"la fédération du MOC de Liège-Belgique (CIEP, CNE, CSC)": the organisation whose
    federation or network the parenthesised names make up (its acronym when it leads)."""
    words = split_words(before)[-6:]
    network = wordlist("network_nouns")
    nouns = [i for i, w in enumerate(words) if fold(w) in network]
    if not nouns:
        return ""
    name = relation_target(" ".join(words[nouns[-1]:]), fold(words[nouns[-1]]))
    first = name.split()[0] if name else ""
    return first if first and is_acronym(first) else name


class RelationReader:
    """Reads the relations of one document's units; ``add`` keeps each mention it finds,
    ``owner`` is the document's organisation (the subject of "nous", "we")."""

    def __init__(self, owner: str, add: AddMention) -> None:
        self.owner = owner
        self.add = add

    def read_relations(self, cid: str, unit: str) -> None:
        folded = fold(unit)
        member_at = min((folded.find(c) for c in wordlist("member_cues") if c in folded),
                        default=-1)
        listed = enumerated_names(unit[member_at:], in_parentheses=False) if member_at >= 0 else []
        if listed:
            subject = self.subject_of(unit, wordlist("member_cues"))
            for name in listed:
                if name_key(name) != name_key(subject):
                    target = self.add(name, cid, unit, defined=False)
                    if target and subject:
                        self.add(subject, cid, unit, defined=False,
                                 relations=[("member_of", target.name)])
        self.read_partners(cid, unit, folded)
        for before, names in parenthesised_lists(unit):
            partners = has_word(" ".join(before.split()[-6:]), wordlist("partner_cues"))
            whole = "" if partners else _network_before(before)
            for name in names:
                relations = [("partner_of", self.owner)] if partners and self.owner else (
                    [("part_of", whole)] if whole and name_key(whole) != name_key(name) else [])
                self.add(name, cid, unit, defined=False, relations=relations)
        for cue in wordlist("part_of_cues"):
            if cue in folded and not cue.startswith(("born", "issu")):
                whole = relation_target(unit, cue)
                subject = subject_before(unit, cue, self.owner)
                if whole and subject and name_key(whole) != name_key(subject):
                    self.add(subject, cid, unit, defined=False, relations=[("part_of", whole)])
        for cue in wordlist("coordinates_cues"):
            if cue in folded:
                coordinated = relation_target(unit, cue)
                if coordinated and self.owner:
                    self.add(coordinated, cid, unit, defined=False)
                    self.add(self.owner, cid, unit, defined=False,
                             relations=[("coordinates", coordinated)])
        self.read_creation(cid, unit, folded)

    def read_partners(self, cid: str, unit: str, folded: str) -> None:
        """"des alliances ... avec d'autres réseaux comme l'AIM (...), l'ITUC-CSI (...)": the
        names enumerated after a partner cue; "maintains a relationship with Solidarité
        Mondiale": the name after a "with" cue. Both are partners of the sentence's subject
        (the document's organisation when the subject is "nous", "we")."""
        cues = frozenset(wordlist("partner_cues")) | frozenset(wordlist("partner_with_cues"))
        at = min((folded.find(c) for c in cues if c in folded), default=-1)
        if at < 0:
            return
        partners = enumerated_names(unit[at:], in_parentheses=False)
        for cue in wordlist("partner_with_cues"):
            if cue in folded and not partners:
                target = relation_target(unit, cue)
                partners = [target] if target and looks_like_name(target, 6) else []
        subject = self.subject_of(unit, cues)
        for name in partners:
            if subject and name_key(name) != name_key(subject):
                self.add(name, cid, unit, defined=False, relations=[("partner_of", subject)])

    def read_creation(self, cid: str, unit: str, folded: str) -> None:
        for cue in sorted(wordlist("created_by_cues")):  # sorted: same order in every process
            if cue in folded:
                creator = relation_target(unit, cue)
                subject = subject_before(unit, cue, "")
                if creator and subject and is_organisation(subject, unit):
                    self.add(subject, cid, unit, defined=False, relations=[("created_by", creator)])
                if creator:
                    self.add(creator, cid, unit, defined=False)
        for cue in wordlist("creates_cues"):
            if cue in folded:
                created = relation_target(unit, cue)
                creator = subject_before(unit, cue, "")
                around = fold(unit)[fold(unit).find(cue):][: len(cue) + len(created) + 20]
                if created and creator and (
                    is_acronym(created) or has_word(around, wordlist("organisation_words"))
                ):
                    for part in creator.split("/"):
                        self.add(part, cid, unit, defined=False, aliases=[
                            p for p in creator.split("/") if p != part])
                    self.add(created, cid, unit, defined=False,
                             relations=[("created_by", creator.split("/")[-1])])

    def subject_of(self, unit: str, cues: frozenset[str]) -> str:
        folded = fold(unit)
        at = min((folded.find(c) for c in cues if c in folded), default=-1)
        words = name_tail(clause_before(unit[:at])) if at > 0 else []
        name = clean_name(" ".join(w for w in words if fold(w) not in {"est", "is", "aussi"}))
        return name if name and looks_like_name(name) else self.owner
