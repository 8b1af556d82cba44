"""The SQLite feedback store and its export to the evaluation format (shared/eval/dev.jsonl)."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest
from conftest import SHARED_EVAL

from assistant import cli
from assistant.core.settings import Settings
from assistant.service.evaluation import norm, score_one
from assistant.service.feedback import FILE_NAME, FeedbackStore

# The keys of a question of shared/eval/dev.jsonl, plus what the export adds.
DEV_KEYS = {"id", "q", "lang", "persona", "kind", "facts", "evidence"}
EXPORT_KEYS = DEV_KEYS | {"history", "comment", "answer_given"}

HISTORY = [["Qu'est-ce que le CNCD-11.11.11 ?", "Le CNCD-11.11.11 coordonne 90 ONG. [1]"]]
SOURCES = [{"title": "CNCD", "source": "cncd.txt", "text": "Le CNCD...", "score": 0.5}]


@pytest.fixture
def store(tmp_path: Path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "data" / FILE_NAME)


def add_three(store: FeedbackStore) -> tuple[int, int, int]:
    up = store.add(question="Que fait le CIEP ?", answer="Le CIEP forme. [1]", vote=1,
                   sources=SOURCES, language="fr")
    down = store.add(question="Et ses missions ?", answer="Je ne trouve pas.", vote=-1,
                     history=HISTORY, comment="incomplet", language="fr")
    fixed = store.add(question="When was WSM founded?", answer="In 1990. [2]", vote=-1,
                      corrected_answer="WSM was founded in 1974 (Solidarité Mondiale).",
                      language="en")
    return up, down, fixed


def test_rows_survive_a_new_store(store: FeedbackStore) -> None:
    up, down, _ = add_three(store)
    reopened = FeedbackStore(store.path)
    rows = reopened.rows()
    assert [r.id for r in rows] == [up, down, 3]
    first, second = rows[0], rows[1]
    assert (first.vote, first.sources, first.language) == (1, SOURCES, "fr")
    assert (second.vote, second.history, second.comment) == (-1, HISTORY, "incomplet")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", first.created_at)


def test_for_settings_uses_the_data_folder(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "d")  # type: ignore[call-arg]
    assert FeedbackStore.for_settings(settings).path == tmp_path / "d" / "feedback.sqlite3"
    assert (tmp_path / "d" / "feedback.sqlite3").is_file()


def test_update_changes_vote_comment_and_correction(store: FeedbackStore) -> None:
    row_id = store.add(question="q ?", answer="a", vote=1)
    assert store.update(row_id, vote=-1, comment=" faux ", corrected_answer=" 1974 ")
    row = store.get(row_id)
    assert row is not None
    assert (row.vote, row.comment, row.corrected_answer) == (-1, "faux", "1974")
    assert not store.update(999, comment="x")
    with pytest.raises(ValueError):
        store.add(question="q", answer="a", vote=0)


def test_concurrent_writers_lose_nothing(store: FeedbackStore) -> None:
    def write(n: int) -> None:
        for i in range(10):
            store.add(question=f"q{n}-{i}", answer="a", vote=1 if i % 2 else -1)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.rows()) == 80
    assert len(store.rows(vote=-1)) == 40


def test_export_writes_only_thumbs_down_as_dev_questions(store: FeedbackStore,
                                                          tmp_path: Path) -> None:
    _, down, fixed = add_three(store)
    out = tmp_path / "export" / "feedback.jsonl"
    assert store.export_thumbs_down(out) == 2
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == [f"feedback-{down}", f"feedback-{fixed}"]
    for record in records:
        assert set(record) == EXPORT_KEYS
        assert (record["persona"], record["kind"], record["evidence"]) == (
            "feedback", "feedback", [])
    no_fix, with_fix = records
    assert no_fix["facts"] == [] and no_fix["history"] == HISTORY
    assert (no_fix["q"], no_fix["lang"], no_fix["comment"], no_fix["answer_given"]) == (
        "Et ses missions ?", "fr", "incomplet", "Je ne trouve pas.")
    assert with_fix["facts"] == [[re.escape("WSM was founded in 1974 (Solidarité Mondiale).")]]
    # The shared scorer reads the fact as a regex: the correction itself scores as correct.
    correct = {"answer": "WSM was founded in 1974 (Solidarité Mondiale).", "sources": []}
    assert score_one(with_fix, correct, 5)["correct"]
    assert not score_one(with_fix, {"answer": with_fix["answer_given"]}, 5)["correct"]
    assert re.search(norm(str(with_fix["facts"][0][0])), norm(str(correct["answer"])))


def test_export_keys_match_the_shared_dev_set() -> None:
    dev = SHARED_EVAL / "dev.jsonl"
    if not dev.exists():
        pytest.skip(f"{dev} is not here")
    first = json.loads(dev.read_text(encoding="utf-8").splitlines()[0])
    assert set(first) == DEV_KEYS


def test_cli_feedback_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    add_three(FeedbackStore(tmp_path / "data" / FILE_NAME))
    out = tmp_path / "cases.jsonl"
    assert cli.main(["feedback", "export", "--out", str(out)]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    assert "2" in capsys.readouterr().err
    assert cli.main(["feedback", "export"]) == 0  # no --out: JSON lines on stdout
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["kind"] for line in lines] == ["feedback", "feedback"]
