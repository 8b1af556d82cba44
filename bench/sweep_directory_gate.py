"""Sweep the probability over which the passages' answer replaces the directory's list
(``PASSAGES_OVER_LIST`` in assistant/answering/directory_answers.py), on the tune sets only.

Builds the index of bench/quality.py (corpus/ plus the new documents) once, then answers
every tune question for each value and prints how many are right; the frozen sets are not
answered. Prints figures, asserts nothing.

    python bench/sweep_directory_gate.py            # about 4 minutes on 2 cores

2026-12-07 (355 tune questions): 262 right from 0 to 0.25, 264 from 0.30 to 0.40, 263 at
0.45-0.5, 262 at 0.6, 261 at 0.7, 260 with the gate off (1.01); 0.35 kept.
2026-12-07 15:55 (409 tune questions, gen-tune4 and 84 pages): 306 right from 0 to 0.2, 308
at 0.25, 309 from 0.30 to 0.50, 306 at 0.6, 305 at 0.7 and off; 0.35 kept.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import quality  # noqa: E402

from assistant.answering import directory_answers  # noqa: E402
from assistant.service.evaluation import score  # noqa: E402

VALUES = (0.0, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 1.01)


def main() -> int:
    tune = [s for s in quality.SETS if s.role == "tune" and s.path.exists()]
    with tempfile.TemporaryDirectory(prefix="gate-sweep-") as folder:
        service = quality.mixed_service(Path(folder))
        for value in VALUES:
            directory_answers.PASSAGES_OVER_LIST = value  # read at each call
            right, total, row = 0, 0, []
            for qset in tune:
                questions = quality.load(qset.path)
                rows = score(questions, quality.answer_all(service, questions, []))
                correct = sum(r["correct"] for r in rows)
                right, total = right + correct, total + len(rows)
                row.append(f"{qset.name} {correct}")
            print(f"{value:.2f}: right {right}/{total} | " + ", ".join(row), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
