"""Load test of the web chat: concurrent sessions through the Gradio API (issue 6, part 2).

usage: .venv/bin/python bench/load.py [--sessions 20,50] [--duration 60] [--pace 3.1]
                                      [--rate-limit N] [--sign-in-flood THREADS]
                                      [--json FILE] [--keep]

Run from the project root. Prints figures; asserts nothing.

1. Serves the real command, ``assistant serve --port P`` on 127.0.0.1, in a child process
   with ``ASSISTANT_DATA_DIR`` in a temporary folder (it indexes ``corpus/`` first).
2. Reference pass: one session asks each conversation of CONVERSATIONS (a question
   naming an organisation, then a follow-up that only makes sense with that turn) and
   keeps the follow-up's reply. The pipeline is deterministic: under load the same
   follow-up in the same conversation must get the same reply, word for word.
3. Load, once for each count of ``--sessions`` (default 20, then 50): that many
   gradio_client sessions at once for ``--duration`` seconds. Each repeats: clear, its own
   conversation (session i gets conversation i mod 20), checks. A session waits ``--pace``
   seconds between the starts of its questions (default 3.1 s; ``--pace 0`` hammers the
   server). The question limit counts per client address and every session comes from
   127.0.0.1, so the server runs with ``--rate-limit 0`` unless told otherwise.

Counted per reply:
  error        an exception in the client, or the reply is the service's internal error;
  refused      the reply is the rate-limit message (designed refusal, not an error);
  busy         the answer line was full: the "busy" message came instead (designed);
  crossed      the chat shows user turns that are not exactly this session's own, or the
               follow-up's reply differs from the reference (another history was used);
  topic miss   the follow-up's reply and sources do not name the conversation's topic
               (checked on the reference pass: a weak conversation, not a crossing).
Latency per question: time to the first thing that tells the person where their question
stands (answer words, a place in line, or "busy": the target is 1 s), to the first answer
words (the "searching" placeholder excepted) and to the complete streamed reply (~20 ms a
word, ``ui.handlers.STREAM_DELAY``); the largest place in line seen.
The server's peak RSS is read from ``os.wait4`` when it stops.

``--sign-in-flood N`` (issue 19): the server gets an account and the sessions sign in;
each count of sessions runs twice, quiet and then with N threads posting wrong sign-ins
as fast as they can, each with a new user name and client address (``X-Forwarded-For``,
trusted from loopback), so that no lock-out spares a hash: the signed-in users' figures
side by side (target: first words p50 within 2x of the quiet run).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import contextlib

from gradio_client import Client  # noqa: E402

from assistant.core.messages import message  # noqa: E402
from assistant.core.text import fold  # noqa: E402
from ui.render import chat_markdown  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[1]

# (first question, follow-up, a word the follow-up's reply or sources must hold)
CONVERSATIONS = [
    ("Que fait le CIEP ?", "Et ses formations ?", "ciep"),
    ("Quel est le site web de WSM ?", "Et ses stratégies ?", "wsm"),
    ("What is the FOREM?", "And what does it offer?", "forem"),
    ("Qu'est-ce que la Coalition Climat ?", "Et combien d'organisations réunit-elle ?",
     "climat"),
    ("Qu'est-ce que le Réseau Financité ?", "Et son ancien nom ?", "financ"),
    ("Que fait la Coordination des sans-papiers ?", "Et où ?", "sans"),
    ("Qu'est-ce que le MOC ?", "Et ses partenaires ?", "moc"),
    ("Qu'est-ce que Solidarité Mondiale ?", "Et sa vision ?", "solidarit"),
    ("What does WSM do?", "And where is it based?", "wsm"),
    ("Qu'est-ce que la coordination pour réfugiés et étrangers ?",
     "Et combien d'associations membres compte-t-elle ?", "refugi"),
    ("Qu'est-ce que Vie Féminine ?", "Et ses thèmes ?", "feminine"),
    ("Qu'est-ce que les Équipes Populaires ?", "Et leurs missions ?", "populaires"),
    ("What is CEDEFOP?", "And what does it do?", "cedefop"),
    ("Qu'est-ce que la Mutualité Chrétienne ?", "Et ses partenaires ?", "mutualit"),
    ("Qu'est-ce que le CNCD-11.11.11 ?", "Et ses missions ?", "cncd"),
    ("What is the AID network?", "And what resources does it offer?", "aid"),
    ("Qu'est-ce que la CSC ?", "Et ses membres ?", "csc"),
    ("Qu'est-ce que Solidarité Mondiale ?", "Et ses missions ?", "solidarit"),
    ("Qu'est-ce que Vie Féminine ?", "Et ses actions ?", "feminine"),
    ("Qu'est-ce que la Mutualité Chrétienne ?", "Et que fait-elle ?", "mutualit"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * pct / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def prefixes(key: str) -> tuple[str, ...]:
    """The fixed start of a message (before its first placeholder), in both languages."""
    mark = "\x00"
    return tuple(message(key, lang, limit=mark, seconds=mark, detail=mark, position=mark,
                         waiting=mark).split(mark)[0] for lang in ("fr", "en"))


@dataclass
class Turn:
    text: str  # the complete reply
    users: list[str]  # user messages the chat shows
    sources: str
    first_words_s: float
    total_s: float
    first_status_s: float = 0.0  # answer words, a place in line or "busy"
    busy: bool = False
    place: int = 0  # the largest place in line shown


def messages_of(output: Any) -> tuple[list[str], list[str]]:
    chatbot = output[1] if isinstance(output, (list, tuple)) else []
    texts: dict[str, list[str]] = {"user": [], "assistant": []}
    for m in chatbot or []:
        content = m.get("content")
        text = content[0]["text"] if isinstance(content, list) and content else content
        texts.setdefault(m.get("role", ""), []).append(str(text or ""))
    return texts["user"], texts["assistant"]


def notice_of(output: Any, key: str) -> str:
    """The notice (under the input box) among the outputs when it is message ``key``."""
    texts = [x for x in output if isinstance(x, str)] if isinstance(output, (list, tuple)) else []
    return next((t for t in texts if t.startswith(prefixes(key))), "")


def ask(client: Client, question: str, lang: str) -> Turn:
    thinking = message("ui_thinking", lang)
    start = time.perf_counter()
    first = status = None
    place, busy = 0, False
    output: Any = None
    job = client.submit(question, lang, api_name="/ask")
    for output in job:
        _, replies = messages_of(output)
        words = bool(replies and replies[-1] and thinking not in replies[-1])
        shown = notice_of(output, "ui_queue_position")
        busy = busy or bool(notice_of(output, "ui_busy"))
        if shown:
            place = max(place, int("".join(c for c in shown if c.isdigit()) or 0))
        if status is None and (words or shown or busy):
            status = time.perf_counter() - start
        if first is None and words:
            first = time.perf_counter() - start
    final = job.outputs()[-1] if job.outputs() else output
    total = time.perf_counter() - start
    users, replies = messages_of(final)
    sources = final[2] if isinstance(final, (list, tuple)) and len(final) > 2 else ""
    return Turn(replies[-1] if replies and not busy else "", users, str(sources),
                first or total, total, status or total, busy, place)


def language_of(question: str) -> str:
    return "en" if question.startswith(("What", "Who", "And")) else "fr"


@dataclass
class Tally:
    asked: int = 0
    errors: list[str] = field(default_factory=list)
    refused: int = 0
    busy: int = 0
    places: list[int] = field(default_factory=list)
    first_status_ms: list[float] = field(default_factory=list)
    in_line_status_ms: list[float] = field(default_factory=list)  # those shown a place
    crossed: list[str] = field(default_factory=list)
    conversations: int = 0
    first_words_ms: list[float] = field(default_factory=list)
    total_ms: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def classify(turn: Turn, tally: Tally, where: str) -> str:
    tally.first_status_ms.append(turn.first_status_s * 1000)
    tally.places.append(turn.place)
    if turn.place:
        tally.in_line_status_ms.append(turn.first_status_s * 1000)
    if turn.busy:
        tally.busy += 1
        return "busy"
    if turn.text.startswith(prefixes("internal_error")) or not turn.text:
        tally.errors.append(f"{where}: {turn.text[:120]!r}")
        return "error"
    if turn.text.startswith(prefixes("rate_limited")):
        tally.refused += 1
        return "refused"
    return "ok"


ACCOUNT = ("load", "load-password")  # the account of --sign-in-flood runs


def connect(url: str, signed_in: bool) -> Client:
    """A session; signed in, with a long timeout: sign-ins are hashed one at a time on the
    server, so 50 sessions signing in at once wait up to several seconds for the last."""
    return Client(url, verbose=False, analytics_enabled=False, download_files=False,
                  auth=ACCOUNT if signed_in else None,
                  httpx_kwargs={"timeout": 60} if signed_in else None)


def flood(url: str, deadline: float, counter: list[int]) -> None:
    """Wrong sign-ins until the deadline, each from a new name and address."""
    import httpx

    with httpx.Client(timeout=30) as http:
        while time.monotonic() < deadline:
            n = counter[0] = counter[0] + 1
            address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
            with contextlib.suppress(httpx.HTTPError):
                http.post(url + "login", data={"username": f"guess{n}", "password": "x"},
                          headers={"X-Forwarded-For": address})


def session_loop(index: int, url: str, deadline: float, pace: float,
                 reference: dict[int, str], tally: Tally, signed_in: bool = False) -> None:
    number = index % len(CONVERSATIONS)
    first_q, follow_q, _ = CONVERSATIONS[number]
    try:
        client = connect(url, signed_in)
    except Exception as exc:  # noqa: BLE001 - every failure is counted, none stops the run
        with tally.lock:
            tally.errors.append(f"session {index}: connect: {exc!r}"[:200])
        return
    next_start = time.monotonic()
    try:
        while time.monotonic() < deadline:
            client.predict(language_of(first_q), api_name="/clear")
            sent: list[str] = []
            for question in (first_q, follow_q):
                time.sleep(max(0.0, next_start - time.monotonic()))
                next_start = time.monotonic() + pace
                where = f"session {index} conv {number} {question!r}"
                try:
                    turn = ask(client, question, language_of(question))
                except Exception as exc:  # noqa: BLE001
                    with tally.lock:
                        tally.asked += 1
                        tally.errors.append(f"{where}: {exc!r}"[:200])
                    break
                sent.append(question)
                with tally.lock:
                    tally.asked += 1
                    kind = classify(turn, tally, where)
                    if kind != "ok":
                        break
                    tally.first_words_ms.append(turn.first_words_s * 1000)
                    tally.total_ms.append(turn.total_s * 1000)
                    if turn.users != [chat_markdown(q) for q in sent]:
                        tally.crossed.append(f"{where}: chat shows {turn.users!r}")
                    elif question == follow_q and turn.text != reference[number]:
                        tally.crossed.append(f"{where}: reply {turn.text[:80]!r}")
                    elif question == follow_q:
                        tally.conversations += 1
            if time.monotonic() >= deadline:
                break
    finally:
        client.close()


def start_server(data: Path, port: int, rate_limit: int | None, log: Path,
                 accounts: bool = False) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    if accounts:
        env["ASSISTANT_UI_USERS"] = ":".join(ACCOUNT)
    env.update({"ASSISTANT_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1",
                "TOKENIZERS_PARALLELISM": "false", "ANONYMIZED_TELEMETRY": "False",
                "GRADIO_ANALYTICS_ENABLED": "False"})
    if rate_limit is not None:
        env["ASSISTANT_RATE_LIMIT_PER_MINUTE"] = str(rate_limit)
    script = Path(sys.executable).parent / "assistant"
    cmd = [str(script)] if script.is_file() else [sys.executable, "-m", "assistant.cli"]
    with open(log, "wb") as out:
        return subprocess.Popen([*cmd, "serve", "--port", str(port)], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                                cwd=PROJECT_ROOT)


def wait_until_up(url: str, proc: subprocess.Popen[bytes], timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"assistant serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return time.monotonic() - start
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"no page at {url} in {timeout:.0f} s")


def stop_server(proc: subprocess.Popen[bytes]) -> float | None:
    proc.send_signal(signal.SIGINT)
    timer = threading.Timer(30, proc.kill)
    timer.start()
    try:
        _, _, usage = os.wait4(proc.pid, 0)
    finally:
        timer.cancel()
    return usage.ru_maxrss / 1024


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run_load(sessions: int, url: str, args: argparse.Namespace, reference: dict[int, str],
             flooders: int = 0) -> tuple[dict[str, Any], Tally]:
    """``sessions`` sessions at once for ``--duration`` seconds (with ``flooders`` threads
    of wrong sign-ins); the figures."""
    tally = Tally()
    load_before = loadavg()
    deadline = time.monotonic() + args.duration
    started = time.perf_counter()
    signed_in = bool(args.sign_in_flood)
    attempts = [0]
    threads = [threading.Thread(target=session_loop, args=(i, url, deadline, args.pace,
                                                           reference, tally, signed_in))
               for i in range(sessions)]
    threads += [threading.Thread(target=flood, args=(url, deadline, attempts))
                for _ in range(flooders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    figures = {
        "sessions": sessions, "duration_s": args.duration, "elapsed_s": elapsed,
        "flood_threads": flooders, "wrong_sign_ins": attempts[0],
        "pace_s": args.pace, "rate_limit": args.rate_limit,
        "questions": tally.asked, "answered": len(tally.total_ms),
        "throughput_qps": len(tally.total_ms) / elapsed,
        "conversations_checked": tally.conversations,
        "errors": len(tally.errors), "refused": tally.refused, "busy": tally.busy,
        "crossed": len(tally.crossed),
        "first_status_p50_ms": statistics.median(tally.first_status_ms or [float("nan")]),
        "first_status_p95_ms": percentile(tally.first_status_ms, 95),
        "first_status_max_ms": max(tally.first_status_ms or [float("nan")]),
        "in_line_status_p95_ms": percentile(tally.in_line_status_ms, 95),
        "waited_in_line": sum(1 for p in tally.places if p),
        "largest_place": max(tally.places or [0]),
        "first_words_p50_ms": statistics.median(tally.first_words_ms or [float("nan")]),
        "first_words_p95_ms": percentile(tally.first_words_ms, 95),
        "complete_p50_ms": statistics.median(tally.total_ms or [float("nan")]),
        "complete_p95_ms": percentile(tally.total_ms, 95),
        "load_before": load_before, "load_after": loadavg(),
    }
    return figures, tally


def print_figures(figures: dict[str, Any], tally: Tally) -> None:
    print()
    print(f"| figure ({figures['sessions']} sessions, {figures['flood_threads']} sign-in flood "
          "threads) | value |")
    print("|---|---|")
    for key in ("sessions", "flood_threads", "wrong_sign_ins", "elapsed_s", "questions",
                "answered", "throughput_qps",
                "conversations_checked", "errors", "refused", "busy", "crossed",
                "first_status_p50_ms", "first_status_p95_ms", "first_status_max_ms",
                "in_line_status_p95_ms", "waited_in_line", "largest_place", "first_words_p50_ms",
                "first_words_p95_ms", "complete_p50_ms", "complete_p95_ms"):
        value = figures[key]
        shown = f"{value:.1f}" if isinstance(value, float) else str(value)
        print(f"| {key} | {shown} |")
    slow = figures["first_status_max_ms"] > 1000
    print(f"\nerrors must be 0: {'ok' if not tally.errors else 'MISSED'}; history crossings "
          f"must be 0: {'ok' if not tally.crossed else 'MISSED'}; where each question stands "
          f"within 1 s: {'MISSED' if slow else 'ok'}")
    for line in (tally.errors + tally.crossed)[:10]:
        print("  " + line)
    print(f"load average before {figures['load_before']}, after {figures['load_after']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", default="20,50",
                        help="session counts, run one after the other (comma-separated)")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--pace", type=float, default=3.1,
                        help="seconds between the starts of a session's questions")
    parser.add_argument("--rate-limit", type=int, default=0,
                        help="ASSISTANT_RATE_LIMIT_PER_MINUTE for the server (default 0: every "
                             "session comes from the same address)")
    parser.add_argument("--sign-in-flood", type=int, default=0, metavar="THREADS",
                        help="with an account: run each count quiet, then with THREADS "
                             "threads of wrong sign-ins")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    counts = [int(n) for n in str(args.sessions).split(",") if n.strip()]

    tmp = Path(tempfile.mkdtemp(prefix="assistant-load-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    print(f"load test: {counts} sessions x {args.duration:g} s, pace {args.pace:g} s, "
          f"load average {loadavg()}, tmp {tmp}", flush=True)
    proc = start_server(tmp / "data", port, args.rate_limit, tmp / "serve.log",
                        accounts=bool(args.sign_in_flood))
    peak = None
    runs: list[tuple[dict[str, Any], Tally]] = []
    try:
        up_s = wait_until_up(url, proc, 600)
        print(f"assistant serve answered after {up_s:.1f} s (indexing included)", flush=True)
        reference: dict[int, str] = {}
        weak = []
        for number, (first_q, follow_q, topic) in enumerate(CONVERSATIONS):
            client = connect(url, bool(args.sign_in_flood))
            ask(client, first_q, language_of(first_q))
            turn = ask(client, follow_q, language_of(follow_q))
            client.close()
            reference[number] = turn.text
            if fold(topic) not in fold(turn.text + " " + turn.sources) or any(
                    turn.text.startswith(prefixes(key)) for key in ("internal_error",
                                                                    "rate_limited")):
                weak.append(f"{number}: {follow_q!r} -> {turn.text[:60]!r}")
        distinct = len(set(reference.values()))
        print(f"reference pass: {len(reference)} follow-up replies, {distinct} distinct",
              flush=True)
        for count in counts:
            for flooders in sorted({0, args.sign_in_flood}):
                runs.append(run_load(count, url, args, reference, flooders))
                print_figures(*runs[-1])
    finally:
        if proc.poll() is None:
            peak = stop_server(proc)
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nserver peak RSS: {peak:.0f} MB" if peak else "")
    if weak:
        print("conversations whose follow-up does not name the topic (reference pass):")
        for line in weak:
            print("  " + line)
    if args.json:
        figures = [{**f, "server_peak_rss_mb": peak, "weak_conversations": weak}
                   for f, _ in runs]
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=1),
                             encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
