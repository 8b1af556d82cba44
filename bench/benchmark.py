"""Performance figures against the product targets (ingestion time, latency, memory).

usage: .venv/bin/python bench/benchmark.py [--questions FILE ...] [--rounds N] [--cold-runs N]
                                           [--json] [--keep]

Run from the project root. Every phase runs in a fresh subprocess with
ASSISTANT_DATA_DIR pointing at a new temporary folder (ASSISTANT_MODELS_DIR is left
alone, so the model already materialised under data/models/ is reused):

  materialise   ``python -m embeddings.materialise TMP/m`` (set-up cost, extra figure)
  ingest        ``assistant ingest`` on an empty data folder: interpreter start, imports,
                model load and embedding of the whole corpus
  re-ingest     ``assistant ingest`` again with nothing changed
  cold start    ``assistant ask QUESTION`` in a new process, index built (the first
                question of the set), ``--cold-runs`` times: wall seconds and peak RSS of
                each, median reported; and the seconds ``import assistant.cli`` takes alone
  latency       one process: ``AssistantService()``, 3 warm-up questions (the first one,
                cold, is reported separately), then every question timed, N rounds

The commands run ``python -m assistant.cli`` with this checkout first on PYTHONPATH (the
``assistant`` console script may import another checkout). Peak memory is the peak RSS of
each child, read from ``os.wait4`` (falling back on ``getrusage(RUSAGE_CHILDREN)``). This
script PRINTS figures, each next to its target with "ok" or "MISSED"; it asserts nothing and
always exits 0 unless a phase fails.
Standard library only (plus the project, inside the children).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEV_QUESTIONS = PROJECT_ROOT.parent / "shared" / "eval" / "dev.jsonl"
TEST_QUESTIONS = PROJECT_ROOT / "tests" / "questions.jsonl"
DEFAULT_MODEL_DIR = PROJECT_ROOT / "data" / "models" / "multilingual-e5-small"
WARMUP = 3

# Targets from the product issue (2-core machine).
TARGET_INGEST_S = 60.0
TARGET_REINGEST_S = 5.0
TARGET_P50_MS = 150.0
TARGET_P95_MS = 400.0
TARGET_PEAK_MB = 2048.0
TARGET_COLD_S = 2.5  # issue 14: a cold `assistant ask`, default model, on 2 cores
TARGET_COLD_MB = 700.0
COLD_RUNS = 5

# Runs in a child: the seconds `import assistant.cli` takes in a fresh interpreter.
IMPORT_CHILD = (
    "import time; t = time.perf_counter(); import assistant.cli; "
    "print(time.perf_counter() - t)"
)

# Runs inside the latency child: argv = [questions.json, rounds, result.json].
LATENCY_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from assistant.core.errors import AssistantError
from assistant.service.assistant_service import AssistantService
t_import = time.perf_counter() - t0
questions_path, rounds, out_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
questions = json.load(open(questions_path, encoding="utf-8"))
warmup = int(sys.argv[4])

def ask(service, item):
    history = [tuple(turn) for turn in item.get("history") or []]
    start = time.perf_counter()
    error = None
    try:
        service.ask(item["q"], history)
    except AssistantError as exc:
        error = f"{item.get('id')}: {exc.key}"
    return (time.perf_counter() - start) * 1000.0, error

t1 = time.perf_counter()
service = AssistantService()
t_service = time.perf_counter() - t1
warm_ms, errors = [], []
for item in questions[:warmup]:
    ms, err = ask(service, item)
    warm_ms.append(ms)
    if err:
        errors.append(err)
timed_ms, per_question = [], {}
for _ in range(rounds):
    for number, item in enumerate(questions):
        ms, err = ask(service, item)
        timed_ms.append(ms)
        per_question.setdefault(f"{number}:{item.get('id')}", []).append(ms)
        if err:
            errors.append(err)
json.dump({"import_s": t_import, "service_init_s": t_service, "warmup_ms": warm_ms,
           "timed_ms": timed_ms, "per_question_ms": per_question,
           "errors": sorted(set(errors))}, open(out_path, "w"))
"""


