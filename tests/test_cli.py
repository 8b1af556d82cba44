"""The real command line, run as subprocesses with the fake encoder and private folders.

Expected failures must print exactly one line on stderr, exit non-zero and never show a
traceback; answers and batch/eval output must have the documented shape.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, QUESTIONS, CliRunner, cli_env

from assistant.core.messages import message

CORPUS_FILES = sorted(p.name for p in CORPUS.glob("*.txt"))
SOURCE_KEYS = {"title", "source", "text", "score"}
SCORE_KEYS = {"answer_accuracy", "retrieval_hit@k", "mrr", "abstain_correct", "false_abstain",
              "median_answer_chars"}


def prefix(key: str, **values: Any) -> str:
    """The fixed start of a French message whose {detail} varies."""
    return message(key, "fr", detail="\x00", **values).split("\x00")[0]


INGEST_DONE = message("ingest_done", "fr", added=0, changed=0, removed=0, unchanged=0, chunks=0,
                      seconds=0).split(" : ")[0]  # "Index mis à jour"


def assert_one_line_failure(result: Any) -> str:
    """Non-zero exit, exactly one line on stderr, nothing on stdout, no traceback."""
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode != 0, result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    return str(lines[0])


def assert_sources(sources: list[dict[str, Any]], expected: int = 5) -> None:
    assert len(sources) >= expected
    for source in sources:
        assert source.keys() >= SOURCE_KEYS
        assert source["source"] in CORPUS_FILES
        assert source["title"] and source["text"].strip()
        assert isinstance(source["score"], float)
    scores = [s["score"] for s in sources]
    assert scores == sorted(scores, reverse=True), scores


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, run_cli: CliRunner) -> dict[str, str]:
    """One ingested corpus + index shared by the read-only CLI tests of this module."""
    base = tmp_path_factory.mktemp("cli-indexed")
    shutil.copytree(CORPUS, base / "corpus")
    env = cli_env(base / "corpus", base / "data")
    result = run_cli(["ingest"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(INGEST_DONE)
    return env


@pytest.fixture
def fresh_env(corpus_dir: Path, tmp_path: Path) -> dict[str, str]:
    """A private corpus and an empty data folder (no index yet)."""
    return cli_env(corpus_dir, tmp_path / "data")


# -- bad input: one line, non-zero, no traceback --------------------------------------------
BAD_QUESTIONS = [
    pytest.param("", "empty_question", {}, id="empty"),
    pytest.param("   ", "empty_question", {}, id="whitespace"),
    pytest.param("a" * 100_000, "question_too_long", {"length": 100_000, "limit": 2000},
                 id="100k-chars"),
    pytest.param("Wer hat die Organisation gegründet und wann genau?", "other_language", {},
                 id="german"),
    pytest.param("Wie heeft de organisatie opgericht en wanneer precies?", "other_language", {},
                 id="dutch"),
]


@pytest.mark.parametrize(("question", "key", "values"), BAD_QUESTIONS)
@pytest.mark.slow  # starts `assistant` subprocesses
def test_bad_question_prints_one_line_and_fails_fast(
    run_cli: CliRunner, fresh_env: dict[str, str], question: str, key: str,
    values: dict[str, Any],
) -> None:
    result = run_cli(["ask", question], fresh_env)
    assert assert_one_line_failure(result) == message(key, "fr", **values)
    assert result.returncode == 2
    # Refused before anything is opened or built: no index was created.
    assert not Path(fresh_env["ASSISTANT_DATA_DIR"]).exists()


@pytest.mark.slow  # starts `assistant` subprocesses
def test_missing_corpus_folder(run_cli: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-corpus"
    result = run_cli(["ingest"], cli_env(missing, tmp_path / "data"))
    assert assert_one_line_failure(result) == message("corpus_missing", "fr", path=missing)


@pytest.mark.slow  # starts `assistant` subprocesses
def test_missing_corpus_folder_when_asking(run_cli: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-corpus"
    result = run_cli(["ask", "Que fait le CIEP ?"], cli_env(missing, tmp_path / "data"))
    assert assert_one_line_failure(result) == message("corpus_missing", "fr", path=missing)


@pytest.mark.slow  # starts `assistant` subprocesses
def test_empty_corpus_folder(run_cli: CliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "empty-corpus"
    empty.mkdir()
    result = run_cli(["ingest"], cli_env(empty, tmp_path / "data"))
    assert assert_one_line_failure(result) == message("corpus_empty", "fr", path=empty)


@pytest.mark.slow  # starts `assistant` subprocesses
def test_corrupted_index_is_reported_kept_and_rebuilt(
    run_cli: CliRunner, fresh_env: dict[str, str]
) -> None:
    data = Path(fresh_env["ASSISTANT_DATA_DIR"])
    assert run_cli(["ingest"], fresh_env).returncode == 0
    sqlite = data / "chroma" / "chroma.sqlite3"
    assert sqlite.is_file()
    garbage = b"this is not a sqlite database \x00\xff" * 4096
    sqlite.write_bytes(garbage)

    asked = run_cli(["ask", "Que fait le CIEP ?"], fresh_env)
    assert assert_one_line_failure(asked).startswith(prefix("index_corrupted"))
    ingested = run_cli(["ingest"], fresh_env)
    assert assert_one_line_failure(ingested).startswith(prefix("index_corrupted"))
    assert sqlite.read_bytes() == garbage  # nothing lost, nothing overwritten

    rebuilt = run_cli(["ingest", "--rebuild"], fresh_env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "Traceback" not in rebuilt.stdout + rebuilt.stderr
    asides = sorted(data.glob("chroma.corrupt-*"))
    assert len(asides) == 1
    assert (asides[0] / "chroma.sqlite3").read_bytes() == garbage
    assert str(asides[0]) in rebuilt.stderr
    assert rebuilt.stdout.startswith(INGEST_DONE)
    assert sqlite.is_file() and sqlite.read_bytes() != garbage


# -- answers ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ciep_json(run_cli: CliRunner, indexed: dict[str, str]) -> Any:
    """`assistant ask --json "Que fait le CIEP ?"`, run once for the module."""
    return run_cli(["ask", "--json", "Que fait le CIEP ?"], indexed)


@pytest.mark.slow  # starts `assistant` subprocesses
def test_json_answer_has_the_documented_shape(ciep_json: Any) -> None:
    assert ciep_json.returncode == 0, ciep_json.stderr
    assert "Traceback" not in ciep_json.stderr
    lines = ciep_json.stdout.splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record.keys() >= {"answer", "abstained", "sources"}
    assert isinstance(record["answer"], str) and record["answer"].strip()
    assert isinstance(record["abstained"], bool)
    assert_sources(record["sources"])
    assert len(record["sources"]) == 5  # top_k


@pytest.mark.slow  # starts `assistant` subprocesses
def test_control_characters_are_dropped_and_the_question_answered(
    run_cli: CliRunner, indexed: dict[str, str], ciep_json: Any
) -> None:
    # argv cannot carry NUL, so the question of the brief goes through main() in a subprocess.
    code = ("import sys; from assistant.cli import main; "
            "sys.exit(main(['ask', '--json', 'Que fait\\x00 le\\x07 CIEP ?\\x1b[31m']))")
    dirty = run_cli([], indexed, python_code=code)
    assert dirty.returncode == 0, dirty.stderr
    assert "Traceback" not in dirty.stdout + dirty.stderr
    record = json.loads(dirty.stdout)
    assert isinstance(record["abstained"], bool) and record["answer"].strip()
    assert_sources(record["sources"])
    # Control characters alone (BEL, ESC, DEL-free) through argv: same question, same sources.
    plain = run_cli(["ask", "--json", "Que\x07 fait le CIEP\x1b ?\x0b"], indexed)
    assert plain.returncode == 0, plain.stderr
    assert "Traceback" not in plain.stdout + plain.stderr
    assert json.loads(plain.stdout)["sources"] == json.loads(ciep_json.stdout)["sources"]


def test_ansi_escape_sequences_leave_no_residue(fake_service: Any) -> None:
    cleaned, _ = fake_service.validate("Que fait\x00 le\x07 CIEP ?\x1b[31m")
    assert cleaned == "Que fait le CIEP ?"


def write_batch(path: Path) -> Path:
    path.write_text("\n".join([
        json.dumps({"id": "h1", "q": "Et en quelle année a-t-elle été reconnue comme ONG ?",
                    "history": [["Qu'est-ce que Solidarité Mondiale ?",
                                 "Solidarité Mondiale est l'ONG du MOC."]]},
                   ensure_ascii=False),
        '{"id": "broken", "q": ',
        json.dumps({"id": "e1", "q": ""}),
    ]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def batch_run(tmp_path_factory: pytest.TempPathFactory, run_cli: CliRunner) -> Any:
    """`assistant ask --batch` on a corpus that has no index yet (run once for the module)."""
    base = tmp_path_factory.mktemp("cli-batch")
    shutil.copytree(CORPUS, base / "corpus")
    env = cli_env(base / "corpus", base / "data")
    result = run_cli(["ask", "--batch", str(write_batch(base / "questions.jsonl"))], env)
    result.data_dir = base / "data"  # type: ignore[attr-defined]
    return result


@pytest.mark.slow  # starts `assistant` subprocesses
def test_batch_answers_valid_lines_reports_bad_ones_and_ingests_first(batch_run: Any) -> None:
    result = batch_run
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["id"] for r in records] == ["h1", "e1"]
    for record in records:
        assert record.keys() >= {"id", "answer", "abstained", "sources"}
    answered, empty = records
    assert isinstance(answered["abstained"], bool) and answered["answer"].strip()
    assert_sources(answered["sources"])
    assert empty["abstained"] is True and empty["sources"] == []
    assert empty["answer"] == message("empty_question", "fr")
    # The invalid line is reported by number; the index was built first.
    assert re.search(rf"^{re.escape(prefix('batch_bad_line', line=2))}", result.stderr, re.M)
    assert result.stderr.count("Index mis à jour") == 1  # the ingestion report, on stderr
    assert (result.data_dir / "chroma" / "chroma.sqlite3").is_file()


@pytest.mark.slow  # starts `assistant` subprocesses
def test_batch_stdout_is_only_json_lines_even_when_it_ingests_first(batch_run: Any) -> None:
    assert batch_run.returncode == 0
    lines = batch_run.stdout.splitlines()
    assert len(lines) == 2
    for line in lines:
        json.loads(line)


@pytest.mark.slow  # starts `assistant` subprocesses
def test_batch_with_an_existing_index(
    run_cli: CliRunner, indexed: dict[str, str], tmp_path: Path
) -> None:
    result = run_cli(["ask", "--batch", str(write_batch(tmp_path / "q.jsonl"))], indexed)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["h1", "e1"]
    assert_sources(records[0]["sources"])
    stderr = result.stderr.splitlines()
    assert len(stderr) == 1 and stderr[0].startswith(prefix("batch_bad_line", line=2)), stderr
@pytest.mark.slow  # starts `assistant` subprocesses
def test_eval_prints_the_scores(run_cli: CliRunner, indexed: dict[str, str]) -> None:
    result = run_cli(["eval", str(QUESTIONS)], indexed)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    header, _, body = result.stdout.partition("\n")
    n = sum(1 for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip())
    assert header == message("eval_header", "fr", path=QUESTIONS, n=n)
    scores = json.loads(body)
    assert scores.keys() >= SCORE_KEYS
    assert scores["n"] == n
    for key in SCORE_KEYS - {"median_answer_chars"}:
        assert 0.0 <= scores[key] <= 1.0, key
    assert scores["median_answer_chars"] > 0
    assert scores["retrieval_hit@k"] > 0  # the fake encoder + BM25 find some evidence


@pytest.mark.slow  # starts `assistant` subprocesses
def test_second_ingest_is_up_to_date(run_cli: CliRunner, indexed: dict[str, str]) -> None:
    result = run_cli(["ingest"], indexed)
    assert result.returncode == 0, result.stderr
    expected = re.escape(message("ingest_up_to_date", "fr", unchanged=len(CORPUS_FILES),
                                 seconds=0.0)).replace(r"0\.0", r"\d+\.\d")
    assert re.fullmatch(expected, result.stdout.strip()), result.stdout
    assert result.stdout.startswith("Index à jour")
    assert result.stderr == ""


def test_the_command_line_loads_no_web_or_ingestion_framework_to_answer() -> None:
    """A cold `assistant ask` pays for what answering needs: the web page (Gradio, FastAPI)
    and ingestion (llama-index) are imported by their own commands only."""
    code = ("import sys, assistant.cli; print(' '.join(m for m in ('gradio', 'fastapi', "
            "'llama_index') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=120).stdout.split()
    assert loaded == []
