"""Retrieval figures per mode: dense only, BM25 only, and each fusion mode (llama-index's
QueryFusionRetriever modes, as assistant/retrieval/hybrid.py computes them).

usage: .venv/bin/python bench/retrieval_modes.py QUESTIONS.jsonl [MORE.jsonl ...]
Prints hit@5 and MRR@5 of the evidence snippets, as the shared scorer counts them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.retrieval.hybrid import fuse
from assistant.service.assistant_service import AssistantService
from assistant.service.evaluation import norm


def ranks(texts: list[str], evidence: list[str]) -> int | None:
    ev = [norm(e) for e in evidence]
    return next((i for i, t in enumerate(texts[:5], 1) if any(e in norm(t) for e in ev)), None)


def main(paths: list[str]) -> None:
    lines = [line for p in paths for line in Path(p).read_text(encoding="utf-8").splitlines()]
    questions = [json.loads(line) for line in lines if line.strip()]
    questions = [q for q in questions if q.get("evidence")]
    service = AssistantService()
    retriever = service._ready_retriever()
    dense, bm25 = retriever.dense, retriever.bm25
    assert bm25 is not None, "an empty index"

    def both(query: str) -> list[Any]:
        return [dense.retrieve(retriever.query_vector(query)), bm25.retrieve(query)]

    runs: dict[str, Callable[[str], list[Any]]] = {
        "dense": lambda q: dense.retrieve(retriever.query_vector(q)), "bm25": bm25.retrieve}
    for mode in ("reciprocal_rerank", "relative_score", "dist_based_score"):
        for weight in (0.5, 0.7):
            runs[f"{mode} w={weight}"] = (
                lambda q, m=mode, w=weight: fuse(both(q), [w, 1 - w], m, 20))  # type: ignore[misc]
    for name, run in runs.items():
        hits, rr, misses = 0, 0.0, []
        for q in questions:
            from assistant.answering.conversation import resolve_follow_up
            from assistant.core.text import question_language
            text = resolve_follow_up(q["q"], [tuple(t) for t in q.get("history", [])],
                                     question_language(q["q"]))
            rank = ranks([n.node.text for n in run(text)], q["evidence"])
            hits += rank is not None
            rr += 1 / rank if rank else 0
            if rank is None:
                misses.append(q["id"])
        n = len(questions)
        print(f"{name:26s} hit@5={hits / n:.3f} mrr={rr / n:.3f} misses={' '.join(misses)}")


if __name__ == "__main__":
    main(sys.argv[1:])
