"""Checked citations: every generated sentence is tested against the passage it cites.

A sentence is supported by a passage when every number it states is in the passage, and
its words are there (lexical support: stems, synonyms, cognates, as the answer engine
reads them) or its meaning is (embedding support: cosine with the passage's closest
sentence, through the service's encoder). A sentence whose citation fails is re-cited to a
source that supports it, or removed; a sentence stating a fact with no citation is removed.
Thresholds were measured on the labelled pairs of ``tests/citation_pairs.jsonl``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from assistant.answering.matching import passage_context, supported, text_stems
from assistant.core.lists import LIST_MARK
from assistant.core.names import is_acronym
from assistant.core.sentences import sentences
from assistant.core.text import STOPWORDS, fold, tokenize_words
from assistant.core.types import Passage

MARKERS = re.compile(r"\[\s*(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\s*\]")
LEADING_MARKERS = re.compile(r"^((?:\s*\[\s*\d{1,3}(?:\s*[,;]\s*\d{1,3})*\s*\])+)\s*")

Encode = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class Thresholds:
    """When a passage supports a sentence (see tests/test_citations.py for the measure).

    Lexical: the share of the sentence's content words found in the passage. Embedding:
    cosine (multilingual-e5-small, query vs passage sentence), high for any text of the
    corpus's domain, so only its top range says "same meaning". A sentence is supported
    when its numbers and names are in the passage and either its words are (lexical >=
    lexical), or its meaning is (embedding >= embedding) with some of its words (lexical
    >= floor: a translation keeps names and cognates)."""

    lexical: float = 0.75
    embedding: float = 0.86
    lexical_floor: float = 0.45


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True)
class Evidence:
    """A source passage as the checker reads it: its number [n] and sentences' vectors."""

    passage: Passage
    units: Sequence[tuple[str, np.ndarray]]

    @property
    def number(self) -> int:
        return self.passage.rank


@dataclass(frozen=True)
class Support:
    lexical: float
    embedding: float
    numbers_ok: bool
    unit_text: str  # the passage's sentence closest in meaning
    names_ok: bool = True
    literals_ok: bool = True  # its addresses and phone numbers are in the passage as written

    def holds(self, thresholds: Thresholds) -> bool:
        if not (self.numbers_ok and self.names_ok and self.literals_ok):
            return False
        if self.lexical >= thresholds.lexical:
            return True
        return self.embedding >= thresholds.embedding and self.lexical >= thresholds.lexical_floor


@dataclass
class Claim:
    """One sentence (or list item) of a generated answer."""

    line: int
    bullet: str
    text: str  # without its citation markers
    cited: list[int]

    @property
    def states_fact(self) -> bool:
        words = content_words(self.text)
        return len(words) >= 2 or any(ch.isdigit() for ch in self.text)

    @property
    def is_lead_in(self) -> bool:
        """"Ses partenaires sont :" introduces the items that follow; it needs no citation."""
        return self.text.rstrip().endswith(":") and len(content_words(self.text)) <= 6


@dataclass
class SentenceCheck:
    sentence: str
    cited: list[int]
    verdict: str  # supported | recited | removed_unsupported | removed_uncited | kept_no_fact
    final_cited: list[int] = field(default_factory=list)
    lexical: float = 0.0
    embedding: float = 0.0
    support_text: str = ""

    @property
    def kept(self) -> bool:
        return not self.verdict.startswith("removed")

    def to_dict(self) -> dict[str, object]:
        record = asdict(self)
        record["lexical"] = round(self.lexical, 3)
        record["embedding"] = round(self.embedding, 3)
        return record


@dataclass
class CheckedText:
    text: str  # what survives, with its (possibly new) citations
    checks: list[SentenceCheck]
    supports: dict[int, list[str]]  # passage number -> the passage sentences that support

    @property
    def supported_sentences(self) -> int:
        return sum(c.verdict in ("supported", "recited") for c in self.checks)


def content_words(text: str) -> list[str]:
    return [w for w in tokenize_words(text) if w not in STOPWORDS and len(w) > 1
            and not any(ch.isdigit() for ch in w)]


def numbers_in(text: str) -> set[str]:
    """Numbers as digit strings: "46.000", "46 000" and "46000" are one number."""
    found = set()
    for word in tokenize_words(text):
        digits = re.sub(r"\D", "", word)
        if digits and any(ch.isdigit() for ch in word):
            found.add(digits)
    return found


