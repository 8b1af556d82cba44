"""Follow-up resolution cases found while using the chat, and batch history validation."""

from __future__ import annotations

from assistant.answering.conversation import resolve_follow_up
from assistant.cli import batch_history


def test_answer_acronyms_are_not_borrowed_when_the_question_named_its_subject() -> None:
    resolved = resolve_follow_up("Et son adresse ?", [("Que fait WSM ?", "WSM est une ONG.")],
                                 "fr")
    assert "WSM" in resolved and "ONG" not in resolved


def test_the_answer_names_the_subject_of_a_who_question() -> None:
    history = [("Qui coordonne les ONG belges ?", "Le CNCD-11.11.11 coordonne 90 ONG belges.")]
    resolved = resolve_follow_up("Et son adresse ?", history, "fr")
    assert "CNCD-11.11.11" in resolved


def test_batch_history_accepts_pairs_only() -> None:
    assert batch_history(None) == []
    assert batch_history([["q", "a"], ("q2", "a2")]) == [("q", "a"), ("q2", "a2")]
    assert batch_history("oops") is None
    assert batch_history([["only one"]]) is None
    assert batch_history([{"user": "q"}]) is None
