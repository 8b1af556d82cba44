"""Which units make the answer, by the answer kind's selector (data/kinds.toml): a factoid
and the neighbours it needs, a list with its lead-in (across the chunks it spans), a
summary that opens on the defining sentence and adds distinct ones, a definition, a
passage (a sentence and those that follow it), or evidence for each organisation compared.

Units arrive ranked by the fitted model's probability (``ScoredUnit.score``); the only
thresholds are the fit's (model.Thresholds: shares of the best unit's probability)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from assistant.answering.detectors import NUMBER_VALUES, TYPE_PATTERNS, YEAR
from assistant.answering.features import is_heading_like, unit_words
from assistant.answering.matching import name_known, passage_context, supported, text_stems
from assistant.answering.model import Thresholds
from assistant.answering.profile import QuestionProfile, defines_a_name
from assistant.answering.units import is_list_item, text_order
from assistant.core.names import is_organisation_noun
from assistant.core.text import STOPWORDS, fold
from assistant.core.types import Passage, ScoredUnit, Unit, chunk_position

# Sentences that lean on the one before ("Y sont représentés ...", "It was born ...").
ANAPHORA = re.compile(
    r"^(y|il|elle|ils|elles|ce|cet|cette|ces|celui-ci|celle-ci|ceux-ci|sa|son|ses|leur|leurs"
    r"|it|its|they|their|this|these|those|he|she|his|her)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Choice:
    """What a selector works with: the candidates kept by the checks (ranked), every unit
    retrieved (for the neighbours a sentence needs), and the fitted thresholds."""

    ranked: Sequence[ScoredUnit]
    every_unit: Sequence[Unit]
    profile: QuestionProfile
    thresholds: Thresholds
    max_units: int
    list_max: int

    @property
    def best(self) -> ScoredUnit:
        return self.ranked[0]

    def close_to_best(self, score: float, ratio: float) -> bool:
        """Is a probability at least ``ratio`` of the best unit's?"""
        return score >= ratio * self.best.score

    def neighbour(self, unit: Unit, step: int) -> Unit | None:
        return self.positions.get((unit.passage.chunk_id, unit.index + step))

    @cached_property
    def positions(self) -> Mapping[tuple[str, int], Unit]:
        return {(u.passage.chunk_id, u.index): u for u in self.every_unit}

    @cached_property
    def kept(self) -> frozenset[int]:
        """The units the checks kept (by identity)."""
        return frozenset(id(s.unit) for s in self.ranked)

    def keeps_one_of(self, units: Sequence[Unit]) -> bool:
        """Did the checks keep one of these units?"""
        return any(id(u) in self.kept for u in units)


def select(choice: Choice) -> list[Unit]:
    selector = choice.profile.kind.selector
    if selector in ("factoid", "comparison") and len(choice.profile.strong_names) >= 2:
        return pick_comparison(choice)  # evidence for each organisation asked about
    if selector == "list" or introduces_list(choice.best.unit, choice):
        listed = pick_list(choice, any_list=selector == "list")
        if listed:
            return listed
    return SELECTORS.get(selector, pick_factoid)(choice)


# -- factoid ------------------------------------------------------------------------------
def pick_factoid(choice: Choice) -> list[Unit]:
    """The best unit, the runners-up over the joining threshold that say something else (up
    to ``max_units``: "Who chaired the Ligue since 2000?" has three answers in three
    sentences), and the neighbours they need (a pronoun's antecedent, the sentence holding
    the type asked)."""
    chosen = [choice.best.unit]
    for other in choice.ranked[1:choice.max_units]:
        if (len(chosen) < choice.max_units
                and choice.close_to_best(other.score, choice.thresholds.join_ratio)
                and adds_words(other.unit, chosen)):
            chosen.append(other.unit)
    return with_context(chosen, choice)


def adds_words(unit: Unit, chosen: Sequence[Unit]) -> bool:
    """Does the unit say something the chosen ones do not (a content word they lack)?"""
    said = set().union(*(unit_words(u.text) for u in chosen)) if chosen else set()
    return bool(unit_words(unit.text) - said)


