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

from assistant.service import AssistantService  # noqa: E402
from assistant.settings import PROJECT_ROOT, Settings  # noqa: E402

CORPUS = PROJECT_ROOT / "corpus"
SHARED_EVAL = PROJECT_ROOT.parent / "shared" / "eval"
QUESTIONS = Path(__file__).parent / "questions.jsonl"


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    """A private copy of the project corpus, free to damage."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


def make_settings(corpus: Path, data: Path, **overrides: object) -> Settings:
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
