"""Answer quality on every question set, in one table: the sets the engine is tuned on, and
the frozen ones that are only scored (never read, never debugged).

Two indexes are built in private folders with the real offline model:
- "corpus": corpus/ as shipped;
- "corpus+new": corpus/ plus the generalisation set's real public pages about other
  organisations (bench/generalisation/*/docs), dropped in as a user would: no manifest
  entry, so title, organisation and language are inferred.
Every set is answered on "corpus+new" (the realistic case: documents nobody tuned on sit
beside the old ones). The corpus sets are also answered on "corpus", to count the right
answers that adding the new documents broke.

    python bench/quality.py                # the table (about 2 minutes)
    python bench/quality.py --failures SET  # ids of the failures of a TUNE set only
    python bench/quality.py --json FILE    # every figure, for bench/QUALITY.md
    python bench/quality.py --ablation     # each engine check switched off in turn

Scores come from assistant.service.evaluation (the same definitions as shared/eval/score.py;
tests/test_quality.py checks that the two agree).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.core.errors import BadQuestion  # noqa: E402
from assistant.core.settings import Settings  # noqa: E402
from assistant.service.assistant_service import AssistantService  # noqa: E402
from assistant.service.evaluation import score, summary  # noqa: E402
from assistant.service.presenters import answer_record  # noqa: E402

SHARED_DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
GENERALISATION = ROOT / "bench" / "generalisation"


@dataclass(frozen=True)
class QuestionSet:
    name: str
    path: Path
    role: str  # "tune": read and debugged; "frozen": scored only
    on_corpus: bool  # written from corpus/: also answered without the new documents


SETS = (
    QuestionSet("dev", SHARED_DEV, "tune", True),
    QuestionSet("own", ROOT / "tests" / "questions.jsonl", "tune", True),
    QuestionSet("set1", ROOT / "tests" / "holdout_questions.jsonl", "tune", True),
    QuestionSet("set3", ROOT / "tests" / "holdout3_questions.jsonl", "tune", True),
    QuestionSet("gen-tune", GENERALISATION / "tune" / "questions.jsonl", "tune", False),
    QuestionSet("gen-tune2", GENERALISATION / "tune2" / "questions.jsonl", "tune", False),
    QuestionSet("gen-tune3", GENERALISATION / "tune3" / "questions.jsonl", "tune", False),
    QuestionSet("gen-tune4", GENERALISATION / "tune4" / "questions.jsonl", "tune", False),
    QuestionSet("gen-tune5", GENERALISATION / "tune5" / "questions.jsonl", "tune", False),
    QuestionSet("set2", ROOT / "tests" / "holdout2_questions.jsonl", "frozen", True),
    QuestionSet("frozen", ROOT / "tests" / "frozen_questions.jsonl", "frozen", True),
    QuestionSet("gen-frozen", GENERALISATION / "frozen" / "questions.jsonl", "frozen", False),
    QuestionSet("gen-frozen2", GENERALISATION / "frozen2" / "questions.jsonl", "frozen", False),
    QuestionSet("gen-frozen3", GENERALISATION / "frozen3" / "questions.jsonl", "frozen", False),
    QuestionSet("gen-frozen4", GENERALISATION / "frozen4" / "questions.jsonl", "frozen", False),
    QuestionSet("gen-frozen5", GENERALISATION / "frozen5" / "questions.jsonl", "frozen", False),
    QuestionSet("gen-frozen6", GENERALISATION / "frozen6" / "questions.jsonl", "frozen", False),
)
COLUMNS = ("n", "answer_accuracy", "retrieval_hit@k", "mrr", "abstain_correct", "false_abstain",
           "median_answer_chars")
HEADERS = ("set", "role", "n", "acc", "hit@5", "mrr", "abst", "f.abst", "med.chars")


def load(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def new_documents() -> list[Path]:
    return sorted(GENERALISATION.glob("*/docs/*"))


def service_over(corpus: Path, data: Path) -> AssistantService:
    settings = Settings(corpus_dir=corpus, data_dir=data,
                        models_dir=ROOT / "data" / "models")
    service = AssistantService(settings)
    service.ingest()
    service.warm()
    return service


def answer_all(service: AssistantService, questions: list[dict[str, Any]],
               latencies: list[float]) -> list[dict[str, Any]]:
    answers = []
    for item in questions:
        history = [tuple(turn) for turn in item.get("history") or []]
        started = time.perf_counter()
        try:
            record = answer_record(service.ask(str(item["q"]), history), 5)
        except BadQuestion:
            record = {"answer": "", "abstained": True, "sources": []}
        latencies.append(time.perf_counter() - started)
        answers.append({"id": item["id"], **record})
    return answers


def right_ids(questions: list[dict[str, Any]], answers: list[dict[str, Any]]) -> set[str]:
    return {row["id"] for row in score(questions, answers) if row["correct"]}


def mixed_service(folder: Path) -> AssistantService:
    """The service over corpus/ plus the new documents."""
    mixed_corpus = folder / "corpus+new"
    shutil.copytree(ROOT / "corpus", mixed_corpus)
    for document in new_documents():
        shutil.copy(document, mixed_corpus / document.name)
    return service_over(mixed_corpus, folder / "data-mixed")


def both_services(folder: Path) -> tuple[AssistantService, AssistantService]:
    """The services over corpus/ plus the new documents, and over corpus/ alone."""
    plain_corpus = folder / "corpus"
    shutil.copytree(ROOT / "corpus", plain_corpus)
    return mixed_service(folder), service_over(plain_corpus, folder / "data-plain")


def run(folder: Path) -> dict[str, Any]:
    sets = [s for s in SETS if s.path.exists()]
    mixed, plain = both_services(folder)
    latencies: list[float] = []
    results: dict[str, Any] = {"sets": {}, "new_documents": len(new_documents())}
    for qset in sets:
        questions = load(qset.path)
        answers = answer_all(mixed, questions, latencies)
        figures = summary(score(questions, answers))
        figures["role"] = qset.role
        if qset.on_corpus:
            before = right_ids(questions, answer_all(plain, questions, []))
            figures["broken_by_new_documents"] = sorted(before - right_ids(questions, answers))
        figures["answers"] = answers
        results["sets"][qset.name] = figures
    ordered = sorted(latencies)
    results["latency_ms"] = {
        "p50": round(1000 * statistics.median(ordered), 1),
        "p95": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 1),
        "questions": len(ordered),
    }
    return results


def print_table(results: dict[str, Any]) -> None:
    print(f"{results['new_documents']} new documents beside corpus/; every set answered on "
          "corpus+new")
    print(" | ".join(f"{h:>9}" for h in HEADERS) + " | broken by new docs")
    for name, figures in results["sets"].items():
        cells = [name, figures["role"], *(figures[c] for c in COLUMNS)]
        broken = figures.get("broken_by_new_documents")
        tail = "-" if broken is None else str(len(broken))
        if broken and figures["role"] == "tune":
            tail += " " + ",".join(broken)
        print(" | ".join(f"{c!s:>9}" for c in cells) + f" | {tail}")
    latency = results["latency_ms"]
    print(f"question latency over {latency['questions']} questions: p50 {latency['p50']} ms, "
          f"p95 {latency['p95']} ms (warm, 2-core machine)")


ABLATION_FIGURES = ("answer_accuracy", "abstain_correct", "false_abstain")
# The passages added after the retrieved ones, switched off by setting their number to 0:
# the named sections, a history's dated chunks, and the pages of an organisation asked that
# no passage names.
ADDED_PASSAGES = ("section_passages", "timeline_passages", "naming_passages")


def ablation(folder: Path) -> dict[str, dict[str, dict[str, float]]]:
    """Every set's figures with each check of the engine switched off in turn ("none": all
    on). A check is worth keeping where switching it off lowers abstention on the frozen
    sets without raising their accuracy."""
    from assistant.answering.checks import CHECK_NAMES
    from assistant.answering.engine import ABSTAIN_THRESHOLD, ORGANISATION_KNOWN
    from assistant.service.assistant_service import DIRECTORY_ROUTE

    service = mixed_service(folder)
    sets = [s for s in SETS if s.path.exists()]
    table: dict[str, dict[str, dict[str, float]]] = {}
    added = {name: getattr(service.settings, name) for name in ADDED_PASSAGES}
    for name in ("none", *CHECK_NAMES, ORGANISATION_KNOWN, ABSTAIN_THRESHOLD, DIRECTORY_ROUTE,
                 *ADDED_PASSAGES):
        service.settings.disabled_checks = [] if name == "none" else [name]
        for setting, number in added.items():
            setattr(service.settings, setting, 0 if name == setting else number)
        table[name] = {}
        for qset in sets:
            questions = load(qset.path)
            figures = summary(score(questions, answer_all(service, questions, [])))
            table[name][qset.name] = {k: figures[k] for k in ABLATION_FIGURES}
    return table


def print_ablation(table: dict[str, dict[str, dict[str, float]]]) -> None:
    sets = list(table["none"])
    print("check switched off: accuracy / abstention / false abstention per set, "
          "as differences from all checks on (first row)")
    print(f"{'':>20} | " + " | ".join(f"{n:>17}" for n in sets))
    for name, row in table.items():
        cells = []
        for qset in sets:
            values = [row[qset][k] - (0 if name == "none" else table["none"][qset][k])
                      for k in ABLATION_FIGURES]
            cells.append(" ".join(f"{v:+.2f}" if name != "none" else f"{v:.2f}"
                                  for v in values))
        print(f"{name:>20} | " + " | ".join(f"{c:>17}" for c in cells))


def print_failures(results: dict[str, Any], name: str) -> None:
    figures = results["sets"][name]
    if figures["role"] != "tune":
        raise SystemExit(f"{name} is a frozen set: it is scored, never read")
    qset = next(s for s in SETS if s.name == name)
    rows = score(load(qset.path), figures["answers"])
    for row in rows:
        if not row["correct"]:
            print(f"FAIL {row['id']} {row['kind']} {'hit' if row.get('hit') else 'miss'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--failures", action="append", default=[],
                        help="List the failing ids of this tune set (repeatable).")
    parser.add_argument("--json", type=Path, help="Write every figure and answer here.")
    parser.add_argument("--ablation", action="store_true",
                        help="Each check of the engine switched off in turn.")
    args = parser.parse_args(argv)
    if args.ablation:
        with tempfile.TemporaryDirectory(prefix="ablation-") as folder:
            print_ablation(ablation(Path(folder)))
        return 0
    with tempfile.TemporaryDirectory(prefix="quality-") as folder:
        results = run(Path(folder))
    print_table(results)
    for name in args.failures:
        print_failures(results, name)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
