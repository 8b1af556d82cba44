"""Score floors with the real offline model over a real embedded Chroma.

Our own question set (tests/questions.jsonl, written from reading the corpus, not
from the shared dev set) has floors; the shared dev set, when present, is held to the
issue's targets. Both go through the service exactly as the CLI batch mode does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import QUESTIONS, SHARED_EVAL, load_jsonl

from assistant.core.errors import BadQuestion
from assistant.service.assistant_service import AssistantService
from assistant.service.evaluation import score, summary
from assistant.service.presenters import answer_record

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def run_questions(
    service: AssistantService, questions: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    answers = []
    for item in questions:
        history = [tuple(turn) for turn in item.get("history") or []]
        try:
            record = answer_record(service.ask(str(item["q"]), history), 5)
        except BadQuestion:
            record = {"answer": "", "abstained": True, "sources": []}
        answers.append({"id": item["id"], **record})
    return answers


@pytest.fixture(scope="module")
def own_scores(real_service: AssistantService) -> dict[str, Any]:
    questions = load_jsonl(QUESTIONS)
    return summary(score(questions, run_questions(real_service, questions)))  # type: ignore[arg-type]


def test_own_question_set_floors(own_scores: dict[str, Any]) -> None:
    assert own_scores["retrieval_hit@k"] >= 0.95, own_scores
    assert own_scores["answer_accuracy"] >= 0.85, own_scores
    assert own_scores["abstain_correct"] >= 0.9, own_scores
    assert own_scores["false_abstain"] <= 0.05, own_scores
    assert own_scores["median_answer_chars"] <= 500, own_scores


def test_crosslingual_questions_as_good_as_the_rest(own_scores: dict[str, Any]) -> None:
    done, total = map(int, own_scores["by"]["crosslingual"].split("/"))
    assert done / total >= own_scores["answer_accuracy"] - 0.15, own_scores


@pytest.mark.skipif(not (SHARED_EVAL / "dev.jsonl").exists(), reason="shared/eval not present")
def test_shared_dev_set_targets(real_service: AssistantService) -> None:
    questions = load_jsonl(SHARED_EVAL / "dev.jsonl")
    scores = summary(score(questions, run_questions(real_service, questions)))  # type: ignore[arg-type]
    assert scores["answer_accuracy"] >= 0.85, scores
    assert scores["abstain_correct"] >= 0.9, scores
    assert scores["false_abstain"] <= 0.05, scores
    assert scores["median_answer_chars"] <= 500, scores
    assert scores["retrieval_hit@k"] >= 0.94, scores  # target 0.95: see the issue note


@pytest.mark.skipif(not (SHARED_EVAL / "score.py").exists(), reason="shared/eval not present")
def test_own_scorer_agrees_with_the_shared_scorer(
    real_service: AssistantService, tmp_path: Path
) -> None:
    questions = load_jsonl(QUESTIONS)
    answers = run_questions(real_service, questions)
    answers_path = tmp_path / "answers.jsonl"
    answers_path.write_text("\n".join(json.dumps(a, ensure_ascii=False) for a in answers))
    shared = subprocess.run(
        [sys.executable, str(SHARED_EVAL / "score.py"), str(QUESTIONS), str(answers_path),
         "--json"],
        capture_output=True, text=True, check=True, cwd=SHARED_EVAL,
    )
    theirs = json.loads(shared.stdout)
    ours = summary(score(questions, answers))  # type: ignore[arg-type]
    for key in ("answer_accuracy", "retrieval_hit@k", "mrr", "abstain_correct", "false_abstain",
                "median_answer_chars", "by"):
        assert ours[key] == theirs[key], key


def test_french_and_english_translation_are_answered_alike(real_service: AssistantService) -> None:
    french = real_service.ask("Combien d'organisations la Coalition Climat réunit-elle ?")
    english = real_service.ask("How many organisations does the Coalition Climat bring together?")
    assert "70" in french.text and "70" in english.text
    assert french.citations[0].passage.chunk_id == english.citations[0].passage.chunk_id
    assert french.language == "fr" and english.language == "en"


def test_unanswerable_is_said_plainly_in_the_question_language(
    real_service: AssistantService,
) -> None:
    french = real_service.ask("Quel est le budget annuel de la CNAPD ?")
    english = real_service.ask("What is the annual budget of the CNAPD?")
    assert french.abstained and french.citations == []
    assert english.abstained and english.citations == []
    assert "Je ne trouve pas" in french.text
    assert "cannot find" in english.text


def test_every_cited_sentence_is_copied_from_its_passage(real_service: AssistantService) -> None:
    for question in ("Que fait le GRESEA ?", "What does the FTU do?",
                     "Quels sont les partenaires privilégiés du MOC ?"):
        answer = real_service.ask(question)
        assert answer.citations, question
        for citation in answer.citations:
            assert citation.unit_text in citation.passage.text
            assert f"[{citation.number}]" in answer.text
            assert citation.passage in answer.sources


def test_follow_up_is_resolved_from_history(real_service: AssistantService) -> None:
    history = [("Que fait la Coalition Climat ?",
                "La Coalition Climat réunit des organisations autour de la justice climatique.")]
    answer = real_service.ask("Et combien d'organisations réunit-elle ?", history)
    assert "Coalition Climat" in answer.standalone_question
    assert "70" in answer.text
