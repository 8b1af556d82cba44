"""llama.cpp (xllamacpp) in-process and served: load time, time to first token and tokens/s
with a ~600-token answer prompt, peak memory (prints, asserts nothing).

    .venv/bin/python bench/llm_bench.py                      # both paths, Gemma 3 270M, 1 thread
    .venv/bin/python bench/llm_bench.py --path inprocess --threads 2 --runs 5
    .venv/bin/python bench/llm_bench.py --model ~/models/qwen2.5-3b-instruct-q4_k_m.gguf

- in-process: ``ASSISTANT_LLM_PROVIDER=gguf`` (assistant/generation/llamacpp.py) in a child
  process of its own; load = ``LlamaCppLLM.load()`` (llama.cpp reads the file, warms up).
- served: ``assistant llm serve`` in a child process, reached by the openai provider (the
  project's OpenAILike client, streamed); load = from the command's start to the first
  answer of /v1/models (Python start-up and imports included).

The prompt is the real answer prompt (prompts/fr/answer.toml) over corpus excerpts, with
the run's number before the passages: as in use, the system rules are the same at every
question (llama.cpp keeps their tokens) and the passages and question are new. Time to first token
is from the call to the first non-empty piece; tokens/s counts the streamed pieces (one
token each from llama.cpp) after the first, over the time after it. Peak memory: the
process's VmHWM (in-process: the whole Python process, with the model's share over the
state before loading; served: the server process).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from llama_index.core.base.llms.types import ChatMessage  # noqa: E402

from assistant.core.settings import Settings  # noqa: E402
from assistant.core.types import Passage  # noqa: E402
from assistant.generation.llm import build_llm, gguf_path  # noqa: E402
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


def prompt(run: int, passages: int) -> list[ChatMessage]:
    """The answer prompt, the run's number before the passages: the system rules are the
    same for every question (llama.cpp reuses their tokens, as it does in use), the rest is
    new to the model at every run."""
    system, user = answer_messages(QUESTION, "fr", corpus_passages(passages), is_list=False,
                                   max_sentences=4)
    return [system, ChatMessage(role=user.role, content=f"({run})\n{user.content}")]


def measure(llm: Any, messages: list[ChatMessage]) -> tuple[float, int, float]:
    """(time to first token, pieces, seconds from the first piece to the end)."""
    start = time.perf_counter()
    first = None
    pieces = 0
    for response in llm.stream_chat(messages):
        if response.delta:
            first = first or time.perf_counter()
            pieces += 1
    end = time.perf_counter()
    first = first or end
    return first - start, pieces, end - first


def memory_kib(pid: int | str = "self") -> dict[str, int]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0])
    return fields


def runs_of(llm: Any, args: argparse.Namespace) -> dict[str, Any]:
    measure(llm, prompt(0, args.passages))  # warm-up: one-off allocations
    results = [measure(llm, prompt(run, args.passages)) for run in range(1, args.runs + 1)]
    return {"ttft": [r[0] for r in results],
            "rate": [(r[1] - 1) / r[2] for r in results if r[2] > 0 and r[1] > 1],
            "pieces": [r[1] for r in results]}


def child_inprocess(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings(llm_provider="gguf", llm_model=str(args.model), llm_threads=args.threads,
                        llm_max_new_tokens=args.max_new_tokens, llm_timeout_s=600)
    llm: Any = build_llm(settings)
    before = memory_kib()["VmRSS"]
    start = time.perf_counter()
    llm.load()
    load = time.perf_counter() - start
    result = runs_of(llm, args)
    usage = llm._server.handle_completions(  # noqa: SLF001 (the prompt's size, as llama.cpp counts)
        {"prompt": "\n\n".join(str(m.content) for m in prompt(0, args.passages)),
         "max_tokens": 1})["usage"]
    peak = memory_kib()["VmHWM"]
    return {**result, "load": load, "peak_kib": peak, "model_kib": peak - before,
            "prompt_tokens": usage["prompt_tokens"],
            "template": "own chat template" if llm.uses_chat_template else "plain prompt"}


def bench_served(args: argparse.Namespace) -> dict[str, Any]:
    from conftest import free_tcp_port

    port = free_tcp_port()
    env = {**os.environ, "ASSISTANT_LLM_THREADS": str(args.threads),
           "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "llm", "serve", "--model", str(args.model),
         "--port", str(port)], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        while True:
            if server.poll() is not None:
                raise SystemExit(f"assistant llm serve exited with {server.returncode}")
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2):
                    break
            except OSError:
                time.sleep(0.05)
        load = time.perf_counter() - start
        settings = Settings(llm_provider="openai", llm_base_url=url,
                            llm_max_new_tokens=args.max_new_tokens, llm_timeout_s=600)
        result = runs_of(build_llm(settings), args)
        body = json.dumps({"messages": [{"role": m.role.value, "content": m.content}
                                        for m in prompt(0, args.passages)], "max_tokens": 1})
        request = urllib.request.Request(f"{url}/chat/completions", data=body.encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=600) as response:
            usage = json.load(response)["usage"]
        peak = memory_kib(server.pid)["VmHWM"]
    finally:
        server.terminate()
        server.wait(timeout=60)
    return {**result, "load": load, "peak_kib": peak, "prompt_tokens": usage["prompt_tokens"],
            "template": "server's chat template"}


def report(name: str, r: dict[str, Any]) -> None:
    ttft, rate = r["ttft"], r["rate"]
    model = f", model's share {r['model_kib'] / 1024:.0f} MiB" if "model_kib" in r else ""
    print(f"{name}: load {r['load']:.2f} s; time to first token median "
          f"{statistics.median(ttft):.2f} s (min {min(ttft):.2f}, max {max(ttft):.2f}); "
          f"{statistics.median(rate) if rate else 0:.1f} tokens/s after it "
          f"(min {min(rate, default=0):.1f}, max {max(rate, default=0):.1f}); "
          f"tokens per run {r['pieces']}; prompt {r['prompt_tokens']} tokens ({r['template']}); "
          f"peak memory {r['peak_kib'] / 1024:.0f} MiB{model}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", choices=["inprocess", "served", "all"], default="all")
    parser.add_argument("--model", type=Path, help="a .gguf file (default: Gemma 3 270M)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--passages", type=int, default=3, help="3: ~600 prompt tokens")
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.model = (args.model or gguf_path(Settings())).expanduser().resolve()
    if args.child:  # the in-process measure, in a process of its own (clean peak memory)
        print(json.dumps(child_inprocess(args)))
        return
    print(f"CPU cores: {os.cpu_count()}; threads: {args.threads}; model: {args.model.name}; "
          f"max new tokens: {args.max_new_tokens}; runs: {args.runs} (+1 warm-up)", flush=True)
    if args.path in ("inprocess", "all"):
        child = subprocess.run(
            [sys.executable, __file__, "--child", "--model", str(args.model), "--threads",
             str(args.threads), "--runs", str(args.runs), "--passages", str(args.passages),
             "--max-new-tokens", str(args.max_new_tokens)],
            capture_output=True, text=True, check=True)
        report("in-process (gguf provider)", json.loads(child.stdout.splitlines()[-1]))
    if args.path in ("served", "all"):
        report("served (assistant llm serve + openai provider)", bench_served(args))


if __name__ == "__main__":
    main()