def with_context(chosen: list[Unit], choice: Choice) -> list[Unit]:
    """Add the neighbours the best sentence needs: the sentence a pronoun refers to, the one
    that continues it with a pronoun, or the one that holds the type asked for."""
    unit = chosen[0]
    before, after = choice.neighbour(unit, -1), choice.neighbour(unit, 1)
    extra: list[Unit] = []
    if before is not None and ANAPHORA.match(unit.text):
        extra.append(before)
    if after is not None and ANAPHORA.match(after.text):
        extra.append(after)
    kind_type = choice.profile.kind.type
    if kind_type and not TYPE_PATTERNS[kind_type].search(unit.text):
        holders = [n for n in (before, after)
                   if n is not None and TYPE_PATTERNS[kind_type].search(n.text)]
        extra += holders[:1]
    result = list(chosen)
    for neighbour in extra:
        if all(neighbour is not r for r in result) and len(result) < choice.max_units:
            result.append(neighbour)
    return sorted(result, key=lambda u: (u.passage.rank, u.index)) if extra else result


# -- lists --------------------------------------------------------------------------------
def introduces_list(unit: Unit, choice: Choice) -> bool:
    """A unit like "Formations:" only announces its list: the list is the answer."""
    after = choice.neighbour(unit, 1)
    return (not is_list_item(unit) and after is not None and is_list_item(after)
            and unit.text.rstrip().endswith((":", "?", "…")))


def pick_list(choice: Choice, any_list: bool = True) -> list[Unit]:
    """The list that answers, with its lead-in, in text order: the best unit's own list
    (continued into the next retrieved chunks of its section), else the list whose lead-in
    or best item the model ranks highest over the answering threshold. For "quels types
    d'organisations", a list whose items are kinds of organisation comes first; else a list
    headed by what the question asks to list ("Quelles valeurs ... ?": "Nos valeurs"). Without
    ``any_list`` only the best unit's own list answers."""
    lists = candidate_lists(choice)
    if not lists:
        return []
    own = lists.get(choice.best.unit.passage.chunk_id)
    if own is not None and not (is_list_item(choice.best.unit) or introduces_list(
            choice.best.unit, choice) or choice.best.unit in lead_ins(own)):
        own = None
    if asks_organisation_kinds(choice.profile) and not (own and lists_organisation_kinds(own)):
        kinds = {cid: units for cid, units in lists.items() if lists_organisation_kinds(units)
                 and choice.profile.names_all(units[0].passage)}
        own = kinds[max(kinds, key=lambda c: list_score(kinds[c], choice))] if kinds else own
    sized = lists_of_the_size_asked(choice, lists)
    if sized:  # "What are WSM's four strategies?": the list of four items
        own = sized[max(sized, key=lambda c: list_score(sized[c], choice))]
    if own is None and any_list:
        named = lists_named_by_the_question(choice, lists)
        own = named[max(named, key=lambda c: list_score(named[c], choice))] if named else None
    if own is None and not any_list:
        return []
    if own is None:
        chunk = max(lists, key=lambda c: list_score(lists[c], choice))
        if not choice.close_to_best(list_score(lists[chunk], choice),
                                    choice.thresholds.list_ratio):
            return []
        own = lists[chunk]
    items = [u for u in continued(own, lists) if is_list_item(u)]
    return (lead_ins(own)[-1:] + items)[: choice.list_max + 1]


def lists_of_the_size_asked(choice: Choice, lists: Mapping[str, list[Unit]]
                            ) -> dict[str, list[Unit]]:
    """The candidate lists with as many items as the question says ("ses quatre
    stratégies", "the six themes"), among those the checks kept an item of."""
    sizes = {NUMBER_VALUES[w] for w in choice.profile.words if w in NUMBER_VALUES}
    if len(sizes) != 1:
        return {}
    return {cid: units for cid, units in lists.items()
            if sum(is_list_item(u) for u in continued(units, lists)) in sizes
            and choice.keeps_one_of(units)}


def lists_named_by_the_question(choice: Choice, lists: Mapping[str, list[Unit]]
                                ) -> dict[str, list[Unit]]:
    """The candidate lists whose lead-in or heading holds what the question asks to list
    ("Nos valeurs" + items for "Quelles valeurs Caritas met-elle en avant ?"), on a
    page of the organisation asked, among those the checks kept a unit of."""
    # what is listed, the question's first word ("valeurs" in "Quelles valeurs ... ?"); not a
    # kind of organisation: "Here are the organisations that ..." heads every partner list
    asked = choice.profile.words[:1]
    if not asked or asked[0] in choice.profile.name_words or is_organisation_noun(asked[0]):
        return {}
    named = {}
    for cid, units in lists.items():
        # the lead-in may be the list's heading ("Nos valeurs" over its items)
        lead_in = [units[0].passage.section, *(u.text for u in lead_ins(units)[-2:])]
        stems = text_stems(" ".join(lead_in))
        if (supported(asked[0], stems) and choice.keeps_one_of(units)
                and choice.profile.names_all(units[0].passage)):
            named[cid] = units
    return named


