"""Tests for the ONNX Runtime engine of the default embedding model (embeddings/onnx_encoder.py).

Real-model tests use the project's export when set-up built it (scripts/setup.sh, which
scripts/test.sh runs), else export a private copy (a minute or so)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before any Hugging Face import

from embeddings import onnx_encoder as ox  # noqa: E402
from embeddings import provider  # noqa: E402
from embeddings.base import (
    DEFAULT_MODEL,
    E5_PASSAGE_PROMPT,
    E5_QUERY_PROMPT,
    EmbeddingModelError,
    TextEncoder,
)
from embeddings.provider import load_encoder
from embeddings.torch_encoder import SentenceTransformerEncoder

FRENCH = [
    "Le syndicat défend les droits des travailleurs.",
    "Quelle est la mission de Solidarité Mondiale en Afrique ?",
    "L'été dernier, nous avons créé un réseau de coopératives à Kinshasa — ½ « œuvre » naïve.",
    "WSM soutient des mouvements sociaux en Afrique, en Asie et en Amérique latine. " * 12,
]
ENGLISH = [
    "The trade union defends workers' rights.",
    "How does the network support social movements worldwide?",
    "Apple pie recipes usually need butter and sugar.",
    "",
]
FP32_FLOOR = 0.9999  # measured 1.000000 on every chunk and unit of the corpus
INT8_FLOOR = 0.995  # measured min 0.998 on the corpus


def _cos_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray((a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1))


# ------------------------------------------------------------- real model


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A materialised e5 folder with its ONNX export (fp32 and int8) beside it."""
    from assistant.core.settings import Settings
    from embeddings import materialise as mat

    project = Settings().models_dir / DEFAULT_MODEL
    if ox.is_exported(project) and ox.is_exported(project, int8=True):
        return project
    folder = mat.materialise_e5_small(tmp_path_factory.mktemp("models") / DEFAULT_MODEL)
    ox.export_onnx(folder, int8=True)
    return folder


@pytest.fixture(scope="session")
def torch_encoder(exported: Path) -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(str(exported), query_prompt=E5_QUERY_PROMPT,
                                      passage_prompt=E5_PASSAGE_PROMPT, name=DEFAULT_MODEL)


@pytest.fixture(scope="session", params=[False, True], ids=["fp32", "int8"])
def onnx_case(request: pytest.FixtureRequest, exported: Path) -> tuple[ox.OnnxEncoder, float]:
    int8 = bool(request.param)
    encoder = ox.OnnxEncoder(exported, ox.onnx_file(exported, int8=int8), name=DEFAULT_MODEL,
                             query_threads=1, threads=2)
    return encoder, INT8_FLOOR if int8 else FP32_FLOOR


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("role", ["query", "passage"])
def test_agrees_with_torch(onnx_case: tuple[ox.OnnxEncoder, float],
                           torch_encoder: SentenceTransformerEncoder, role: str) -> None:
    encoder, floor = onnx_case
    texts = FRENCH + ENGLISH
    if role == "query":
        ours, reference = encoder.encode_queries(texts), torch_encoder.encode_queries(texts)
    else:
        ours, reference = encoder.encode_passages(texts), torch_encoder.encode_passages(texts)
    assert ours.shape == (len(texts), 384) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    agreement = _cos_rows(ours, reference)
    assert agreement.min() >= floor, agreement


@pytest.mark.integration
@pytest.mark.slow
def test_batching_does_not_change_fp32_vectors(exported: Path) -> None:
    """One text at a time, or all together in length-sorted batches on two workers."""
    encoder = ox.OnnxEncoder(exported, ox.onnx_file(exported), threads=2)
    texts = FRENCH + ENGLISH
    together = encoder.encode_passages(texts)
    alone = np.vstack([encoder.encode_passages([t]) for t in texts])
    assert _cos_rows(together, alone).min() >= 0.99999