@dataclass
class ChildRun:
    name: str
    returncode: int
    wall_s: float
    peak_rss_mb: float | None
    stdout: str
    stderr: str


def mb_from_maxrss(maxrss: int) -> float:
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


def run_child(name: str, cmd: list[str], env: dict[str, str], logs: Path,
              timeout: float) -> ChildRun:
    """Run one phase; wall time, exit code and the child's own peak RSS."""
    out_path, err_path = logs / f"{name}.out", logs / f"{name}.err"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env=env, cwd=PROJECT_ROOT)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            if hasattr(os, "wait4"):
                _, status, usage = os.wait4(proc.pid, 0)
                wall = time.perf_counter() - start
                proc.returncode = os.waitstatus_to_exitcode(status)
                peak: float | None = mb_from_maxrss(usage.ru_maxrss)
            else:  # pragma: no cover - non-Unix
                proc.wait()
                wall = time.perf_counter() - start
                peak = mb_from_maxrss(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
        finally:
            timer.cancel()
    return ChildRun(name, proc.returncode, wall, peak,
                    out_path.read_text(encoding="utf-8", errors="replace"),
                    err_path.read_text(encoding="utf-8", errors="replace"))


def percentile(values: list[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * pct / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def load_questions(paths: list[Path]) -> list[dict[str, Any]]:
    items: list[Any] = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            items.extend(json.loads(line) for line in handle if line.strip())
    return [item for item in items if isinstance(item, dict) and item.get("q")]


def default_question_files() -> list[Path]:
    files = [DEV_QUESTIONS if DEV_QUESTIONS.is_file() else TEST_QUESTIONS, TEST_QUESTIONS]
    return list(dict.fromkeys(files))  # no file twice when dev.jsonl is missing


def assistant_command() -> list[str]:
    """This checkout's CLI (PYTHONPATH is set to it in ``main``)."""
    return [sys.executable, "-m", "assistant.cli"]


def cold_start(question: str, runs: int, env: dict[str, str], logs: Path,
               timeout: float) -> dict[str, Any]:
    """``assistant ask QUESTION`` in ``runs`` new processes, then ``import assistant.cli``
    alone as often: each run's wall seconds and peak RSS, and their medians."""
    asks = [run_child(f"cold-{n}", [*assistant_command(), "ask", question], env, logs,
                      timeout) for n in range(runs)]
    failed = next((r for r in asks if r.returncode), None)
    if failed is not None:
        fail(failed)
        raise SystemExit(1)
    imports = [run_child(f"import-{n}", [sys.executable, "-c", IMPORT_CHILD], env, logs,
                         timeout) for n in range(runs)]
    walls = [r.wall_s for r in asks]
    peaks = [r.peak_rss_mb for r in asks if r.peak_rss_mb is not None]
    import_s = [float(r.stdout.strip()) for r in imports if not r.returncode]
    return {"question": question, "runs": runs, "wall_s": walls, "peak_rss_mb": peaks,
            "median_wall_s": statistics.median(walls),
            "median_peak_rss_mb": statistics.median(peaks) if peaks else None,
            "import_s": import_s,
            "median_import_s": statistics.median(import_s) if import_s else None}


def loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def verdict(value: float | None, target: float) -> str:
    if value is None:
        return "n/a"
    return "ok" if value <= target else "MISSED"


def fail(run: ChildRun) -> None:
    print(f"\nphase '{run.name}' failed (exit {run.returncode}); stderr tail:", file=sys.stderr)
    print(run.stderr[-3000:], file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=Path, action="append",
                        help="JSONL question file (repeatable); default: "
                             "../shared/eval/dev.jsonl (or tests/questions.jsonl) "
                             "+ tests/questions.jsonl")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds over the questions")
    parser.add_argument("--cold-runs", type=int, default=COLD_RUNS,
                        help="fresh `assistant ask` processes timed for the cold start")
    parser.add_argument("--json", action="store_true",
                        help="also print one JSON object with all figures")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds before a phase is killed")
    args = parser.parse_args(argv)

    question_files = args.questions or default_question_files()
    questions = load_questions(question_files)
    if not questions:
        parser.error("no questions in " + ", ".join(map(str, question_files)))

    tmp = Path(tempfile.mkdtemp(prefix="assistant-bench-"))
    logs = tmp / "logs"
    logs.mkdir()
    env = dict(os.environ)
    env.update({"ASSISTANT_DATA_DIR": str(tmp / "data"), "HF_HUB_OFFLINE": "1",
                "TOKENIZERS_PARALLELISM": "false", "ANONYMIZED_TELEMETRY": "False",
                "PYTHONDONTWRITEBYTECODE": "1",
                "PYTHONPATH": os.pathsep.join(
                    p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)})
    models_dir = Path(env.get("ASSISTANT_MODELS_DIR", PROJECT_ROOT / "data" / "models"))
    model_ready = (models_dir / "multilingual-e5-small" / ".materialised").is_file()
    figures: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "question_files": [str(p) for p in question_files],
        "questions": len(questions), "rounds": args.rounds,
        "default_model_already_materialised": model_ready,
        "tmp": str(tmp),
    }
    figures["loadavg_before"] = loadavg()
    print(f"benchmark: {len(questions)} questions x {args.rounds} rounds, "
          f"{os.cpu_count()} CPUs, load average {figures['loadavg_before']}, tmp {tmp}")
    if not model_ready:
        print(f"note: {models_dir} holds no materialised model; the first ingestion "
              "will build it and its time will include that.")
    runs: dict[str, ChildRun] = {}
    status = 0
    try:
        # -- set-up: model materialisation (extra figure) ----------------------
        print("materialise ...", flush=True)
        run = run_child("materialise", [sys.executable, "-m", "embeddings.materialise",
                                        str(tmp / "m")], env, logs, args.timeout)
        runs[run.name] = run
        if run.returncode:
            fail(run)
            status = 1

        # -- first ingestion, then no-change re-ingestion ----------------------
        for name in ("ingest", "reingest"):
            print(f"{name} ...", flush=True)
            run = run_child(name, [*assistant_command(), "ingest"], env, logs, args.timeout)
            runs[name] = run
            if run.returncode:
                fail(run)
                return 1
            figures[f"{name}_report"] = run.stdout.strip()

        # -- cold start: a question in a new process, index built -----------------
        print("cold start ...", flush=True)
        cold = cold_start(str(questions[0]["q"]), args.cold_runs, env, logs, args.timeout)
        figures["cold_start"] = cold

        # -- latency -----------------------------------------------------------
        print("latency ...", flush=True)
        qfile, result = tmp / "questions.json", tmp / "latency.json"
        qfile.write_text(json.dumps(questions, ensure_ascii=False), encoding="utf-8")
        run = run_child("latency", [sys.executable, "-c", LATENCY_CHILD, str(qfile),
                                    str(args.rounds), str(result), str(WARMUP)],
                        env, logs, args.timeout)
        runs["latency"] = run
        if run.returncode or not result.is_file():
            fail(run)
            return 1
        lat = json.loads(result.read_text(encoding="utf-8"))
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    figures["loadavg_after"] = loadavg()
    timed = lat["timed_ms"]
    latency = {
        "import_s": lat["import_s"], "service_init_s": lat["service_init_s"],
        "cold_first_question_ms": lat["warmup_ms"][0] if lat["warmup_ms"] else None,
        "warmup_ms": lat["warmup_ms"], "timed": len(timed),
        "p50_ms": statistics.median(timed), "p95_ms": percentile(timed, 95),
        "max_ms": max(timed), "mean_ms": statistics.fmean(timed), "min_ms": min(timed),
        "errors": lat["errors"],
        "slowest": sorted(((key.split(":", 1)[1], statistics.median(ms))
                           for key, ms in lat["per_question_ms"].items()),
                          key=lambda pair: -pair[1])[:5],
    }
    figures["phases"] = {name: {"wall_s": r.wall_s, "peak_rss_mb": r.peak_rss_mb,
                                "returncode": r.returncode} for name, r in runs.items()}
    figures["latency"] = latency
    assistant_phases = [runs[n].peak_rss_mb for n in ("ingest", "reingest", "latency")]
    worst_peak = max((p for p in assistant_phases if p is not None), default=None)
    worst_name = max(("ingest", "reingest", "latency"),
                     key=lambda n: runs[n].peak_rss_mb or 0.0)
    figures["peak_rss_mb"] = worst_peak
    figures["peak_rss_phase"] = worst_name

    rows: list[tuple[str, str, str, str]] = []

    def row(label: str, value: float | None, unit: str, target: float | None = None) -> None:
        shown = "n/a" if value is None else f"{value:.1f} {unit}" if unit != "ms" \
            else f"{value:.0f} ms"
        if target is None:
            rows.append((label, shown, "", ""))
        else:
            tshown = f"<= {target:g} {unit}" if unit != "MB" else f"<= {target:.0f} MB"
            rows.append((label, shown, tshown, verdict(value, target)))

    mat = runs.get("materialise")
    row("model materialisation (set-up)", mat.wall_s if mat else None, "s")
    row("first ingestion (incl. model load)", runs["ingest"].wall_s, "s", TARGET_INGEST_S)
    row("re-ingestion, nothing changed", runs["reingest"].wall_s, "s", TARGET_REINGEST_S)
    row(f"cold `assistant ask`, median of {cold['runs']}", cold["median_wall_s"], "s",
        TARGET_COLD_S)
    row("cold `assistant ask`: peak RSS, median", cold["median_peak_rss_mb"], "MB",
        TARGET_COLD_MB)
    row("`import assistant.cli` alone, median", cold["median_import_s"], "s")
    row("latency process: imports", latency["import_s"], "s")
    row("first question (cold)", latency["cold_first_question_ms"], "ms")
    row(f"latency p50 ({len(timed)} asks)", latency["p50_ms"], "ms", TARGET_P50_MS)
    row("latency p95", latency["p95_ms"], "ms", TARGET_P95_MS)
    row("latency max", latency["max_ms"], "ms")
    row("latency mean", latency["mean_ms"], "ms")
    for name in ("materialise", "ingest", "reingest", "latency"):
        if name in runs:
            row(f"peak RSS: {name}", runs[name].peak_rss_mb, "MB")
    row(f"peak RSS, worst phase ({worst_name})", worst_peak, "MB", TARGET_PEAK_MB)

    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    twidth = max(len(r[2]) for r in rows)
    print()
    print(f"{'figure':<{width}}  {'value':>{vwidth}}  {'target':<{twidth}}  verdict")
    print("-" * (width + vwidth + twidth + 13))
    for label, value, target, mark in rows:
        print(f"{label:<{width}}  {value:>{vwidth}}  {target:<{twidth}}  {mark}".rstrip())
    print()
    for name in ("ingest", "reingest"):
        print(f"{name} said: {figures[f'{name}_report']}")
    print(f"cold start ({cold['question']!r}): wall "
          + ", ".join(f"{s:.2f}" for s in cold["wall_s"]) + " s; peak RSS "
          + ", ".join(f"{mb:.0f}" for mb in cold["peak_rss_mb"]) + " MB")
    print("slowest questions (median ms): "
          + ", ".join(f"{qid} {ms:.0f}" for qid, ms in latency["slowest"]))
    if latency["errors"]:
        print("questions refused (timed anyway): " + ", ".join(latency["errors"]))
    print(f"load average before {figures['loadavg_before']}, after {figures['loadavg_after']} "
          "(other load on the machine skews every figure)")
    print("peak RSS targets apply to ingest/re-ingest/latency; materialisation is set-up.")
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return status


if __name__ == "__main__":
    raise SystemExit(main())