# What a reader would follow or dial: web addresses (with a scheme, "www." or a bare domain
# and path), e-mail addresses and phone numbers. In a generated sentence each must be in the
# cited passage character for character: one planted address ("Le site web de WSM est
# https://evil.example/wsm-login [1]") is otherwise "supported" by the real page (issue 19).
LITERAL = re.compile(
    r"(?:https?://|ftp://|mailto:|www\.)[^\s<>\[\]\"'`]+"
    r"|[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|\b(?:[A-Za-z0-9-]+\.)+[a-z]{2,24}(?:/[^\s<>\[\]\"'`]*)?(?![\w@])"
    r"|\+?\(?\d[\d .()/-]{6,}\d"
)
TRAILING = ".,;:!?)»”’'\""


def literals_in(text: str) -> list[str]:
    """The web addresses, e-mail addresses and phone numbers a text writes (a phone number
    has 8 digits or more: years and counts are the numbers check's)."""
    found = []
    for match in LITERAL.finditer(text):
        literal = match.group(0).rstrip(TRAILING)
        if literal[:1].isdigit() or literal[:1] in "+(":
            if sum(c.isdigit() for c in literal) < 8:
                continue
        elif "." not in literal and "@" not in literal and ":" not in literal:
            continue
        found.append(literal)
    return found


NAME = re.compile(r"[^\W\d_][\w'’.-]*")


def names_in_claim(text: str) -> list[str]:
    """Capitalised words (not the first one) and acronyms: what a sentence names."""
    names = []
    for position, match in enumerate(NAME.finditer(text)):
        word = match.group(0).strip(".-'’")
        if is_acronym(word) or (position > 0 and word[:1].isupper()):
            names += [p for p in re.split(r"[-'’.]", word)
                      if len(p) >= 2 and not p.isdigit() and fold(p) not in STOPWORDS]
    return names


def name_in_passage(name: str, stems: frozenset[str], words: frozenset[str],
                    initials: str) -> bool:
    """Is the name in the passage: same stem, synonym or cognate ("Charter"/"Charte"), the
    same first four letters for a translated place ("Africa"/"Afrique"), or an acronym
    that the passage spells out ("FOPES": faculté Ouverte de Politique Économique et ...)."""
    if supported(name, stems):
        return True
    folded = fold(name)
    if len(folded) >= 5 and any(len(w) >= 5 and w[:4] == folded[:4] for w in words):
        return True
    return is_acronym(name) and len(folded) >= 3 and folded in initials


def split_claims(text: str) -> list[Claim]:
    """Sentences and list items, each with the passage numbers it cites. A citation
    written after the full stop ("... en 1974. [1]") belongs to the sentence before it."""
    claims: list[Claim] = []
    for line_no, line in enumerate(text.splitlines()):
        bullet_match = LIST_MARK.match(line)
        bullet = bullet_match.group(0).strip() if bullet_match else ""
        body = line[bullet_match.end():] if bullet_match else line
        for piece in sentences(body):
            leading = LEADING_MARKERS.match(piece)
            if leading and claims and claims[-1].line == line_no:
                claims[-1].cited += cited_numbers(leading.group(1))
                piece = piece[leading.end():]
            if not piece.strip():
                continue
            claims.append(Claim(line_no, bullet, clean(piece), cited_numbers(piece)))
            bullet = ""  # only the line's first sentence carries its bullet
    return [c for c in claims if c.text]


def cited_numbers(text: str) -> list[int]:
    numbers: list[int] = []
    for group in MARKERS.findall(text):
        numbers += [int(n) for n in re.split(r"[,;]", group) if n.strip()]
    return list(dict.fromkeys(numbers))


def clean(text: str) -> str:
    """The sentence without its markers (and the space before each: "1974 [1]." -> "1974.")."""
    return re.sub(r"\s{2,}", " ", re.sub(r"\s*" + MARKERS.pattern, "", text)).strip()


