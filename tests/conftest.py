"""Shared fixtures: a private copy of the corpus, a fake-encoder service, a real-model service."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant.core.settings import PROJECT_ROOT, Settings  # noqa: E402
from assistant.service.assistant_service import AssistantService  # noqa: E402

CORPUS = PROJECT_ROOT / "corpus"
SHARED_EVAL = PROJECT_ROOT.parent / "shared" / "eval"
QUESTIONS = Path(__file__).parent / "questions.jsonl"


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A private copy of the project corpus, free to damage."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


# The engine's abstention threshold is fitted on the real model's similarities
# (bench/fit_answer_model.py); the fake encoder's are on another scale, so with it every
# answer would fall under the threshold. Tests on the fake encoder check the pipeline, not
# the engine's quality (tests/test_quality.py does, with the real model): they switch it off.
FAKE_ENGINE = {"embedding_model": "fake", "disabled_checks": ["abstain_threshold"]}


def make_settings(corpus: Path, data: Path, **overrides: object) -> Settings:
    if overrides.get("embedding_model") == "fake":
        overrides = {**FAKE_ENGINE, **overrides}
    return Settings(corpus_dir=corpus, data_dir=data, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def fake_settings(corpus_dir: Path, tmp_path: Path) -> Settings:
    return make_settings(corpus_dir, tmp_path / "data", embedding_model="fake")


@pytest.fixture
def fake_service(fake_settings: Settings) -> AssistantService:
    """The real pipeline with the deterministic fake encoder, registered by name."""
    return AssistantService(fake_settings)


@pytest.fixture(scope="session")
def real_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AssistantService]:
    """The real offline model over a real embedded Chroma, ingested once per test session."""
    base = tmp_path_factory.mktemp("real")
    corpus = base / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = make_settings(corpus, base / "data")
    service = AssistantService(settings)
    service.ingest()
    yield service


def load_jsonl(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


# ----------------------------------------------------------------------------------------------
# Appended for test_ingest.py, test_cli.py and test_server.py (the fixtures above are unchanged).

import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from collections.abc import Callable  # noqa: E402

CliRunner = Callable[..., "subprocess.CompletedProcess[str]"]


def free_tcp_port() -> int:
    """A loopback port nothing listens on (the OS picks it, then it is released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli_env(corpus: Path, data: Path, **extra: str) -> dict[str, str]:
    """Environment for a CLI subprocess: private folders, the fake encoder, no hub access."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_CORPUS_DIR=str(corpus),
        ASSISTANT_DATA_DIR=str(data),
        ASSISTANT_EMBEDDING_MODEL="fake",
        ASSISTANT_DISABLED_CHECKS="abstain_threshold",  # see FAKE_ENGINE
        HF_HUB_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
        TOKENIZERS_PARALLELISM="false",
        # This checkout's code: the shared virtualenv's editable install may point at another.
        PYTHONPATH=os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]
                                   ).rstrip(os.pathsep),
    )
    env.update(extra)
    return env


@pytest.fixture(scope="session")
def run_cli(tmp_path_factory: pytest.TempPathFactory) -> CliRunner:
    """Run ``python -m assistant.cli ARGS`` in a neutral folder (no stray .env) and capture it."""
    cwd = tmp_path_factory.mktemp("cli-cwd")

    def run(args: list[str], env: dict[str, str], timeout: float = 180,
            python_code: str | None = None) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", python_code] if python_code else [
            sys.executable, "-m", "assistant.cli", *args
        ]
        return subprocess.run(
            command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout,
            check=False,
        )

    return run


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real ``chroma run`` on loopback for the session; yields its port, always stopped."""
    base = tmp_path_factory.mktemp("chroma-server")
    port = free_tcp_port()
    process = start_chroma(base / "db", port, base / "server.log")
    try:
        yield port
    finally:
        stop_process(process)


def start_chroma(path: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    """`chroma run` on loopback over ``path``, returned once it answers its heartbeat."""
    chroma = Path(sys.executable).with_name("chroma")  # the venv's console script
    if not chroma.exists():
        pytest.fail(f"chroma executable not found next to {sys.executable}")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with open(log_path, "ab") as log:  # appended: a test may restart the same server
        process = subprocess.Popen(
            [str(chroma), "run", "--path", str(path), "--port", str(port),
             "--host", "127.0.0.1"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=path.parent,
            env=env,
        )
    url = f"http://127.0.0.1:{port}/api/v2/heartbeat"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            pytest.fail(f"chroma server exited with {process.returncode}:\n{tail}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_process(process)
            tail = log_path.read_text(errors="replace")[-2000:]
            pytest.fail(f"chroma server gave no heartbeat on port {port} in 60 s:\n{tail}")
        time.sleep(0.25)


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it does not stop within 15 s."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def ingested_copy(tmp_path_factory: pytest.TempPathFactory, name: str) -> Settings:
    """Settings of a copy of corpus/ ingested once with the fake encoder (module fixtures)."""
    base = tmp_path_factory.mktemp(name)
    shutil.copytree(CORPUS, base / "corpus")
    settings = make_settings(base / "corpus", base / "data", embedding_model="fake")
    AssistantService(settings).ingest()
    return settings


from llamacpp_server import LlamaCppProcess, packaged_model  # noqa: E402


@pytest.fixture(scope="session")
def llamacpp_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaCppProcess]:
    """The real llama.cpp server (``assistant llm serve``, Gemma 3 270M, 1 thread) on a free
    loopback port for the session (tests/llamacpp_server.py); always stopped."""
    model = packaged_model()
    server = LlamaCppProcess(model, free_tcp_port(),
                             tmp_path_factory.mktemp("llamacpp") / "server.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def ingested_service(tmp_path_factory: pytest.TempPathFactory) -> AssistantService:
    """The real pipeline over a copy of corpus/ ingested once per test module with the fake
    encoder, for tests that only read the index (one that changes the corpus or the index
    takes ``fake_service`` instead): an ingestion is most of such a test's time."""
    return AssistantService(ingested_copy(tmp_path_factory, "ingested"))