@pytest.mark.integration
@pytest.mark.slow
def test_tokens_match_sentence_transformers(exported: Path,
                                            torch_encoder: SentenceTransformerEncoder) -> None:
    model: Any = torch_encoder._model
    texts = [E5_PASSAGE_PROMPT + t for t in FRENCH + ENGLISH]
    tokenizer = ox._load_tokenizer(ox.onnx_dir(exported) / ox.TOKENIZER_FILE, 512)
    ours = tokenizer.encode_batch(texts + [t + " \n" for t in texts])
    theirs = model.preprocess(texts + [t + " \n" for t in texts])
    for i, encoding in enumerate(ours):
        width = int(theirs["attention_mask"][i].sum())
        assert encoding.ids == theirs["input_ids"][i][:width].tolist()


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("role", ["query", "passage"])
def test_cross_lingual_ranking(onnx_case: tuple[ox.OnnxEncoder, float], role: str) -> None:
    encoder, _ = onnx_case
    texts = ["Le syndicat défend les droits des travailleurs.",
             "The trade union defends workers' rights.",
             "La recette de la tarte aux pommes demande du beurre.",
             "The apple pie recipe requires butter."]
    vectors = (encoder.encode_queries if role == "query" else encoder.encode_passages)(texts)
    sims = vectors @ vectors.T
    pair = float(sims[0, 1])
    assert pair >= 0.88
    for i in (0, 1):  # each side of the pair is closer to its translation than to unrelated
        assert pair > float(sims[i, 2:].max()) + 0.02, sims
    # A French question finds the English passage that answers it, and the other way round.
    passages = encoder.encode_passages(
        ["WSM supports social movements that defend workers' rights in Africa and Asia.",
         "Apple pie recipes usually need butter and sugar.",
         "Le MOC organise des formations en éducation permanente à Bruxelles."])
    queries = encoder.encode_queries(["Qui défend les droits des travailleurs en Afrique ?",
                                      "Where are lifelong education courses organised?"])
    assert (queries @ passages.T).argmax(axis=1).tolist() == [0, 2]