def lead_ins(units: Sequence[Unit]) -> list[Unit]:
    first = next(i for i, u in enumerate(units) if is_list_item(u))
    return list(units[:first])


def continued(units: list[Unit], lists: Mapping[str, list[Unit]]) -> list[Unit]:
    """The list and its continuation in the next chunks of the same document and section
    (a long list is cut into several chunks)."""
    result = list(units)
    document, number = chunk_position(units[0].passage.chunk_id)
    while document and (following := lists.get(f"{document}-{number + 1}")) and (
            following[0].passage.section == units[0].passage.section
            and is_list_item(following[0])):
        result += following
        number += 1
    return result


def candidate_lists(choice: Choice) -> dict[str, list[Unit]]:
    """Every retrieved passage that holds at least two list items, its units in order."""
    by_chunk: dict[str, list[Unit]] = {}
    for unit in choice.every_unit:
        by_chunk.setdefault(unit.passage.chunk_id, []).append(unit)
    return {cid: sorted(units, key=lambda u: u.index) for cid, units in by_chunk.items()
            if sum(is_list_item(u) for u in units) >= 2}


def list_score(units: Sequence[Unit], choice: Choice) -> float:
    """A list is as good as its lead-in (the two units before the first item) or best item,
    among the candidates the checks kept."""
    score_of = {id(s.unit): s.score for s in choice.ranked}
    first_item = next(i for i, u in enumerate(units) if is_list_item(u))
    return max(score_of.get(id(u), 0.0) for u in units[max(0, first_item - 2):])


def asks_organisation_kinds(profile: QuestionProfile) -> bool:
    """"Quels types d'organisations ... ?", "What kinds of groups ...?"."""
    words = profile.words
    return any(w in ("types", "type", "kinds", "kind", "sortes", "sorts") and i + 1 < len(words)
               and is_organisation_noun(words[i + 1]) for i, w in enumerate(words))


def lists_organisation_kinds(units: Sequence[Unit]) -> bool:
    """Most items are kinds of organisation: their first word that is not a stop word is
    one ("Dans un syndicat", "Une mutuelle de santé"; not "Voyages d'immersion ...")."""
    items = [u for u in units if is_list_item(u)]

    def opens_on_kind(text: str) -> bool:
        words = [w for w in re.split(r"[^a-z-]+", fold(text)) if w and w not in STOPWORDS]
        return bool(words) and is_organisation_noun(words[0])

    return bool(items) and sum(opens_on_kind(u.text) for u in items) * 2 > len(items)


# -- summaries, definitions, passages ---------------------------------------------------------
def pick_summary(choice: Choice) -> list[Unit]:
    """The strongest units (at most ``max_units``) of the passage that says most about the
    question, read in the text's order, opening on the organisation's defining sentence
    when the passage has one. The passage is the one whose strongest units add up to most,
    among those whose best unit is close to the best; headings and navigation lines are no
    summary ("Les Mouvements Sociaux comme force de changement social !" can score best and
    summarise nothing). Consecutive chunks of one section count as one passage (a long
    paragraph is cut into several)."""
    sentences = [s for s in choice.ranked if not is_heading_like(s.unit.text)]
    if not sentences:
        return pick_factoid(choice)
    by_passage: dict[str, list[ScoredUnit]] = {}
    for item in sentences:  # strongest first
        by_passage.setdefault(item.unit.passage.chunk_id, []).append(item)
    best = sentences[0].score
    close = [units for units in by_passage.values()
             if units[0].score >= choice.thresholds.summary_ratio * best]
    groups = [sorted((u for p in joined_neighbours(units[0].unit.passage, by_passage)
                      for u in by_passage[p]), key=lambda s: s.score, reverse=True)
              for units in close]
    group = max(groups, key=lambda units: sum(u.score for u in units[:choice.max_units]))
    chosen = defining_units(choice, group)[:1]
    covering = covering_units(choice, sentences, group[0].unit.passage.source, chosen or
                              [group[0].unit])
    chosen += covering[: max(0, choice.max_units - len(chosen))]
    for item in group:
        if len(chosen) >= choice.max_units:
            break
        if item.unit not in chosen and adds_words(item.unit, chosen):
            chosen.append(item.unit)
    return sorted(chosen, key=text_order)


