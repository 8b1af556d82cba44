"""One document read for the organisations it mentions: its own organisation, the entries and
list items that start with a name, the names paired in parentheses, the relations its
sentences state, the address and website fields; each fact kept with its unit."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.core.lists import strip_list_mark
from assistant.core.text import fold, folded_words, has_word
from assistant.core.types import Chunk, DocumentInfo
from assistant.directory.extraction.addresses import URL_RE, split_address
from assistant.directory.extraction.heads import (
    Head,
    alias_text,
    lowercase_subject,
    parse_head,
    topic_head,
)
from assistant.directory.extraction.mention import Mention
from assistant.directory.extraction.names import (
    acronym_letters,
    clean_name,
    initials_match,
    is_connector,
    is_organisation,
    looks_like_name,
    name_key,
    named_organisation,
)
from assistant.directory.extraction.parentheses import parenthesised_pairs
from assistant.directory.extraction.relations import RelationReader, relation_target
from assistant.directory.extraction.vocabulary import wordlist

DESCRIPTION_MAX = 220


def one_line(text: str, limit: int = DESCRIPTION_MAX) -> str:
    text = strip_list_mark(re.sub(r"\s+", " ", text)).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:")
    return cut + " …"


@dataclass
class Scope:
    """What the chunks under an introduction share: a heading, and maybe whose partners
    they are ("Ses partenaires privilégiés sont :")."""

    heading: str = ""
    partners_of: str = ""
    lead: str = ""  # the sentence that announced the partners
    parts_of: str = ""  # "The CIRTES ... was born of the union of three entities:"


class DocumentReader:
    """Walks one document's chunks and collects its mentions."""

    def __init__(self, info: DocumentInfo, chunks: Sequence[Chunk], chunk_ids: Sequence[str]):
        self.info = info
        self.chunks = chunks
        self.chunk_ids = chunk_ids
        self.mentions: list[Mention] = []
        self.owner = info.organisation or ""
        self.relations = RelationReader(self.owner, self.add)

    # -- helpers ---------------------------------------------------------------
    def add(self, name: str, chunk_id: str, evidence: str, *, defined: bool,
            **facts: Any) -> Mention | None:
        name = clean_name(name)
        if not name or len(name) > 90 or not any(c.isalpha() for c in name) and not (
            re.fullmatch(r"\d+(?:\.\d+)+", name)  # "11.11.11" (``_numeric_name``)
        ):
            return None
        mention = Mention(name=name, doc_id=self.info.doc_id, chunk_id=chunk_id,
                          evidence=evidence.strip(), defined=defined,
                          language=self.info.language, **facts)
        self.mentions.append(mention)
        return mention

    def read(self) -> list[Mention]:
        self.read_owner()
        scope = Scope()
        for chunk, cid in zip(self.chunks, self.chunk_ids, strict=True):
            scope = self.next_scope(chunk, scope)
            self.read_chunk(chunk, cid, scope)
        self.link_acronyms()
        return self.mentions

    def link_acronyms(self) -> None:
        """"Le Groupe de recherche pour une stratégie ... le GRESEA est également ...": an
        acronym in the passage that spells a defined long name is that name's acronym."""
        units = {cid: " ".join(c.units)
                 for c, cid in zip(self.chunks, self.chunk_ids, strict=True)}
        for mention in [m for m in self.mentions if m.defined and len(m.name.split()) >= 3]:
            text = units.get(mention.chunk_id, "")
            # In text order: the aliases (and the stored mentions) are the same every run.
            for token in dict.fromkeys(re.findall(r"\b[A-Z][A-Z0-9-]{2,11}\b", text)):
                if token not in mention.aliases and initials_match(
                    acronym_letters(token), mention.name.split()
                ):
                    mention.aliases.append(token)

    def read_owner(self) -> None:
        """The document's organisation (manifest), with the name its title gives it."""
        if not self.owner or not self.chunks:
            return
        subject = re.split(r"\s[:–-]\s|:\s", self.info.title, maxsplit=1)[0].strip()
        aliases = [subject] if subject and name_key(subject) != name_key(self.owner) and (
            looks_like_name(subject, max_words=4)
        ) else []
        names = [n for n in (self.owner, *aliases) if name_key(n)]
        about: list[tuple[str, str]] = []  # (chunk id, unit) of units that name the owner
        for chunk, cid in zip(self.chunks, self.chunk_ids, strict=True):
            units = list(chunk.units)
            for index, unit in enumerate(units):
                if has_word(unit, names) and len(unit.split()) >= 6:
                    about.append((cid, unit))
                    if _announces(unit) and index + 1 < len(units):
                        about.append((cid, units[index + 1]))  # the list it announces
        about = about[:2]  # its introduction: later sentences name it while saying other things
        if not about:
            first = self.chunks[0]
            about = [(self.chunk_ids[0], first.units[0] if first.units else "")]
        self.add(self.owner, about[0][0], about[0][1], defined=True, aliases=aliases,
                 description=one_line(about[0][1]), own_text=" ".join(u for _, u in about))

    def next_scope(self, chunk: Chunk, scope: Scope) -> Scope:
        """A section's introduction opens a scope; its last sentence, when it announces what
        follows ("Ses partenaires privilégiés sont :"), says whose partners they are. A
        paragraph under the same heading that presents an organisation ("Avec la faculté
        ..., l'UCL propose") is one more entry of the scope, not a new introduction."""
        if chunk.kind == "section" and chunk.section == scope.heading and chunk.units and (
            topic_head(chunk.units[0]) is not None
        ):
            return scope
        if chunk.kind == "section":
            last = chunk.units[-1] if chunk.units else ""
            partners_of = self.partners_cue(last) if _announces(last) else ""
            return Scope(chunk.section, partners_of, lead=last if partners_of else "")
        if chunk.kind == "list":
            lead = " ".join(self.lead_in(chunk))
            partners_of = self.partners_cue(lead) if lead else ""
            if partners_of:
                return Scope(scope.heading, partners_of, lead=lead)
            whole = self.whole_of(lead) if lead else ""
            if whole:
                return Scope(scope.heading, parts_of=whole)
        return scope

    def whole_of(self, lead: str) -> str:
        """The organisation a list's items make up, when its lead-in says they compose it:
        the first name the lead-in gives, else the document's organisation."""
        folded = fold(lead)
        if not any(c in folded for c in wordlist("composed_of_cues")):
            return ""
        named = [name for name, _, kind in parenthesised_pairs(lead) if kind == "alias"]
        head = parse_head(lead)
        return named[0] if named else head.name if head else self.owner

    def lead_in(self, chunk: Chunk) -> list[str]:
        """The units of a list chunk before its first item: up to the sentence that announces
        the list ("Here are the organisations that work with AID …"), else up to an item."""
        for index, unit in enumerate(chunk.units[:3]):
            if _announces(unit) and index + 1 < len(chunk.units):
                return list(chunk.units[: index + 1])
        lead: list[str] = []
        for unit in chunk.units:
            if self.item_head(unit):
                break
            lead.append(unit)
        return lead if len(lead) < len(chunk.units) else []

    @staticmethod
    def item_head(unit: str) -> Head | None:
        head = parse_head(unit)
        if head is None or "/" in head.name or not _short_name(head.name):
            return None
        return head if is_organisation(head.name, unit) and _defines(head, unit) else None

    def partners_cue(self, text: str) -> str:
        folded = fold(text)
        cues = sorted((c for c in wordlist("partner_cues") if c in folded),
                      key=lambda c: (-len(c), c))
        for cue in cues:  # longest first: "partenaires de X" before "partenaire"
            target = relation_target(text, cue)
            if target and looks_like_name(target, 4):
                return target
        return self.owner if cues else ""

    @staticmethod
    def relate_to_scope(mention: Mention | None, scope: Scope) -> None:
        """An entry under a partner lead-in is a partner of the organisation it names, with
        the lead-in kept beside it ("partenaires privilégiés")."""
        if mention and scope.partners_of and name_key(scope.partners_of) != name_key(
            mention.name
        ):
            mention.relations.append(("partner_of", scope.partners_of))
            mention.relation_context = scope.lead

    def context_of(self, chunk: Chunk, scope: Scope, name: str) -> str:
        headings = [h for h in (chunk.section, scope.heading)
                    if h and name_key(h) != name_key(name)]
        return " / ".join(dict.fromkeys(headings))

    # -- chunks ----------------------------------------------------------------
    def read_chunk(self, chunk: Chunk, cid: str, scope: Scope) -> None:
        units = list(chunk.units)
        if chunk.kind == "entry" and units:
            self.read_entry(chunk, cid, scope)
        elif chunk.kind == "section" and units:
            self.read_topic_entry(chunk, cid, scope)
        if chunk.kind == "list":
            for unit in units[len(self.lead_in(chunk)):]:
                self.read_item(chunk, cid, scope, unit)
                if scope.parts_of:
                    self.read_part(cid, scope.parts_of, unit)
        for unit in units:
            self.read_pairs(chunk, cid, scope, unit)
            self.relations.read_relations(cid, unit)
            self.read_fields(cid, unit)

    def read_topic_entry(self, chunk: Chunk, cid: str, scope: Scope) -> bool:
        """"Avec la faculté Ouverte de Politique Économique et Sociale, l'UCL propose une
        formation ...": a paragraph that opens on an organisation ("avec X, ...") presents
        it (the partner of a list it is in); the clause's own subject is described with it."""
        first = chunk.units[0] if chunk.units else ""
        topic = topic_head(first)
        if topic is None:
            return False
        name, rest = topic
        own_text = " ".join(chunk.units)
        mention = self.add(name, cid, first, defined=True, description=one_line(first),
                           own_text=own_text, context=self.context_of(chunk, scope, name))
        self.relate_to_scope(mention, scope)
        subject = parse_head(rest)
        if subject and name_key(subject.name) != name_key(name) and _short_name(subject.name) and (
            is_organisation(subject.name, rest) and named_organisation(subject.name, rest)
        ):
            self.add(subject.name, cid, first, defined=True,
                     aliases=[alias_text(a) for a in subject.aliases],
                     description=one_line(first), own_text=own_text,
                     context=self.context_of(chunk, scope, subject.name))
        return True

    def read_entry(self, chunk: Chunk, cid: str, scope: Scope) -> None:
        if self.read_topic_entry(chunk, cid, scope):
            return
        first = chunk.units[0]
        head = parse_head(first)
        name = head.name if head else ""
        if head and lowercase_subject(name) and chunk.section:
            name = chunk.section if _same_words(name, chunk.section) else ""
        elif not head and chunk.section and looks_like_name(chunk.section, 8):
            name = chunk.section  # a heading, then a paragraph about it
        opening = " ".join(chunk.units[:2])
        if not name or "/" in name or not _short_name(name, entry=True) or not is_organisation(
            name, opening
        ) or not named_organisation(name, opening):
            return
        description, address, town = split_address(head.rest if head else first)
        mention = self.add(
            name, cid, first, defined=True,
            aliases=[alias_text(a) for a in head.aliases] if head else [],
            description=one_line(first), own_text=" ".join(chunk.units),
            context=self.context_of(chunk, scope, name), address=address, town=town,
        )
        self.relate_to_scope(mention, scope)

    def read_item(self, chunk: Chunk, cid: str, scope: Scope, unit: str) -> None:
        head = self.item_head(unit)
        if head is None:
            return
        description, address, town = split_address(head.rest)
        mention = self.add(
            head.name, cid, unit, defined=True,
            aliases=[alias_text(a) for a in head.aliases],
            description=one_line(strip_list_mark(unit)), own_text=unit,
            context=self.context_of(chunk, scope, head.name), address=address, town=town,
        )
        self.relate_to_scope(mention, scope)

    def read_part(self, cid: str, whole: str, unit: str) -> None:
        """One item of a list that makes up ``whole``: "the TRAV (school of ...);"."""
        pairs = [name for name, _, kind in parenthesised_pairs(unit) if kind == "alias"]
        head = parse_head(strip_list_mark(unit))
        name = pairs[0] if pairs else head.name if head else ""
        if name and name_key(name) != name_key(whole) and looks_like_name(name):
            self.add(name, cid, unit, defined=False, relations=[("part_of", whole)])

    def read_pairs(self, chunk: Chunk, cid: str, scope: Scope, unit: str) -> None:
        for name, other, kind in parenthesised_pairs(unit):
            if kind == "alias":
                heading = name_key(chunk.section)
                defined = unit == chunk.units[0] and bool(heading) and any(
                    name_key(n) and name_key(n) in heading for n in (name, other))
                mention = self.add(name, cid, unit, defined=defined, aliases=[other],
                                   description=one_line(unit) if defined else "",
                                   own_text=" ".join(chunk.units) if defined else unit,
                                   context=self.context_of(chunk, scope, name))
                if defined:
                    self.relate_to_scope(mention, scope)
            elif kind == "part_of" and looks_like_name(name):
                self.add(name, cid, unit, defined=False, relations=[("part_of", other)])
            elif kind == "described":
                mention = self.add(name, cid, unit, defined=False, description=other,
                                   own_text=other)
                if mention and has_word(other, wordlist("partner_cues")) and self.owner:
                    mention.relations.append(("partner_of", self.owner))


    def read_fields(self, cid: str, unit: str) -> None:
        """"Adresse principale : ...", "Site web : ..." fields of the document's organisation."""
        folded = fold(unit)
        label = folded.split(":", 1)[0]
        if ":" not in folded or not self.owner or len(label) > 30:
            return
        value = unit.split(":", 1)[1].strip()
        if any(c in label for c in wordlist("address_cues")):
            _, address, town = split_address(value)
            if town:
                self.add(self.owner, cid, unit, defined=False, address=address, town=town)
        elif any(c in label for c in wordlist("website_cues")):
            url = URL_RE.search(unit)
            if url:
                self.add(self.owner, cid, unit, defined=False, website=url.group(0).rstrip(">."))