@pytest.mark.integration
@pytest.mark.slow
def test_load_encoder_picks_onnx(exported: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default engine is ONNX int8; a question runs on the calling thread
    (query_threads=1)."""
    monkeypatch.delenv(provider.ENGINE_ENV, raising=False)
    encoder = load_encoder(DEFAULT_MODEL, exported.parent, query_threads=1)
    assert isinstance(encoder, ox.OnnxEncoder) and isinstance(encoder, TextEncoder)
    assert encoder.path.name == ox.INT8_FILE
    assert encoder.name == DEFAULT_MODEL and encoder.dimension == 384

    def no_pool() -> Any:
        raise AssertionError("a question must not use the worker pool")

    monkeypatch.setattr(encoder, "_executor", no_pool)
    assert encoder.encode_queries(["Quand WSM a-t-elle été fondée ?", "Who is AID?"]).shape == (
        2, 384)
    fp32 = load_encoder(DEFAULT_MODEL, exported.parent, engine="onnx")
    assert isinstance(fp32, ox.OnnxEncoder) and fp32.path.name == ox.FP32_FILE
    assert fp32.encode_passages([]).shape == (0, 384)


# ------------------------------------------------------------ no model


def test_missing_export_falls_back_to_torch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / DEFAULT_MODEL
    folder.mkdir()
    (folder / "PROVENANCE.json").write_text("{}", encoding="utf-8")
    built: list[str] = []

    class StubTorch:
        def __init__(self, path: str, **kwargs: Any) -> None:
            built.append(path)

    monkeypatch.setattr(provider, "_materialise_default", lambda models_dir: folder)
    monkeypatch.setattr(provider, "SentenceTransformerEncoder", StubTorch)
    monkeypatch.delenv(provider.ENGINE_ENV, raising=False)
    with caplog.at_level(logging.WARNING):
        encoder = load_encoder(DEFAULT_MODEL, tmp_path)
    assert isinstance(encoder, StubTorch) and built == [str(folder)]
    assert "using torch instead" in caplog.text and ox.FP32_FILE in caplog.text

    # A stale export (the folder was rebuilt since) is not used either.
    target = ox.onnx_dir(folder)
    target.mkdir()
    (target / ox.FP32_FILE).write_bytes(b"not a model")
    (target / ox.TOKENIZER_FILE).write_text("{}", encoding="utf-8")
    stamp = {"version": ox._EXPORT_VERSION, "source": "an older build",
             "files": [ox.TOKENIZER_FILE, ox.FP32_FILE]}
    (target / ox.STAMP_NAME).write_text(json.dumps(stamp), encoding="utf-8")
    assert not ox.is_exported(folder)
    stamp["source"] = ox._source_id(folder)
    (target / ox.STAMP_NAME).write_text(json.dumps(stamp), encoding="utf-8")
    assert ox.is_exported(folder) and not ox.is_exported(folder, int8=True)
    caplog.clear()
    with caplog.at_level(logging.WARNING):  # present but unloadable: torch, with a warning
        assert isinstance(load_encoder(DEFAULT_MODEL, tmp_path, engine="onnx"), StubTorch)
    assert "cannot load ONNX embedding model" in caplog.text
    # int8 asked for and missing: the float32 export is tried next, then torch.
    tried: list[bool] = []
    monkeypatch.setattr(ox, "load_onnx_encoder",
                        lambda folder, *, int8, **kwargs: tried.append(int8))
    assert isinstance(load_encoder(DEFAULT_MODEL, tmp_path, engine="onnx-int8"), StubTorch)
    assert tried == [True, False]
    # torch asked for by name: no ONNX attempt, no warning.
    caplog.clear()
    monkeypatch.setenv(provider.ENGINE_ENV, "torch")
    assert isinstance(load_encoder(DEFAULT_MODEL, tmp_path), StubTorch)
    assert caplog.text == ""


def test_engine_names(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.core.settings import Settings

    monkeypatch.delenv(provider.ENGINE_ENV, raising=False)
    assert provider.resolve_engine(None) == "onnx-int8" == Settings().embedding_engine
    monkeypatch.setenv(provider.ENGINE_ENV, "onnx")
    assert provider.resolve_engine(None) == "onnx" == Settings().embedding_engine
    assert provider.resolve_engine("torch") == "torch"  # an explicit choice wins
    with pytest.raises(EmbeddingModelError, match="unknown embedding engine"):
        provider.resolve_engine("tensorrt")
    monkeypatch.setenv(provider.ENGINE_ENV, "tensorrt")
    with pytest.raises(ValueError):
        Settings()


def test_length_batches() -> None:
    lengths = [30, 300, 8, 31, 120, 29, 9, 500, 64]
    batches = ox.length_batches(lengths, budget=128)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        longest = max(lengths[i] for i in batch)
        assert len(batch) == 1 or len(batch) * longest <= 128
    flat = [lengths[i] for b in batches for i in b]
    assert flat == sorted(flat)  # shortest first, so each batch holds similar lengths
    assert ox.length_batches([], budget=128) == []


class _FakeTokenizer:
    """One token per character, between <s> (0) and </s> (2)."""

    def encode_batch(self, texts: list[str]) -> list[Any]:
        class Encoding:
            def __init__(self, text: str) -> None:
                self.ids = [0] + [ord(c) % 50 + 5 for c in text] + [2]
                self.offsets = [(0, 0)] + [(i, i + 1) for i in range(len(text))] + [(0, 0)]

        return [Encoding(t) for t in texts]


class _FakeSession:
    """Row i of the sentence output: (number of real tokens, sum of ids), then zeros; the
    state of a token: (1, its id), then zeros."""

    def __init__(self) -> None:
        self.batches: list[tuple[int, int]] = []

    def get_outputs(self) -> list[Any]:
        class Output:
            shape = ["batch", 8]

        return [Output()]

    def run(self, names: Any, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        ids, mask = feeds["input_ids"], feeds["attention_mask"]
        self.batches.append(ids.shape)
        out = np.zeros((len(ids), 8), dtype=np.float32)
        out[:, 0] = mask.sum(1)
        out[:, 1] = (ids * mask).sum(1)
        states = np.zeros((*ids.shape, 8), dtype=np.float32)
        states[..., 0] = 1.0
        states[..., 1] = ids
        return [out, states] if names == [ox.SENTENCE_OUTPUT, ox.TOKENS_OUTPUT] else [out]


def _encoder_on_fakes(tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch) -> tuple[ox.OnnxEncoder, _FakeSession]:
    """An encoder on the fake session and tokenizer, two workers, batches of 64 tokens."""
    session = _FakeSession()
    monkeypatch.setattr(ox, "_session", lambda path: session)
    monkeypatch.setattr(ox, "_load_tokenizer", lambda path, max_length: _FakeTokenizer())
    encoder = ox.OnnxEncoder(tmp_path, tmp_path / "model.onnx", threads=2, batch_tokens=64)
    return encoder, session


def test_encoder_reassembles_batches_in_order(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    encoder, session = _encoder_on_fakes(tmp_path, monkeypatch)
    texts = ["a" * n for n in (40, 3, 17, 3, 90, 25, 0, 8)]
    vectors = encoder.encode_passages(texts)
    prefixed = [E5_PASSAGE_PROMPT + t for t in texts]
    expected = np.array([[len(t) + 2, sum(ord(c) % 50 + 5 for c in t) + 2] for t in prefixed],
                        dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(vectors[:, :2], expected, rtol=1e-6)
    assert len(session.batches) > 2
    assert all(b * n <= 64 or b == 1 for b, n in session.batches)
    assert encoder.encode_queries([]).shape == (0, 8)


def test_span_vectors_are_pooled_from_their_own_text(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    encoder, session = _encoder_on_fakes(tmp_path, monkeypatch)
    texts = ["a" * 40, "xyz", "b" * 20 + "cd", "e" * 90]
    spans = [[(0, 5)], [(0, 1), (1, 3)], [(20, 22)], []]
    vectors, units = encoder.encode_passages_with_spans(texts, spans)
    np.testing.assert_allclose(vectors, encoder.encode_passages(texts), rtol=1e-6)
    assert len(session.batches) > 2  # batches cut and reassembled

    def expected(text: str, start: int, end: int) -> np.ndarray:
        # the span's tokens plus <s> and </s>, as (1, id) states
        covered = [ord(c) % 50 + 5 for c in text[start:end]]
        state = np.zeros(8, dtype=np.float32)
        state[0], state[1] = 1.0, (sum(covered) + 0 + 2) / (len(covered) + 2)
        return state / np.linalg.norm(state)

    want = [expected(t, a, b) for t, own in zip(texts, spans, strict=True) for a, b in own]
    np.testing.assert_allclose(units, np.array(want), rtol=1e-6)


@pytest.mark.integration
@pytest.mark.slow
def test_span_vectors_agree_with_torch(onnx_case: tuple[ox.OnnxEncoder, float],
                                       torch_encoder: SentenceTransformerEncoder) -> None:
    encoder, floor = onnx_case
    texts = [f"Titre\n{FRENCH[0]} {FRENCH[1]}", f"Title\n{ENGLISH[0]} {ENGLISH[1]}"]
    spans = [[(6, 6 + len(FRENCH[0])), (7 + len(FRENCH[0]), len(texts[0]))],
             [(6, 6 + len(ENGLISH[0])), (7 + len(ENGLISH[0]), len(texts[1]))]]
    vectors, units = encoder.encode_passages_with_spans(texts, spans)
    want_vectors, want_units = torch_encoder.encode_passages_with_spans(texts, spans)
    assert _cos_rows(vectors, want_vectors).min() >= floor
    assert _cos_rows(units, want_units).min() >= floor
    alone = torch_encoder.encode_passages([FRENCH[0], FRENCH[1], ENGLISH[0], ENGLISH[1]])
    assert _cos_rows(units, alone).max() < 0.999  # pooled in context, not embedded alone


@pytest.mark.integration
@pytest.mark.slow
def test_span_cut_by_truncation_is_embedded_alone(exported: Path) -> None:
    encoder = ox.OnnxEncoder(exported, ox.onnx_file(exported), name=DEFAULT_MODEL, threads=1)
    long_text = FRENCH[3] * 6 + "Le MOC forme ses militants."  # well over 512 tokens
    start = long_text.index("Le MOC")
    _, units = encoder.encode_passages_with_spans([long_text], [[(0, 20), (start, len(long_text))]])
    alone = encoder.encode_passages([long_text[start:]])
    assert _cos_rows(units[1:], alone)[0] >= FP32_FLOOR
    assert _cos_rows(units[:1], encoder.encode_passages([long_text[:20]]))[0] < 0.999


# ------------------------------------------------------- weights apart


def _tiny_graph(path: Path, seed: int) -> None:
    """y = x @ W, W a 32x32 float matrix (over onnx's 1 KB threshold for external data)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = np.random.default_rng(seed).standard_normal((32, 32)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["y"])], "tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 32])],
        initializer=[numpy_helper.from_array(weights, "W")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save_model(model, str(path))


def _run(path: Path) -> np.ndarray:
    import onnxruntime as ort

    x = np.arange(64, dtype=np.float32).reshape(2, 32) / 64
    return np.asarray(ort.InferenceSession(str(path)).run(None, {"x": x})[0])


def test_export_from_before_gets_its_weights_apart(tmp_path: Path) -> None:
    """Set-up run on an export whose graphs hold their weights rewrites it with the weights
    in files of their own (which ONNX Runtime memory-maps): same outputs, bit for bit, and
    no torch needed."""
    folder = tmp_path / DEFAULT_MODEL
    folder.mkdir()
    (folder / "PROVENANCE.json").write_text("{}", encoding="utf-8")
    target = ox.onnx_dir(folder)
    target.mkdir()
    _tiny_graph(target / ox.FP32_FILE, seed=1)
    _tiny_graph(target / ox.INT8_FILE, seed=2)
    (target / ox.TOKENIZER_FILE).write_text("{}", encoding="utf-8")
    stamp = {"version": ox._EXPORT_VERSION, "source": ox._source_id(folder),
             "files": [ox.TOKENIZER_FILE, ox.FP32_FILE, ox.INT8_FILE]}
    (target / ox.STAMP_NAME).write_text(json.dumps(stamp), encoding="utf-8")
    before = {name: _run(target / name) for name in (ox.FP32_FILE, ox.INT8_FILE)}
    assert ox.is_exported(folder, int8=True) and not ox.has_mapped_weights(folder, int8=True)

    assert ox.export_onnx(folder, int8=True) == target

    for int8, name in ((False, ox.FP32_FILE), (True, ox.INT8_FILE)):
        assert ox.is_exported(folder, int8=int8) and ox.has_mapped_weights(folder, int8=int8)
        assert ox.weights_file(target / name).stat().st_size >= 32 * 32 * 4
        assert (target / name).stat().st_size < 1024  # the graph alone
        np.testing.assert_array_equal(_run(target / name), before[name])
    assert json.loads((target / ox.STAMP_NAME).read_text("utf-8"))["source"] == stamp["source"]
    # A weights file the stamp lists but the folder lacks: not a usable export.
    ox.weights_file(target / ox.INT8_FILE).unlink()
    assert ox.is_exported(folder) and not ox.is_exported(folder, int8=True)