def support(claim: str, claim_vector: np.ndarray, evidence: Evidence) -> Support:
    stems = text_stems(passage_context(evidence.passage))
    words = content_words(claim)
    lexical = sum(supported(w, stems) for w in words) / len(words) if words else 0.0
    context = passage_context(evidence.passage)
    numbers_ok = numbers_in(claim) <= numbers_in(context)
    words_ = frozenset(tokenize_words(context))
    initials = "".join(w[0] for w in tokenize_words(context) if w not in STOPWORDS)
    names_ok = all(name_in_passage(n, stems, words_, initials) for n in names_in_claim(claim))
    literals_ok = all(literal in context for literal in literals_in(claim))
    best_text, best = "", 0.0
    for text, vector in evidence.units:
        score = float(np.dot(claim_vector, vector))
        if score > best:
            best_text, best = text, score
    return Support(lexical, best, numbers_ok, best_text, names_ok, literals_ok)


def check_answer(text: str, evidence: Sequence[Evidence], encode: Encode,
                 thresholds: Thresholds = DEFAULT_THRESHOLDS) -> CheckedText:
    """Check, re-cite or remove every sentence of ``text``; rebuild what survives."""
    claims = split_claims(text)
    by_number = {e.number: e for e in evidence}
    factual = [c for c in claims if c.states_fact and not c.is_lead_in]
    vectors = encode([c.text for c in factual]) if factual else np.zeros((0, 1))
    vector_of = {id(c): v for c, v in zip(factual, vectors, strict=True)}
    checks: list[SentenceCheck] = []
    supports: dict[int, list[str]] = {}
    for claim in claims:
        vector = vector_of.get(id(claim))
        if vector is None:
            checks.append(SentenceCheck(claim.text, claim.cited, "kept_no_fact",
                                        final_cited=[n for n in claim.cited if n in by_number]))
            continue
        check = check_claim(claim, vector, by_number, thresholds)
        checks.append(check)
        for number in check.final_cited:
            supports.setdefault(number, []).append(check.support_text)
    return CheckedText(rebuild(claims, checks), checks, supports)


def check_claim(claim: Claim, vector: np.ndarray, by_number: Mapping[int, Evidence],
                thresholds: Thresholds) -> SentenceCheck:
    scores = {n: support(claim.text, vector, e) for n, e in by_number.items()}
    if not claim.cited:
        best = max(scores.values(), key=lambda s: s.embedding, default=None)
        return SentenceCheck(claim.text, [], "removed_uncited",
                             lexical=best.lexical if best else 0.0,
                             embedding=best.embedding if best else 0.0)
    good = [n for n in claim.cited if n in scores and scores[n].holds(thresholds)]
    if good:
        first = scores[good[0]]
        return SentenceCheck(claim.text, claim.cited, "supported", good, first.lexical,
                             first.embedding, first.unit_text)
    backers = [n for n, s in scores.items() if s.holds(thresholds)]
    cited = [scores[n] for n in claim.cited if n in scores]
    worst = max(cited, key=lambda s: s.embedding) if cited else Support(0.0, 0.0, False, "")
    if not backers:
        return SentenceCheck(claim.text, claim.cited, "removed_unsupported",
                             lexical=worst.lexical, embedding=worst.embedding)
    number = max(backers, key=lambda n: (scores[n].lexical + scores[n].embedding))
    chosen = scores[number]
    return SentenceCheck(claim.text, claim.cited, "recited", [number], chosen.lexical,
                         chosen.embedding, chosen.unit_text)


def rebuild(claims: Sequence[Claim], checks: Sequence[SentenceCheck]) -> str:
    """The kept sentences, each with its citations, in their lines; a lead-in stays only
    when something it introduces stays."""
    lines: dict[int, list[str]] = {}
    bullets: dict[int, str] = {}
    for claim, check in zip(claims, checks, strict=True):
        if not check.kept:
            continue
        marks = "".join(f"[{n}]" for n in check.final_cited)
        lines.setdefault(claim.line, []).append(f"{claim.text} {marks}".strip())
        if claim.bullet and claim.line not in bullets:
            bullets[claim.line] = claim.bullet
    ordered = sorted(lines)
    factual = {c.line for c, k in zip(claims, checks, strict=True)
               if k.verdict in ("supported", "recited")}
    kept_lines = []
    for position, line in enumerate(ordered):
        text = " ".join(lines[line])
        if line not in factual and not any(later in factual for later in ordered[position + 1:]):
            continue  # a lead-in or filler with nothing checked after it
        bullet = bullets.get(line, "")
        kept_lines.append(f"{bullet} {text}" if bullet else text)
    return "\n".join(kept_lines).strip()
