"""Unit tests for assistant.evaluation, checked against hand-computed numbers and, when the
shared folder is there, against the shared scorer (shared/eval/score.py) itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assistant.service.evaluation import score, summary

SHARED_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
SUMMARY_KEYS = (
    "answer_accuracy", "fact_recall", "retrieval_hit@k", "mrr", "abstain_correct",
    "false_abstain", "median_answer_chars", "by",
)


def q(qid: str, kind: str, lang: str, facts: list[list[str]] | None = None,
      evidence: list[str] | None = None) -> dict[str, Any]:
    return {"id": qid, "q": f"question {qid}", "lang": lang, "persona": "staff", "kind": kind,
            "facts": facts or [], "evidence": evidence or []}


def a(qid: str, answer: str, *, abstained: bool = False,
      sources: list[str] | None = None) -> dict[str, Any]:
    return {"id": qid, "answer": answer, "abstained": abstained,
            "sources": [{"title": "t", "source": "s.md", "text": t, "score": 1.0}
                        for t in sources or []]}


QUESTIONS = [
    # correct, evidence in the first source (rr 1)
    q("q1", "factoid", "fr", [["90"]], ["90 ONG belges"]),
    # half the facts (wrong answer), evidence in the second source (rr 0.5)
    q("q2", "list-crosslingual", "en", [["coop[eé]r", "social movements"], ["r[eé]seaux",
                                                                            "network"]],
      ["Nos stratégies pour y parvenir"]),
    # unanswerable, abstained through the flag
    q("q3", "unanswerable", "fr"),
    # unanswerable, abstained through the wording only
    q("q4", "unanswerable", "fr"),
    # unanswerable, answered anyway
    q("q5", "unanswerable", "en"),
    # answerable, but the assistant abstained (false abstention), no source
    q("q6", "factoid", "en", [["1974"]], ["1974"]),
    # no answer at all
    q("q7", "follow-up", "fr", [["70"]], ["plus de 70 organisations"]),
    # correct, accent-insensitive facts and evidence, evidence in the third source (rr 1/3)
    q("q8", "who-theme-crosslingual", "en", [["ciré", "coordination"]],
      ["Coordination et Initiatives pour Réfugiés"]),
]
ANSWERS = [
    a("q1", "Le CNCD-11.11.11 coordonne 90 ONG belges. [1]",  # 45 chars
      sources=["Il coordonne la voix de 90 ONG belges.", "autre"]),
    a("q2", "- En coopérant avec les mouvements sociaux [1]",  # 46 chars
      sources=["WSM travaille en Afrique.",
               "Nos stratégies pour y parvenir : 1. En coopérant ..."]),
    a("q3", "Pas de réponse.", abstained=True),  # 15 chars
    a("q4", "Je ne trouve pas cette information dans les documents."),  # 54 chars
    a("q5", "The president is John Smith. [1]", sources=["John Smith"]),  # 32 chars
    a("q6", "I cannot find this information in the documents.", abstained=True),  # 48 chars
    a("q8", "Le CIRE (la coordination) aide les réfugiés. [3]",  # 48 chars
      sources=["a", "b", "La COORDINATION ET INITIATIVES POUR REFUGIES et étrangers", "d"]),
]
# Lengths of all eight rows, q7 missing: 0 15 32 45 46 48 48 54 -> median int(45.5).
EXPECTED = {
    "n": 8,
    "answer_accuracy": 0.4,  # q1, q8 of 5 answerable
    "fact_recall": 0.5,  # (1 + 0.5 + 0 + 0 + 1) / 5
    "retrieval_hit@k": 0.6,  # q1, q2, q8
    "mrr": 0.367,  # (1 + 1/2 + 0 + 0 + 1/3) / 5 = 0.3667
    "abstain_correct": 0.667,  # q3, q4 of 3
    "false_abstain": 0.2,  # q6 of 5
    "median_answer_chars": 45,
    "by": {
        "crosslingual": "1/2",
        "kind=factoid": "1/2",
        "kind=follow": "0/1",
        "kind=list": "0/1",
        "kind=who": "1/1",
        "lang=en": "1/3",
        "lang=fr": "1/2",
    },
}


def test_answer_lengths_are_as_documented() -> None:
    lengths = sorted([0, *(len(x["answer"]) for x in ANSWERS)])
    assert lengths == [0, 15, 32, 45, 46, 48, 48, 54]


def rows_by_id() -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in score(QUESTIONS, ANSWERS)}


def test_rows() -> None:
    rows = rows_by_id()
    assert [r["id"] for r in score(QUESTIONS, ANSWERS)] == [x["id"] for x in QUESTIONS]
    r1, r2 = rows["q1"], rows["q2"]
    assert (r1["correct"], r1["hit"], r1["rr"], r1["fact_recall"]) == (True, True, 1.0, 1.0)
    assert (r2["correct"], r2["hit"], r2["rr"], r2["fact_recall"]) == (False, True, 0.5, 0.5)
    assert rows["q3"]["abstained"] and rows["q3"]["correct"]
    assert rows["q4"]["abstained"] and rows["q4"]["correct"]
    assert not rows["q5"]["abstained"] and not rows["q5"]["correct"]
    r6 = rows["q6"]
    assert r6["abstained"] and not r6["correct"] and not r6["hit"] and r6["rr"] == 0.0
    r7 = rows["q7"]
    assert (r7["correct"], r7["hit"], r7["rr"], r7["fact_recall"], r7["length"]) == (
        False, False, 0.0, 0.0, 0)
    assert rows["q8"]["correct"] and rows["q8"]["rr"] == pytest.approx(1 / 3)
    for row in rows.values():
        assert {"id", "kind", "lang", "correct", "length", "abstained"} <= set(row)


def test_summary_values() -> None:
    result = summary(score(QUESTIONS, ANSWERS))
    for key in SUMMARY_KEYS:
        assert result[key] == EXPECTED[key], key
    assert result["n"] == 8


def test_k_limits_the_sources_that_count() -> None:
    rows = {r["id"]: r for r in score(QUESTIONS, ANSWERS, k=1)}
    assert rows["q1"]["hit"] and rows["q1"]["rr"] == 1.0
    assert not rows["q2"]["hit"] and rows["q2"]["rr"] == 0.0
    assert not rows["q8"]["hit"]
    result = summary(list(rows.values()))
    assert result["retrieval_hit@k"] == 0.2
    assert result["mrr"] == 0.2


@pytest.mark.parametrize(
    ("text", "abstained"),
    [
        ("Je ne trouve pas cette information dans les documents.", True),
        ("Je ne sais pas.", True),
        ("Le document ne précise pas la date.", True),
        ("Ce n'est pas mentionné dans les documents.", True),
        ("Aucune information sur ce point.", True),
        ("I cannot find this information in the documents.", True),
        ("This is not mentioned in the documents.", True),
        ("I don't know.", True),
        ("Le MOC a été fondé en 1921. [1]", False),
        ("WSM works with social movements. [2]", False),
    ],
)
def test_abstention_wording(text: str, abstained: bool) -> None:
    question = q("x", "unanswerable", "fr")
    row = score([question], [a("x", text)])[0]
    assert row["abstained"] is abstained
    assert row["correct"] is abstained


def test_abstained_flag_alone_counts() -> None:
    row = score([q("x", "unanswerable", "en")], [a("x", "Sorry.", abstained=True)])[0]
    assert row["abstained"] and row["correct"]


def test_empty_inputs() -> None:
    assert score([], []) == []
    result = summary([])
    assert result["answer_accuracy"] == 0.0
    assert result["median_answer_chars"] == 0
    assert result["by"] == {}


def test_only_unanswerable() -> None:
    rows = score([q("u", "unanswerable", "fr")], [a("u", "Je ne sais pas.")])
    result = summary(rows)
    assert result["abstain_correct"] == 1.0
    assert result["answer_accuracy"] == 0.0
    assert result["fact_recall"] == 0.0
    assert result["mrr"] == 0.0
    assert result["false_abstain"] == 0.0


def write_jsonl(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in items),
                    encoding="utf-8")
    return path


@pytest.mark.parametrize("k", [5, 1])
@pytest.mark.slow  # starts the shared scorer's process
def test_same_numbers_as_the_shared_scorer(tmp_path: Path, k: int) -> None:
    scorer = SHARED_EVAL / "score.py"
    if not scorer.exists():
        pytest.skip(f"shared scorer not found: {scorer}")
    questions = write_jsonl(tmp_path / "questions.jsonl", QUESTIONS)
    answers = write_jsonl(tmp_path / "answers.jsonl", ANSWERS)
    done = subprocess.run(
        [sys.executable, str(scorer), str(questions), str(answers), "--json", "--k", str(k)],
        cwd=SHARED_EVAL, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    shared = json.loads(done.stdout)
    ours = summary(score(QUESTIONS, ANSWERS, k=k))
    for key in (*SUMMARY_KEYS, "n"):
        assert ours[key] == shared[key], key
    if k == 5:
        assert {key: shared[key] for key in SUMMARY_KEYS} == {
            key: EXPECTED[key] for key in SUMMARY_KEYS
        }
