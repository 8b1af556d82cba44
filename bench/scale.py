"""Quality and scale figures, ours beside the LlamaIndex starter pipeline (issue 6, part 1).

usage: .venv/bin/python bench/scale.py [--scales 1,100,1000] [--server-scale 100]
                                       [--pipelines ours,starter] [--rounds 3] [--seed 6]
                                       [--json FILE] [--keep] [--timeout S]

Run from the project root. Prints a table; asserts nothing.

Corpora. ``x1`` is ``corpus/`` as it is. ``xN`` is the real corpus plus N-1 synthetic
copies generated into a temporary folder (never in the repository) with a fixed seed:
each copy of each document recombines the real texts' passages (blocks of 3-6
consecutive lines, the template document's blocks shuffled, about a quarter of them
swapped for blocks of other documents in the same language) and renames every
organisation: each all-capitals word or acronym (MOC, WSM, CNCD-11.11.11, ...) gets a
new one, the same in all documents of that copy, and the manifest names the renamed
organisation. Sizes grow linearly (x1000 is about 33 MB of text).

Pipelines, each in its own child process (peak RSS from ``os.wait4``), same model folder
(``data/models/multilingual-e5-small``, e5 ``query: ``/``passage: `` prefixes for both):

  ours     ``AssistantService``: model load, ``ingest()`` (structure-aware chunks, every
           chunk and every sentence unit embedded, directory mentions), then ``ask()``
           on every question of ``../shared/eval/dev.jsonl`` (follow-ups with their
           history), N rounds after 3 warm-up questions.
  starter  the LlamaIndex starter: ``SimpleDirectoryReader`` (.txt), ``VectorStoreIndex``
           with its default ``SentenceSplitter`` (1024 tokens, overlap 200) over a
           ``ChromaVectorStore``, ``HuggingFaceEmbedding`` on the same model folder
           (its default batch of 10), ``as_retriever(similarity_top_k=5)``. Its "answer"
           is the text of the top retrieved node and it never abstains (it has no
           mechanism for it); its sources are the 5 nodes. History is ignored. Both are
           scored by ``../shared/eval/score.py``; the starter's answer accuracy is
           generous (a whole chunk of ~4,000 characters is the "answer": see its median
           answer length), its abstention is 0 by construction.

Figures: ingestion time (in-process, model load excluded; model load and the child's wall
time are shown too), chunks/s (passages stored per second of ingestion; ours also shows
texts embedded per second, chunks + units), latency p50/p95 per question after warm-up,
peak RSS of the child (and of the Chroma server in server mode). Quality is scored at
every scale; above x1 the synthetic copies also hold the evidence snippets, so hit@5
there says little about ranking the right organisation.

Server mode (``--server-scale N``): ``chroma run --path TMP --port P --host 127.0.0.1``
from the venv, both pipelines pointed at it (``ASSISTANT_CHROMA_HOST``/``PORT`` for ours,
``chromadb.HttpClient`` for the starter).

``ASSISTANT_EMBEDDING_MODEL=fake`` (ours only) replaces the model by the hashed
bag-of-words test encoder: every stage but the model's work, measured at scales where
the model would take hours (query latency, memory, store and BM25 growth).

Scales not run are extrapolated from the largest one run (linear in the corpus size for
ingestion) and labelled "extrapolated". Other load on the machine skews every figure: the
load average is printed with each run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmark import percentile  # bench/ is the script's folder, first on sys.path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_EVAL = PROJECT_ROOT.parent / "shared" / "eval"
DEV_QUESTIONS = SHARED_EVAL / "dev.jsonl"
MODEL_DIR = PROJECT_ROOT / "data" / "models" / "multilingual-e5-small"
WARMUP = 3

# Targets from issue 6 (2 cores).
TARGET_CHUNKS_PER_S = 50.0  # at x1000
TARGET_P95_MS = 500.0  # at x1000
TARGET_X1_P50_MS = 100.0

ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]+(?:[-.'’][A-Z0-9]+)*\b")


# ---------------------------------------------------------------------------- corpus
def blocks_of(lines: list[str], rng: random.Random) -> list[list[str]]:
    """Consecutive lines in blocks of 3 to 6 (a heading keeps the lines it introduces)."""
    out, i = [], 0
    while i < len(lines):
        size = rng.randint(3, 6)
        out.append(lines[i:i + size])
        i += size
    return out


def renamer(seed: int, copy: int) -> Callable[[re.Match[str]], str]:
    """Each acronym of a copy gets a new one (same length and punctuation), stable within
    the copy: a parallel world of organisations."""
    cache: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        word = match.group(0)
        if word not in cache:
            rng = random.Random(f"{seed}:{copy}:{word}")
            cache[word] = "".join(
                rng.choice(string.ascii_uppercase) if ch.isalpha()
                else rng.choice(string.digits) if ch.isdigit() else ch
                for ch in word
            )
        return cache[word]

    return rename


def make_corpus(source: Path, target: Path, scale: int, seed: int) -> dict[str, Any]:
    """The real corpus plus scale-1 recombined, renamed copies; returns its size."""
    target.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    entries = manifest["documents"]
    texts = {e["file"]: (source / e["file"]).read_text(encoding="utf-8") for e in entries}
    out_entries = []
    for entry in entries:
        shutil.copyfile(source / entry["file"], target / entry["file"])
        out_entries.append(entry)
    base_rng = random.Random(seed)
    pools: dict[str, list[list[str]]] = {}
    doc_blocks: dict[str, list[list[str]]] = {}
    for entry in entries:
        lines = [ln for ln in texts[entry["file"]].splitlines() if ln.strip()]
        doc_blocks[entry["file"]] = blocks_of(lines, base_rng)
        pools.setdefault(entry["language"], []).extend(doc_blocks[entry["file"]])
    for copy in range(1, scale):
        rename = renamer(seed, copy)
        for entry in entries:
            rng = random.Random(f"{seed}:{copy}:{entry['file']}")
            blocks = list(doc_blocks[entry["file"]])
            first, rest = blocks[0], blocks[1:]
            rng.shuffle(rest)
            pool = pools[entry["language"]]
            rest = [rng.choice(pool) if rng.random() < 0.25 else b for b in rest]
            text = "\n".join(line for block in [first, *rest] for line in block) + "\n"
            name = f"x{copy:04d}-{entry['file']}"
            (target / name).write_text(ACRONYM.sub(rename, text), encoding="utf-8")
            out_entries.append({
                "file": name,
                "title": ACRONYM.sub(rename, entry["title"]) + f" ({copy})",
                "organisation": ACRONYM.sub(rename, entry["organisation"]),
                "language": entry["language"],
                "original_file": entry["original_file"],
            })
    (target / "manifest.json").write_text(
        json.dumps({"documents": out_entries}, ensure_ascii=False, indent=1), encoding="utf-8")
    size = sum((target / e["file"]).stat().st_size for e in out_entries)
    return {"documents": len(out_entries), "bytes": size}


# ---------------------------------------------------------------------------- children
def load_questions() -> list[dict[str, Any]]:
    with open(DEV_QUESTIONS, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def timed_rounds(ask: Callable[[dict[str, Any]], dict[str, Any]],
                 questions: list[dict[str, Any]], rounds: int) -> dict[str, Any]:
    cold_start = time.perf_counter()
    ask(questions[0])
    cold_ms = (time.perf_counter() - cold_start) * 1000
    for item in questions[1:WARMUP]:
        ask(item)
    answers, timed = [], []
    for round_no in range(rounds):
        for item in questions:
            start = time.perf_counter()
            record = ask(item)
            timed.append((time.perf_counter() - start) * 1000)
            if round_no == 0:
                answers.append({"id": item["id"], **record})
    return {"cold_ms": cold_ms, "timed_ms": timed, "answers": answers}


def child_ours(corpus: Path, data: Path, host: str | None, port: int,
               rounds: int) -> dict[str, Any]:
    if host:
        os.environ["ASSISTANT_CHROMA_HOST"], os.environ["ASSISTANT_CHROMA_PORT"] = host, str(port)
    os.environ["ASSISTANT_CORPUS_DIR"], os.environ["ASSISTANT_DATA_DIR"] = str(corpus), str(data)
    from assistant.core.errors import AssistantError
    from assistant.core.settings import Settings
    from assistant.service.assistant_service import AssistantService
    from assistant.service.presenters import answer_record

    settings = Settings()
    service = AssistantService(settings)
    start = time.perf_counter()
    service.encoder()
    model_s = time.perf_counter() - start
    start, cpu_start = time.perf_counter(), time.process_time()
    report = service.ingest(show_progress=True)  # progress in the child log
    ingest_s = time.perf_counter() - start
    # CPU seconds of this process (all its threads): less skewed than wall time by other
    # load on a shared machine.
    ingest_cpu_s = time.process_time() - cpu_start
    state = service.store.read_state()
    assert state is not None
    units = service.store.existing_collection(service.store.units_name(state.generation)).count()
    start = time.perf_counter()
    service.warm()
    warm_s = time.perf_counter() - start
    start = time.perf_counter()
    service.directory()
    directory_s = time.perf_counter() - start

    def ask(item: dict[str, Any]) -> dict[str, Any]:
        try:
            answer = service.ask(item["q"], [tuple(t) for t in item.get("history") or []])
        except AssistantError as exc:
            return {"answer": str(exc), "abstained": False, "sources": [], "error": exc.key}
        return answer_record(answer, settings.sources_listed)

    result = timed_rounds(ask, load_questions(), rounds)
    return {"model_s": model_s, "ingest_s": ingest_s, "ingest_cpu_s": ingest_cpu_s,
            "chunks": report.chunks, "units": units, "texts": report.chunks + units,
            "warm_s": warm_s, "directory_s": directory_s, **result}


def child_starter(corpus: Path, data: Path, host: str | None, port: int,
                  rounds: int) -> dict[str, Any]:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.chroma import ChromaVectorStore

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if host:
        client: Any = chromadb.HttpClient(host=host, port=port, settings=chroma_settings)
    else:
        client = chromadb.PersistentClient(path=str(data / "chroma"), settings=chroma_settings)
    start = time.perf_counter()
    embed = HuggingFaceEmbedding(model_name=str(MODEL_DIR), query_instruction="query: ",
                                 text_instruction="passage: ", device="cpu")
    model_s = time.perf_counter() - start
    start = time.perf_counter()
    documents = SimpleDirectoryReader(str(corpus), required_exts=[".txt"]).load_data()
    collection = client.get_or_create_collection("starter")
    storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(
        chroma_collection=collection))
    index = VectorStoreIndex.from_documents(documents, storage_context=storage,
                                            embed_model=embed)
    ingest_s = time.perf_counter() - start
    chunks = collection.count()
    retriever = index.as_retriever(similarity_top_k=5)

    def ask(item: dict[str, Any]) -> dict[str, Any]:
        nodes = retriever.retrieve(item["q"])
        return {"answer": nodes[0].get_content() if nodes else "", "abstained": False,
                "sources": [{"title": n.metadata.get("file_name", ""),
                             "source": n.metadata.get("file_name", ""),
                             "text": n.get_content(), "score": n.score} for n in nodes]}

    result = timed_rounds(ask, load_questions(), rounds)
    return {"model_s": model_s, "ingest_s": ingest_s, "chunks": chunks, "texts": chunks,
            "warm_s": 0.0, "directory_s": 0.0, **result}


def child_main(args: argparse.Namespace) -> int:
    runner = child_ours if args.child == "ours" else child_starter
    result = runner(Path(args.corpus), Path(args.data), args.host, args.port, args.rounds)
    Path(args.out).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


# ---------------------------------------------------------------------------- parent
def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "TOKENIZERS_PARALLELISM": "false", "ANONYMIZED_TELEMETRY": "False",
                "PYTHONDONTWRITEBYTECODE": "1", "GRADIO_ANALYTICS_ENABLED": "False"})
    return env


def run_child(pipeline: str, corpus: Path, work: Path, rounds: int, timeout: float,
              server: tuple[str, int] | None) -> dict[str, Any]:
    """One pipeline on one corpus in a fresh process; figures + wall time + peak RSS."""
    data = work / f"data-{pipeline}"
    out = work / f"{pipeline}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", pipeline,
           "--corpus", str(corpus), "--data", str(data), "--out", str(out),
           "--rounds", str(rounds)]
    if server:
        cmd += ["--host", server[0], "--port", str(server[1])]
    load_before = loadavg()
    with open(work / f"{pipeline}.log", "wb") as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=child_env(), cwd=PROJECT_ROOT)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code or not out.is_file():
        tail = (work / f"{pipeline}.log").read_text(encoding="utf-8", errors="replace")[-2500:]
        print(f"  {pipeline} failed (exit {code}):\n{tail}", file=sys.stderr)
        return {"failed": code}
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    result.update(wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime,
                  peak_rss_mb=usage.ru_maxrss / 1024, load_before=load_before,
                  load_after=loadavg())
    timed = result.pop("timed_ms")
    result.update(p50_ms=statistics.median(timed), p95_ms=percentile(timed, 95),
                  asks=len(timed), chunks_per_s=result["chunks"] / result["ingest_s"],
                  texts_per_s=result["texts"] / result["ingest_s"])
    result["quality"] = score(result.pop("answers"))
    return result


def score(answers: list[dict[str, Any]]) -> dict[str, Any]:
    sys.path.insert(0, str(SHARED_EVAL))
    try:
        import score as scorer  # ../shared/eval/score.py (imports its textnorm)
    finally:
        sys.path.pop(0)
    summary: dict[str, Any] = scorer.summary(scorer.score(load_questions(), answers, 5))
    return summary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


class ChromaServer:
    """``chroma run`` on loopback for the server-mode figures."""

    def __init__(self, path: Path, log: Path) -> None:
        self.port = free_port()
        chroma = Path(sys.executable).parent / "chroma"
        self._log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [str(chroma), "run", "--path", str(path), "--port", str(self.port),
             "--host", "127.0.0.1"], stdout=self._log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, env=child_env())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("chroma server did not start in 60 s")

    def stop(self) -> float | None:
        peak = vm_hwm_mb(self.proc.pid)
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
        return peak


def run_scale(scale: int, pipelines: list[str], tmp: Path, args: argparse.Namespace,
              server: bool) -> dict[str, Any]:
    label = f"x{scale}" + (" server" if server else "")
    work = tmp / label.replace(" ", "-")
    work.mkdir()
    corpus = tmp / f"corpus-x{scale}"
    if not corpus.is_dir():
        start = time.perf_counter()
        size = make_corpus(PROJECT_ROOT / "corpus", corpus, scale, args.seed)
        print(f"corpus x{scale}: {size['documents']} documents, {size['bytes'] / 1e6:.2f} MB "
              f"(generated in {time.perf_counter() - start:.1f} s)", flush=True)
    size = {"documents": len(list(corpus.glob("*.txt"))),
            "bytes": sum(p.stat().st_size for p in corpus.glob("*.txt"))}
    results: dict[str, Any] = {"scale": scale, "server": server, "corpus": size}
    for pipeline in pipelines:
        chroma = ChromaServer(work / f"chroma-{pipeline}", work / f"chroma-{pipeline}.log") \
            if server else None
        print(f"{label} {pipeline} ... (load average {loadavg()})", flush=True)
        try:
            res = run_child(pipeline, corpus, work, args.rounds, args.timeout,
                            ("127.0.0.1", chroma.port) if chroma else None)
        finally:
            if chroma:
                server_peak = chroma.stop()
        if chroma:
            res["server_peak_rss_mb"] = server_peak
        results[pipeline] = res
        if "failed" not in res:
            print(f"  {pipeline}: {res['chunks']} chunks in {res['ingest_s']:.1f} s "
                  f"(CPU {fmt(res.get('ingest_cpu_s'))} s) "
                  f"({res['chunks_per_s']:.1f} chunks/s), p50 {res['p50_ms']:.0f} ms, "
                  f"p95 {res['p95_ms']:.0f} ms, peak RSS {res['peak_rss_mb']:.0f} MB",
                  flush=True)
    return results


# ---------------------------------------------------------------------------- report
def fmt(value: Any, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def verdict(value: float | None, target: float, higher_is_better: bool = False) -> str:
    if value is None:
        return ""
    met = value >= target if higher_is_better else value <= target
    return "ok" if met else "MISSED"


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


def report(runs: list[dict[str, Any]], pipelines: list[str]) -> None:
    x1 = next((r for r in runs if r["scale"] == 1 and not r["server"]), None)
    if x1:
        rows = []
        for key, name in [("answer_accuracy", "answer accuracy"), ("retrieval_hit@k", "hit@5"),
                          ("mrr", "MRR"), ("abstain_correct", "abstention (unanswerable)"),
                          ("false_abstain", "false abstention"),
                          ("median_answer_chars", "median answer length (chars)")]:
            rows.append([name, *(fmt(x1[p]["quality"].get(key), "", 3)
                                 if "quality" in x1.get(p, {})
                                 else "n/a" for p in pipelines)])
        print_table("Quality on ../shared/eval/dev.jsonl (x1)", ["figure", *pipelines], rows)

    rows = []
    for run in runs:
        for p in pipelines:
            res = run.get(p) or {}
            if "chunks" not in res:
                continue
            scale, label = run["scale"], f"x{run['scale']}" + (" server" if run["server"] else "")
            target_cps = verdict(res["chunks_per_s"], TARGET_CHUNKS_PER_S, True) \
                if scale == 1000 else ""
            target_p = verdict(res["p95_ms"], TARGET_P95_MS) if scale == 1000 else \
                verdict(res["p50_ms"], TARGET_X1_P50_MS) if scale == 1 else ""
            rss = fmt(res["peak_rss_mb"], "", 0)
            if res.get("server_peak_rss_mb"):
                rss += f" (+server {res['server_peak_rss_mb']:.0f})"
            rows.append([
                label, p, f"{run['corpus']['bytes'] / 1e6:.2f}", str(res["chunks"]),
                str(res.get("units", "")), fmt(res["model_s"]), fmt(res["ingest_s"]),
                fmt(res.get("ingest_cpu_s")),
                fmt(res["chunks_per_s"]) + (f" {target_cps}" if target_cps else ""),
                fmt(res["texts_per_s"]), fmt(res["warm_s"] + res["directory_s"]),
                fmt(res["cold_ms"], "", 0), fmt(res["p50_ms"], "", 0),
                fmt(res["p95_ms"], "", 0) + (f" {target_p}" if target_p else ""), rss,
                fmt(res["quality"]["answer_accuracy"], "", 3),
                fmt(res["quality"]["retrieval_hit@k"], "", 3),
                f"{res['load_before'][0] if res['load_before'] else ''}",
            ])
    print_table("Scale (ingestion excludes model load; latency after 3 warm-up questions)",
                ["corpus", "pipeline", "MB", "chunks", "units", "model s", "ingest s",
                 "ingest CPU s", "chunks/s", "texts/s", "index load s", "cold ms", "p50 ms",
                 "p95 ms", "peak RSS MB", "acc", "hit@5", "load"], rows)
    print(f"targets: x1000 >= {TARGET_CHUNKS_PER_S:g} chunks/s and p95 <= {TARGET_P95_MS:g} ms;"
          f" x1 p50 <= {TARGET_X1_P50_MS:g} ms ('load' = 1-min load average before the run)")

    embedded = sorted((r for r in runs if not r["server"]), key=lambda r: r["scale"])
    if len(embedded) >= 2:
        rows = []
        small = embedded[0]
        for big in embedded[1:]:
            factor = big["scale"] / small["scale"]
            for p in pipelines:
                a, b = small.get(p) or {}, big.get(p) or {}
                if "chunks" not in a or "chunks" not in b:
                    continue
                rows.append([f"x{small['scale']} -> x{big['scale']} (size x{factor:g})", p,
                             f"x{b['ingest_s'] / a['ingest_s']:.1f}",
                             f"x{b['chunks_per_s'] / a['chunks_per_s']:.2f}",
                             f"x{b['p50_ms'] / a['p50_ms']:.2f}",
                             f"x{b['p95_ms'] / a['p95_ms']:.2f}",
                             f"x{b['peak_rss_mb'] / a['peak_rss_mb']:.2f}"])
        if rows:
            print_table("Growth", ["step", "pipeline", "ingest time", "chunks/s", "p50", "p95",
                                   "peak RSS"], rows)

    largest = embedded[-1] if embedded else None
    if largest and largest["scale"] < 1000:
        rows = []
        factor = 1000 / largest["scale"]
        for p in pipelines:
            res = largest.get(p) or {}
            if "chunks" not in res:
                continue
            est_s = res["ingest_s"] * factor
            est = f"{est_s:.0f} s ({est_s / 60:.0f} min)"
            rows.append([p, f"{res['chunks'] * factor:.0f}", est,
                         f"{res['chunks_per_s']:.1f} "
                         + verdict(res["chunks_per_s"], TARGET_CHUNKS_PER_S, True)])
        print_table(f"x1000 EXTRAPOLATED from x{largest['scale']} (linear in corpus size; "
                    "not measured)", ["pipeline", "chunks", "ingestion time", "chunks/s"], rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="1,100",
                        help="comma-separated corpus multiples, embedded store (default 1,100)")
    parser.add_argument("--server-scale", type=int, default=100,
                        help="multiple run against a `chroma run` server (0: none)")
    parser.add_argument("--pipelines", default="ours,starter")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds over dev.jsonl")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--timeout", type=float, default=4 * 3600,
                        help="seconds before a child is killed")
    parser.add_argument("--tmp", type=Path, help="parent of the temporary folder (default /tmp)")
    # internal: one pipeline in a child process
    parser.add_argument("--child", choices=["ours", "starter"], help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--host", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=8000, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child_main(args)

    scales = [int(s) for s in args.scales.split(",") if s.strip()]
    pipelines = [p.strip() for p in args.pipelines.split(",") if p.strip()]
    model = os.environ.get("ASSISTANT_EMBEDDING_MODEL", "multilingual-e5-small")
    if model != "multilingual-e5-small" and "starter" in pipelines:
        print(f"ASSISTANT_EMBEDDING_MODEL={model}: ours only (the starter keeps the real model)")
        pipelines.remove("starter")
    tmp = Path(tempfile.mkdtemp(prefix="assistant-scale-", dir=args.tmp))
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    machine = {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu, "ram_gb": round(mem, 1),
               "python": platform.python_version(), "date": time.strftime("%Y-%m-%d %H:%M"),
               "embedding_model": model}
    print(f"scale bench: {machine}; scales {scales}, server x{args.server_scale}, "
          f"pipelines {pipelines}, {args.rounds} rounds, seed {args.seed}, tmp {tmp}")
    runs: list[dict[str, Any]] = []
    try:
        for scale in scales:
            runs.append(run_scale(scale, pipelines, tmp, args, server=False))
        if args.server_scale:
            runs.append(run_scale(args.server_scale, pipelines, tmp, args, server=True))
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"kept {tmp}")
    report(runs, pipelines)
    print(f"\nmachine: {machine}; load average at the end {loadavg()}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine, "runs": runs}, ensure_ascii=False,
                                        indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
