"""Which units make the answer: a list with its lead-in, a summary's strongest sentences, or a
factoid and the neighbours it needs."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from assistant.answering.detectors import TYPE_PATTERNS
from assistant.answering.profile import QuestionProfile
from assistant.answering.scoring import DEFAULT_WEIGHTS, EngineWeights
from assistant.answering.units import chunk_position, is_list_item, text_order
from assistant.core.names import is_organisation_noun
from assistant.core.text import STOPWORDS, fold
from assistant.core.types import Passage, ScoredUnit, Unit


def introduces_list(best: ScoredUnit, scored: Sequence[ScoredUnit]) -> bool:
    """A best unit like "Formations:" only announces its list: the list is the answer."""
    own = candidate_lists(scored).get(best.unit.passage.chunk_id)
    if own is None or is_list_item(best.unit):
        return False
    following = [u for u in own if u.index > best.unit.index]
    return bool(following) and is_list_item(following[0]) and best.unit.text.rstrip().endswith(
        (":", "?", "…")
    )


def pick_list_units(
    best: ScoredUnit, scored: Sequence[ScoredUnit], limit: int,
    weights: EngineWeights = DEFAULT_WEIGHTS, kinds_of: QuestionProfile | None = None,
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
