"""Time to first token and tokens per second of the answer generators (prints, asserts nothing).

    .venv/bin/python bench/llm_bench.py                 # gguf (packaged Gemma 3 270M) + openai
    .venv/bin/python bench/llm_bench.py --backend gguf --runs 3 --max-new-tokens 64
    .venv/bin/python bench/llm_bench.py --backend openai --base-url http://127.0.0.1:8080/v1

The prompt is the real answer prompt (prompts/fr/answer.toml) over corpus excerpts.
Without --base-url the openai backend talks to the scripted server of the tests (a local
HTTP server streaming server-sent events): that measures the client and protocol
overhead, not a model. Tokens: the model's tokenizer for gguf; streamed chunks for openai.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import json  # noqa: E402

from assistant.core.settings import Settings  # noqa: E402
from assistant.core.types import Passage  # noqa: E402
from assistant.generation.llm import build_llm  # noqa: E402
from assistant.generation.prompting import answer_messages  # noqa: E402

QUESTION = "Combien d'associations membres compte la coordination pour réfugiés et étrangers ?"


def corpus_passages(count: int) -> list[Passage]:
    """Corpus excerpts (those of tests/citation_pairs.jsonl), as numbered passages; the
    refugee coordination's one first, since the question is about it."""
    rows = [json.loads(line) for line in
            (ROOT / "tests" / "citation_pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    texts = sorted((r for r in rows if "text" in r), key=lambda r: r["passage_id"] != "cire")
    return [Passage(r["passage_id"], r["text"], r["title"], "", "", "", "fr", 1.0, rank)
            for rank, r in enumerate(texts[:count], start=1)]


def measure(llm: Any, messages: list[Any], count_tokens: Any) -> tuple[float, int, float]:
    """(time to first token, tokens, seconds from first token to the end)."""
    start = time.perf_counter()
    first = None
    text = ""
    chunks = 0
    for response in llm.stream_chat(messages):
        if response.delta:
            if first is None:
                first = time.perf_counter()
            text += response.delta
            chunks += 1
    end = time.perf_counter()
    first = first or end
    return first - start, count_tokens(text, chunks), end - first


def report(name: str, runs: list[tuple[float, int, float]], extra: str = "") -> None:
    ttft = [r[0] for r in runs]
    rates = [r[1] / r[2] for r in runs if r[2] > 0 and r[1] > 1]
    print(f"{name}: time to first token median {statistics.median(ttft):.2f} s "
          f"(min {min(ttft):.2f}, max {max(ttft):.2f}); "
          f"{statistics.median(rates) if rates else 0:.1f} tokens/s after it; "
          f"tokens per run {[r[1] for r in runs]}{extra}")


def bench_gguf(settings: Settings, messages: list[Any], runs: int) -> None:
    llm: Any = build_llm(settings.model_copy(update={"llm_provider": "gguf"}))
    start = time.perf_counter()
    load = getattr(llm, "load", None)
    if callable(load):
        load()
    loaded = time.perf_counter() - start
    tokenizer = getattr(llm, "_tokenizer", None)
    prompt_tokens = len(tokenizer(llm.chat_prompt(messages))["input_ids"]) if tokenizer else 0

    def count(text: str, chunks: int) -> int:
        return len(tokenizer(text, add_special_tokens=False)["input_ids"]) if tokenizer else chunks

    measure(llm, messages, count)  # warm-up: first call pays one-off allocations
    results = [measure(llm, messages, count) for _ in range(runs)]
    report(f"gguf ({type(llm).__name__}, {Path(getattr(llm, 'model_path', '?')).name})",
           results, f"; prompt {prompt_tokens} tokens; load {loaded:.1f} s")


def bench_openai(settings: Settings, messages: list[Any], runs: int, base_url: str | None) -> None:
    def count(_text: str, chunks: int) -> int:
        return chunks

    if base_url:
        llm = build_llm(settings.model_copy(update={"llm_provider": "openai",
                                                    "llm_base_url": base_url}))
        results = [measure(llm, messages, count) for _ in range(runs)]
        report(f"openai ({base_url})", results)
        return
    from llm_fakes import FakeOpenAIServer, Reply

    reply = " ".join(["Coordination et initiatives pour réfugiés et étrangers compte 23 "
                      "associations membres [1]."] * 8)
    with FakeOpenAIServer(lambda body: Reply(reply)) as server:
        llm = build_llm(settings.model_copy(update={"llm_provider": "openai",
                                                    "llm_base_url": server.base_url}))
        measure(llm, messages, count)
        results = [measure(llm, messages, count) for _ in range(runs)]
    report("openai (scripted local server, SSE)", results, " (chunks of 1-3 words)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["gguf", "openai", "all"], default="all")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--passages", type=int, default=3)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--base-url", help="a real OpenAI-compatible server to measure")
    args = parser.parse_args()
    settings = Settings(llm_max_new_tokens=args.max_new_tokens, llm_timeout_s=600)
    messages = answer_messages(QUESTION, "fr", corpus_passages(args.passages),
                               is_list=False, max_sentences=settings.answer_max_units)
    print(f"CPU cores: {os.cpu_count()}; passages in the prompt: {args.passages}; "
          f"max new tokens: {args.max_new_tokens}")
    if args.backend in ("gguf", "all"):
        bench_gguf(settings, messages, args.runs)
    if args.backend in ("openai", "all"):
        bench_openai(settings, messages, args.runs, args.base_url)


if __name__ == "__main__":
    main()