def _short_name(name: str, *, entry: bool = False) -> bool:
    """A list item's name: a few words, mostly capitalised when it has more than four. A
    paragraph's subject may be a longer descriptive name when it starts with an
    organisation noun ("Le Groupe de recherche pour une stratégie économique alternative")."""
    content = [w for w in name.split() if not is_connector(w)]
    capitalised = sum(w[:1].isupper() for w in content)
    if entry and content and content[0][:1].isupper() and len(content) <= 8 and has_word(
        content[0], wordlist("organisation_words")
    ):
        return True
    return len(content) <= 4 or len(content) <= 6 and capitalised * 2 >= len(content)


def _announces(text: str) -> bool:
    return text.rstrip().endswith((":", "…", "..."))


def _defines(head: Head, unit: str) -> bool:
    """A list item defines an organisation when something follows its name."""
    rest = strip_list_mark(head.rest).strip()
    return len(rest.split()) >= 2 and named_organisation(head.name, unit)


def _same_words(a: str, b: str) -> bool:
    wa = {w for w in folded_words(a).split() if len(w) > 2}
    wb = {w for w in folded_words(b).split() if len(w) > 2}
    return bool(wa) and len(wa & wb) >= 0.6 * len(wa)


def extract_mentions(info: DocumentInfo, chunks: Sequence[Chunk],
                     chunk_ids: Sequence[str]) -> list[Mention]:
    """Every organisation mention of one document, each with the unit it came from."""
    return DocumentReader(info, chunks, chunk_ids).read()
