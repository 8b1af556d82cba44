"""Web chat latency: time from sending a question to the first words of the answer.

usage: .venv/bin/python bench/ui_latency.py [--rounds N]
Serves the real app (real model, index in a temporary folder) on loopback, asks the
questions of tests/questions.jsonl through the Gradio API (gradio_client streams the
outputs), and prints p50 / p95 of the time to the first chunk that holds answer words,
the "searching" placeholder excepted. Target: <= 300 ms after warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from gradio_client import Client  # noqa: E402

from assistant.core.messages import message  # noqa: E402
from assistant.core.settings import PROJECT_ROOT, Settings  # noqa: E402
from assistant.service.assistant_service import AssistantService  # noqa: E402
from assistant.service.feedback import FeedbackStore  # noqa: E402
from ui.app import build_app, launch_app  # noqa: E402
from ui.auth import UserTable  # noqa: E402
from ui.handlers import ChatUI  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def last_answer(output: object) -> str:
    chatbot = output[1] if isinstance(output, (list, tuple)) else []
    texts = [m["content"][0]["text"] if isinstance(m["content"], list) else m["content"]
             for m in chatbot if m.get("role") == "assistant"]
    return str(texts[-1]) if texts else ""


def time_to_first_words(client: Client, question: str) -> float:
    placeholder = message("ui_thinking", "fr")
    started = time.perf_counter()
    job = client.submit(question, "fr", api_name="/ask")
    for output in job:
        text = last_answer(output)
        if text and placeholder not in text:
            return time.perf_counter() - started
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    questions = [json.loads(line)["q"] for line in
                 (PROJECT_ROOT / "tests" / "questions.jsonl").read_text().splitlines() if line]
    folder = Path(tempfile.mkdtemp(prefix="ui-bench-"))
    try:
        settings = Settings(corpus_dir=PROJECT_ROOT / "corpus", data_dir=folder)  # type: ignore[call-arg]
        service = AssistantService(settings)
        service.ingest()
        service.warm()
        app = build_app(service, settings, ui=ChatUI(service, FeedbackStore(folder / "f.db")))
        port = free_port()
        launch_app(app, UserTable({}), host="127.0.0.1", port=port, prevent_thread_lock=True)
        client = Client(f"http://127.0.0.1:{port}/", verbose=False, download_files=False)
        for question in questions[:3]:  # warm-up
            time_to_first_words(client, question)
        timings = [time_to_first_words(client, q) * 1000
                   for _ in range(args.rounds) for q in questions]
        app.close()
        q = statistics.quantiles(timings, n=20)
        print(f"time to first answer words over {len(timings)} questions: "
              f"p50 {statistics.median(timings):.0f} ms, p95 {q[18]:.0f} ms, "
              f"max {max(timings):.0f} ms (target <= 300 ms)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
