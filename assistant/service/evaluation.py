"""Scores of a question set, computed by the project's own code.

Same definitions as ``shared/eval/score.py`` (retrieval hit@k, MRR, answer accuracy,
abstention, false abstention, median answer length, by language and kind), so the
project can check itself without the shared folder.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

# Phrases that count as "the assistant says it does not know" (as the shared scorer reads them).
ABSTAIN = re.compile(
    r"(je ne (sais|trouve|dispose)|pas d.information|aucune information"
    r"|ne (contient|mentionne|precise) pas|not (found|mentioned|in the|available)"
    r"|no information|i (do not|don't) know|cannot find|n.est pas (mentionne|precise|indique))"
)


def norm(text: str) -> str:
    """Lowercase, strip accents, unify quotes, dashes and spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    for src, dst in (("\u2019", "'"), ("\u2018", "'"), ("\u00a0", " "), ("\u202f", " "),
                     ("\u2013", "-"), ("\u2014", "-")):
        text = text.replace(src, dst)
    return re.sub(r"\s+", " ", text.lower()).strip()


def score_one(
    question: Mapping[str, Any], answer: Mapping[str, Any] | None, k: int
) -> dict[str, Any]:
    row: dict[str, Any] = {"id": question["id"], "kind": question["kind"], "lang": question["lang"]}
    if answer is None:
        row.update(correct=False, hit=False, rr=0.0, fact_recall=0.0, length=0, abstained=False)
        return row
    text = norm(str(answer.get("answer", "")))
    row["abstained"] = bool(answer.get("abstained")) or bool(ABSTAIN.search(text))
    row["length"] = len(str(answer.get("answer", "")))
    if question["kind"] == "unanswerable":
        row["correct"] = row["abstained"]
        return row
    found = [any(re.search(norm(alt), text) for alt in group) for group in question["facts"]]
    row["fact_recall"] = sum(found) / len(found) if found else 0.0
    row["correct"] = all(found)
    sources = [norm(str(s.get("text", ""))) for s in answer.get("sources", [])][:k]
    evidence = [norm(e) for e in question.get("evidence", [])]
    rank = next((i for i, s in enumerate(sources, 1) if any(e in s for e in evidence)), None)
    row["hit"] = rank is not None
    row["rr"] = 1.0 / rank if rank else 0.0
    return row


def score(questions: Sequence[Mapping[str, Any]], answers: Iterable[Mapping[str, Any]],
          k: int = 5) -> list[dict[str, Any]]:
    by_id = {a["id"]: a for a in answers}
    return [score_one(q, by_id.get(q["id"]), k) for q in questions]


def summary(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    answerable = [r for r in rows if r["kind"] != "unanswerable"]
    unanswerable = [r for r in rows if r["kind"] == "unanswerable"]

    def share(values: Sequence[Any]) -> float:
        return round(sum(bool(v) for v in values) / max(1, len(values)), 3)

    result: dict[str, Any] = {
        "n": len(rows),
        "answer_accuracy": share([r["correct"] for r in answerable]),
        "fact_recall": round(statistics.mean(r.get("fact_recall", 0) for r in answerable), 3)
        if answerable else 0.0,
        "retrieval_hit@k": share([r.get("hit") for r in answerable]),
        "mrr": round(statistics.mean(r.get("rr", 0) for r in answerable), 3) if answerable else 0.0,
        "abstain_correct": share([r["correct"] for r in unanswerable]),
        "false_abstain": share([r.get("abstained") for r in answerable]),
        "median_answer_chars": int(statistics.median(r["length"] for r in rows)) if rows else 0,
    }
    groups: dict[str, list[bool]] = defaultdict(list)
    for r in answerable:
        groups["lang=" + r["lang"]].append(r["correct"])
        groups["kind=" + r["kind"].split("-")[0]].append(r["correct"])
        if "crosslingual" in r["kind"]:
            groups["crosslingual"].append(r["correct"])
    result["by"] = {g: f"{sum(v)}/{len(v)}" for g, v in sorted(groups.items())}
    return result


def failures(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    return [f"{r['id']} {r['kind']} {'hit' if r.get('hit') else 'miss'}"
            for r in rows if not r["correct"]]


# ------------------------------------------------------------------ directory check set


def is_directory_check(item: Mapping[str, Any]) -> bool:
    """A line of the directory check set: {"id", "query", "expected": [[names...], ...]}."""
    return "query" in item and "expected" in item


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", norm(name))


def list_scores(expected: Sequence[Sequence[str]],
                returned: Sequence[Sequence[str]]) -> tuple[float, float]:
    """(recall, precision) of a returned list of organisations (each given by all its names)
    against the expected ones (each given by its accepted names). An empty expected list
    is right only when nothing is returned."""
    wanted = [{_key(n) for n in names} for names in expected]
    got = [{_key(n) for n in names} for names in returned]
    if not wanted:
        return (1.0, 1.0) if not got else (1.0, 0.0)
    found = sum(1 for names in wanted if any(names & g for g in got))
    correct = sum(1 for g in got if any(g & names for names in wanted))
    return found / len(wanted), (correct / len(got) if got else 0.0)


def directory_rows(checks: Sequence[Mapping[str, Any]],
                   search: Callable[[str], Sequence[Sequence[str]]]) -> list[dict[str, Any]]:
    """Recall and precision of each check query; ``search`` gives the names of each
    organisation the directory returns for a query."""
    rows = []
    for item in checks:
        returned = search(str(item["query"]))
        recall, precision = list_scores(item["expected"], returned)
        rows.append({"id": item["id"], "kind": item.get("kind", ""), "lang": item.get("lang", ""),
                     "recall": recall, "precision": precision,
                     "returned": [names[0] for names in returned]})
    return rows


def directory_summary(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Macro averages over the check queries, overall and by kind."""
    def mean(values: Sequence[float]) -> float:
        return round(statistics.mean(values), 3) if values else 0.0

    result: dict[str, Any] = {
        "n": len(rows),
        "list_recall": mean([r["recall"] for r in rows]),
        "list_precision": mean([r["precision"] for r in rows]),
    }
    kinds: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in rows:
        kinds[row["kind"]].append(row)
        kinds["lang=" + row["lang"]].append(row)
    result["by"] = {
        k: f"R {mean([r['recall'] for r in v])} P {mean([r['precision'] for r in v])} (n={len(v)})"
        for k, v in sorted(kinds.items())
    }
    return result
