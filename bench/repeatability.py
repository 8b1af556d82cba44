"""Do the same questions get the same answers from one build of the index to the next?

Builds the two indexes of bench/quality.py (corpus/ plus the new documents, and corpus/
alone) in fresh folders, answers a question set on the first (the second answers it too,
as in bench/quality.py), and repeats; then prints every question whose answer or first
source differed between the rounds. It asserts nothing and always exits 0.

    python bench/repeatability.py                  # dev, 6 rounds (about 4 minutes)
    python bench/repeatability.py --rounds 10 --questions tests/questions.jsonl

Seen on 2026-12-07 (bench/QUALITY.md): dev's d20 ("Combien d'années dure le Bruges
Communiqué action plan ?") lost its passage in 1 round of 6, the dense search returning
other chunks; not seen in 18 rounds that also printed the query vector and an exact search.
Cause found later that day: Chroma's graph search missed the nearest chunk in about one
build in ten (same vectors, same BM25); the dense search is now exact up to 100,000 chunks
(assistant/retrieval/hybrid.py), and 10 rounds gave every dev question the same answer.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from quality import SHARED_DEV, both_services, load  # noqa: E402


def one_round(questions: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    """Each question's answer and first source, on freshly built indexes."""
    with tempfile.TemporaryDirectory() as tmp:
        mixed, plain = both_services(Path(tmp))
        found = {}
        for item in questions:
            history = [tuple(turn) for turn in item.get("history") or []]
            answer = mixed.ask(str(item["q"]), history)
            first = answer.sources[0].chunk_id if answer.sources else ""
            found[str(item["id"])] = (answer.text, first)
        for item in questions:
            plain.ask(str(item["q"]), [])
        return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--questions", type=Path, default=SHARED_DEV)
    args = parser.parse_args(argv)
    questions = load(args.questions)
    seen: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for number in range(args.rounds):
        for question_id, result in one_round(questions).items():
            seen[question_id].add(result)
        print(f"round {number + 1}/{args.rounds} done", flush=True)
    varying = {q: results for q, results in seen.items() if len(results) > 1}
    print(f"{len(varying)} of {len(seen)} questions got more than one answer or first source "
          f"over {args.rounds} rounds")
    for question_id, results in sorted(varying.items()):
        for text, first in sorted(results):
            print(f"  {question_id}: first source {first or '-'}: {text[:100]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