def covering_units(choice: Choice, sentences: Sequence[ScoredUnit], document: str,
                   opening: Sequence[Unit]) -> list[Unit]:
    """For each type the kind covers (founding date, size, place) that the opening
    units lack: the document's best sentence holding it."""
    found: list[Unit] = []
    for kind_type in choice.profile.kind.covers:
        detector = TYPE_PATTERNS[kind_type]
        if any(detector.search(u.text) for u in (*opening, *found)):
            continue
        holder = next((s.unit for s in sentences if s.unit.passage.source == document
                       and detector.search(s.unit.text) and s.unit not in found), None)
        if holder is not None:
            found.append(holder)
    return found


def pick_timeline(choice: Choice) -> list[Unit]:
    """"Résume l'histoire de X", "Give me a short history of X": the dated sentences of the
    document the best dated one comes from, the earliest first, one per year, read in the
    order of their years. A history opens on the founding and its first milestones; the
    summary selector's one strongest passage skipped them for a late event ("In 1987 ...",
    "En mai 2006 ..."). Fewer than two dated sentences: a summary."""
    dated = [s.unit for s in choice.ranked
             if not is_heading_like(s.unit.text) and YEAR.search(s.unit.text)]
    if len(dated) < 2:
        return pick_summary(choice)
    document = dated[0].passage.source
    chosen: list[Unit] = []
    years: set[int] = set()
    for unit in sorted((u for u in dated if u.passage.source == document),
                       key=lambda u: (first_year(u), text_order(u))):
        year = first_year(unit)
        if len(chosen) >= choice.max_units:
            break
        if year not in years:
            chosen.append(unit)
            years.add(year)
    return chosen


def first_year(unit: Unit) -> int:
    return min(int(year) for year in YEAR.findall(unit.text))


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


def pick_definition(choice: Choice) -> list[Unit]:
    """The sentence that says what the organisation asked is (the model's best of those
    that open on its name), with what continues it (else the best unit), and what the kind
    covers that they lack (its founding date, size, place: ``covering_units``)."""
    defining = defining_units(choice, choice.ranked)
    first = defining[0] if defining else choice.best.unit
    sentences = [s for s in choice.ranked if not is_heading_like(s.unit.text)]
    chosen = with_context([first], choice)
    extra = covering_units(choice, sentences, first.passage.source, chosen)
    extra = extra[: max(0, choice.max_units - len(chosen))]
    return sorted(chosen + extra, key=text_order) if extra else chosen


def defining_units(choice: Choice, ranked: Sequence[ScoredUnit]) -> list[Unit]:
    names = [a for n in choice.profile.names for a in choice.profile.names_of(n)]
    return [s.unit for s in ranked if defines_a_name(s.unit.text, names)]


def pick_passage(choice: Choice) -> list[Unit]:
    """"Comment ... ?": the factoid's units, then the sentences that follow the best one in
    its passage: the kind's ``reads_on`` first (the steps of a process seldom repeat the
    question's words), then while the model ranks them close to the best (the joining
    share)."""
    chosen = pick_factoid(choice)
    score_of = {id(s.unit): s.score for s in choice.ranked}
    unit = choice.best.unit
    read_on = 0
    while len(chosen) < choice.max_units and (nxt := choice.neighbour(unit, 1)) is not None:
        if read_on >= choice.profile.kind.reads_on and not choice.close_to_best(
                score_of.get(id(nxt), 0.0), choice.thresholds.join_ratio):
            break
        read_on += 1
        if nxt not in chosen:
            chosen.append(nxt)
        unit = nxt
    return sorted(chosen, key=lambda u: (u.passage.rank, u.index))


def pick_comparison(choice: Choice) -> list[Unit]:
    """Evidence for each organisation compared: the model's best unit whose passage names
    it; fewer than two named: a factoid."""
    chosen: list[Unit] = []
    for name in choice.profile.strong_names:
        for item in choice.ranked:
            stems = text_stems(passage_context(item.unit.passage))
            if any(name_known(a, stems) for a in choice.profile.names_of(name)):
                if item.unit not in chosen:
                    chosen.append(item.unit)
                break
    return sorted(chosen, key=text_order) if len(chosen) >= 2 else pick_factoid(choice)


SELECTORS: Mapping[str, Callable[[Choice], list[Unit]]] = {
    "factoid": pick_factoid, "list": pick_factoid, "summary": pick_summary,
    "timeline": pick_timeline, "definition": pick_definition, "passage": pick_passage,
    "comparison": pick_comparison,
}
