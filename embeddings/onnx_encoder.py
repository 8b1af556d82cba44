"""multilingual-e5-small on ONNX Runtime: the torch encoder's vectors, in less time.

Set-up exports the materialised sentence-transformers folder once (``python -m
embeddings.onnx_encoder MODEL_DIR``, run by ``scripts/setup.sh``) into a sibling folder
``MODEL_DIR-onnx``:

* ``model.onnx``: float32, mean pooling and L2 normalisation inside the graph, which also
  outputs the token states (ingestion pools each sentence's vector from its passage's).
  Its vectors are the torch encoder's (cosine 1.000000 on every chunk and unit of the corpus).
* ``model-int8.onnx``: the same graph with dynamic int8 weights (per channel) on every
  matrix product but the feed-forward outputs, whose inputs (after GELU) have the widest
  range. Cosine with torch >= 0.998 on the corpus; the default engine (``onnx-int8``).
* each graph's weights in a file of their own beside it (``model.onnx.data``...), which
  ONNX Runtime memory-maps instead of copying them out of the graph (:func:`save_mappable`).

Most of the speed comes from how passages are batched, not from the runtime (torch with
the same batching is within ~10 %): texts are tokenised first, sorted by token count and
cut into batches of at most ``BATCH_TOKENS`` padded tokens (ingestion's batches of 32 texts
sorted by characters were 43 % padding), and the batches run on one worker thread per CPU,
each single-threaded (no intra-op synchronisation; ``bench/RESULTS.md`` for the figures).
Questions run on the calling thread, as the torch encoder's ``query_threads=1``.

The export needs torch and transformers (installed with the project); loading and
encoding need only onnxruntime, tokenizers and numpy.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from embeddings.base import (
    E5_PASSAGE_PROMPT,
    E5_QUERY_PROMPT,
    THREAD_ENV_VARS,
    Span,
    available_cpus,
    fill_missing,
    one_line,
    pool_spans,
    unit_rows,
)

# The export is written and swapped into place as the materialised model is.
from embeddings.materialise import _remove_stale_tmp, _swap_into_place

if TYPE_CHECKING:
    import onnxruntime

logger = logging.getLogger(__name__)
T = TypeVar("T")

FP32_FILE = "model.onnx"
INT8_FILE = "model-int8.onnx"
STAMP_NAME = "EXPORT.json"  # written last: lists the files of a complete export
WEIGHTS_SUFFIX = ".data"  # a graph's weights file: model-int8.onnx -> model-int8.onnx.data
TOKENIZER_FILE = "tokenizer.json"  # the tokenizer sentence-transformers really runs
_EXPORT_VERSION = 3  # 3: the graph also outputs the token states
SENTENCE_OUTPUT = "sentence_embedding"
TOKENS_OUTPUT = "token_embeddings"
_OPSET = 17
BATCH_TOKENS = 256  # padded tokens per batch: 128-512 measured best, 2048 cost 1.7x more
_AGREEMENT_FLOOR = 0.9999  # export self-check: ONNX against torch on padded probe batches
_LOCK_SECONDS = 900.0
_INT8_FLOOR = 0.995  # the agreement the abstention thresholds (calibrated on fp32) allow
# Feed-forward output projections ("layer.N/output/dense"), left in float32 by int8: with
# them quantised too the corpus' worst cosine with torch fell from 0.998 to 0.994.
_FFN_OUTPUT = re.compile(r"layer\.\d+/output/dense/MatMul$")
_PROBES = [
    "passage: Le syndicat défend les droits des travailleurs.",
    "query: Which partners deal with asylum?",
    "passage: L'été dernier, nous avons créé un réseau de coopératives à Kinshasa — "
    "½ « œuvre » naïve. Les partenaires locaux organisent des formations sur la protection "
    "sociale, le travail décent et l'économie sociale et solidaire.",
]


class OnnxExportError(RuntimeError):
    """The ONNX export or its self-check failed."""


# ------------------------------------------------------------------ paths


def onnx_dir(model_dir: Path) -> Path:
    """Where the ONNX files of the sentence-transformers folder ``model_dir`` live."""
    model_dir = Path(model_dir)
    return model_dir.with_name(model_dir.name + "-onnx")


def onnx_file(model_dir: Path, *, int8: bool = False) -> Path:
    return onnx_dir(model_dir) / (INT8_FILE if int8 else FP32_FILE)


def weights_file(graph: Path | str) -> Path:
    """Where the weights of the ONNX graph ``graph`` are kept apart from it."""
    graph = Path(graph)
    return graph.with_name(graph.name + WEIGHTS_SUFFIX)


def _source_id(model_dir: Path) -> str:
    """Identifies the folder's build: PROVENANCE.json (hash of the source weights and build
    time) when it has one, else the weights file's size and mtime; cheap to compute."""
    provenance = model_dir / "PROVENANCE.json"
    if provenance.is_file():
        data = provenance.read_bytes()
    else:
        weights = model_dir / "model.safetensors"
        stat = weights.stat()
        data = f"{weights}:{stat.st_size}:{stat.st_mtime_ns}".encode()
    return hashlib.sha256(data).hexdigest()


def _read_stamp(model_dir: Path) -> dict[str, Any] | None:
    try:
        stamp = json.loads((onnx_dir(model_dir) / STAMP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return stamp if isinstance(stamp, dict) else None


def is_exported(model_dir: Path, *, int8: bool = False) -> bool:
    """True when the ONNX file exists and was exported from this build of ``model_dir``."""
    model_dir = Path(model_dir)
    stamp = _read_stamp(model_dir)
    name = INT8_FILE if int8 else FP32_FILE
    try:
        source = _source_id(model_dir)
    except OSError:
        return False
    # Exports from before the weights were kept apart list no weights file; still valid.
    listed = [n for n in (name, TOKENIZER_FILE, weights_file(name).name)
              if stamp is not None and n in stamp.get("files", [])]
    return (
        stamp is not None
        and stamp.get("version") == _EXPORT_VERSION
        and stamp.get("source") == source
        and {name, TOKENIZER_FILE} <= set(listed)
        and all((onnx_dir(model_dir) / n).is_file() for n in listed)
    )


def has_mapped_weights(model_dir: Path, *, int8: bool = False) -> bool:
    """True when the export keeps this graph's weights in a file of their own."""
    stamp = _read_stamp(Path(model_dir)) or {}
    name = weights_file(INT8_FILE if int8 else FP32_FILE).name
    return name in stamp.get("files", []) and (onnx_dir(model_dir) / name).is_file()


# ----------------------------------------------------------------- export


def _export_fp32(model_dir: Path, target: Path) -> None:
    """torch.onnx (TorchScript exporter): BertModel + mean pooling + L2 normalisation."""
    import torch
    from transformers import AutoModel

    class Pooled(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor,
                    attention_mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            # The token states too: ingestion pools each sentence's vector from them.
            return torch.nn.functional.normalize(mean, p=2.0, dim=1), hidden

    # Eager attention: the exporter's graph is then the one ORT fuses best. The example
    # batch is padded so the traced graph keeps the attention mask.
    bert = AutoModel.from_pretrained(
        str(model_dir), add_pooling_layer=False, attn_implementation="eager",
        local_files_only=True,
    ).eval()
    ids = torch.tensor([[0, 100, 200, 300, 2], [0, 100, 2, 1, 1]])
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent branches
        torch.onnx.export(
            Pooled(bert).eval(), (ids, mask), str(target), dynamo=False,
            input_names=["input_ids", "attention_mask"],
            output_names=[SENTENCE_OUTPUT, TOKENS_OUTPUT], opset_version=_OPSET,
            dynamic_axes={"input_ids": axes, "attention_mask": axes,
                          SENTENCE_OUTPUT: {0: "batch"}, TOKENS_OUTPUT: axes},
        )


def _quantise_int8(source: Path, target: Path) -> None:
    """Dynamic int8 weights (per channel) on every MatMul but the feed-forward outputs."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source), load_external_data=False).graph
    matmuls = [node.name for node in graph.node if node.op_type == "MatMul"]
    keep_float = [name for name in matmuls if _FFN_OUTPUT.search(name)]
    if not keep_float:
        raise OnnxExportError("no feed-forward output MatMul found to keep in float32")
    root = logging.getLogger()
    was_disabled, root.disabled = root.disabled, True  # a pre-processing hint on the root
    try:
        quantize_dynamic(
            str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
            op_types_to_quantize=["MatMul"], nodes_to_exclude=keep_float,
            extra_options={"MatMulConstBOnly": True},
        )
    finally:
        root.disabled = was_disabled


def save_mappable(source: Path, target: Path) -> None:
    """Write the graph ``source`` as ``target`` with its weights apart in
    :func:`weights_file` (``target`` may be ``source``). ONNX Runtime memory-maps such a
    file instead of parsing the weights out of the graph and copying them, which held the
    384 MB float32 word-embedding table twice: the int8 session starts in 0.12 s at
    +58 MB instead of 0.87 s at +800 MB (peak), with the same vectors, bit for bit
    (bench/RESULTS.md, 2026-12-06)."""
    import onnx

    model = onnx.load(str(source))  # weights included, before anything is overwritten
    weights = weights_file(target)
    weights.unlink(missing_ok=True)  # onnx appends to an existing weights file
    onnx.save_model(model, str(target), save_as_external_data=True,
                    all_tensors_to_one_file=True, location=weights.name, size_threshold=1024)


def _save_tokenizer(model_dir: Path, target: Path) -> None:
    """The folder's tokenizer as transformers builds it for sentence-transformers. Not the
    folder's tokenizer.json as is: transformers 5 rebuilds XLM-R's pre-tokeniser (it drops
    trailing whitespace that the file's would keep as a token)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    tokenizer.backend_tokenizer.save(str(target))


def _torch_reference(model_dir: Path,
                     tokenizer_path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A padded probe batch (ids, mask) and the torch model's mean-pooled unit vectors."""
    import torch
    from transformers import AutoModel

    tokenizer = _load_tokenizer(tokenizer_path, _max_seq_length(model_dir))
    ids, mask = _pad([e.ids for e in tokenizer.encode_batch(_PROBES)], _pad_id(model_dir))
    bert = AutoModel.from_pretrained(str(model_dir), add_pooling_layer=False,
                                     local_files_only=True).eval()
    with torch.inference_mode():
        hidden = bert(input_ids=torch.from_numpy(ids),
                      attention_mask=torch.from_numpy(mask)).last_hidden_state.numpy()
    weights = mask[..., None].astype(np.float32)
    return ids, mask, unit_rows((hidden * weights).sum(1) / weights.sum(1))


def _self_check(path: Path, reference: tuple[np.ndarray, np.ndarray, np.ndarray],
                floor: float) -> float:
    """Worst cosine of the ONNX file's vectors with torch's; raises below ``floor``."""
    ids, mask, expected = reference
    got = unit_rows(_session(path).run(None, {"input_ids": ids, "attention_mask": mask})[0])
    worst = float((expected * got).sum(1).min())
    if worst < floor:
        raise OnnxExportError(f"{path.name} disagrees with torch: cosine {worst:.5f} < {floor}")
    return round(worst, 6)


def export_onnx(model_dir: Path, *, int8: bool = True, force: bool = False) -> Path:
    """Export ``model_dir`` (a materialised sentence-transformers folder) to ONNX, once.

    Idempotent: returns at once when the files exist for this build of the folder.
    Atomic: files are written in a temporary sibling, checked against torch and renamed
    into place when complete, so an interrupted export never leaves a partial folder. A
    concurrent export of the same folder is waited for (a file lock), then reused."""
    from filelock import FileLock

    model_dir = Path(model_dir).expanduser().resolve()
    target = onnx_dir(model_dir)

    def done() -> bool:
        return is_exported(model_dir) and (not int8 or is_exported(model_dir, int8=True))

    def mapped() -> bool:
        return all(has_mapped_weights(model_dir, int8=i) for i in _graphs(model_dir))

    if done() and mapped() and not force:
        return target
    with FileLock(str(target.parent / f".{target.name}.lock"), timeout=_LOCK_SECONDS):
        if done() and mapped() and not force:
            return target  # another process exported it while we waited
        _remove_stale_tmp(target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            if done() and not force:
                _map_weights(model_dir, tmp)  # an older export: weights apart, no torch
            else:
                _write_export(model_dir, tmp, int8)
            _make_readable(tmp)
            _swap_into_place(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # no-op after a successful swap
    return target


def _graphs(model_dir: Path) -> list[bool]:
    """The graphs the export holds, as ``int8`` flags."""
    return [i for i in (False, True) if is_exported(model_dir, int8=i)]


def _map_weights(model_dir: Path, tmp: Path) -> None:
    """A copy in ``tmp`` of an export from before the weights were kept apart, with them
    apart (a few seconds): the same graphs, the same weights."""
    source = onnx_dir(model_dir)
    stamp = _read_stamp(model_dir) or {}
    files = [TOKENIZER_FILE]
    shutil.copyfile(source / TOKENIZER_FILE, tmp / TOKENIZER_FILE)
    for int8 in _graphs(model_dir):
        name = INT8_FILE if int8 else FP32_FILE
        save_mappable(source / name, tmp / name)
        files += [name, weights_file(name).name]
    (tmp / STAMP_NAME).write_text(json.dumps({**stamp, "files": files}, indent=2) + "\n",
                                  encoding="utf-8")


def _write_export(model_dir: Path, tmp: Path, int8: bool) -> None:
    _save_tokenizer(model_dir, tmp / TOKENIZER_FILE)
    _export_fp32(model_dir, tmp / FP32_FILE)
    reference = _torch_reference(model_dir, tmp / TOKENIZER_FILE)
    graphs = [FP32_FILE]
    if int8:  # quantised from the single-file graph, before its weights move apart
        _quantise_int8(tmp / FP32_FILE, tmp / INT8_FILE)
        graphs.append(INT8_FILE)
    files = [TOKENIZER_FILE]
    checks = {}
    for name in graphs:  # checked as they will be loaded
        save_mappable(tmp / name, tmp / name)
        files += [name, weights_file(name).name]
        floor = _INT8_FLOOR if name == INT8_FILE else _AGREEMENT_FLOOR
        checks[name] = _self_check(tmp / name, reference, floor)
    stamp = {"version": _EXPORT_VERSION, "source": _source_id(model_dir), "files": files,
             "opset": _OPSET, "self_check_cosine": checks, "created_unix": int(time.time())}
    (tmp / STAMP_NAME).write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")


def _make_readable(tmp: Path) -> None:
    tmp.chmod(0o755)  # mkdtemp makes it owner-only; a shared models folder must be readable
    for path in tmp.iterdir():
        path.chmod(0o644)  # onnx writes weights files owner-only too


# ---------------------------------------------------------------- encoder


def _load_tokenizer(path: Path, max_length: int) -> Any:
    """The exported fast tokenizer, truncating at ``max_length`` tokens (special tokens
    included, as sentence-transformers does) and not padding (batches are padded here)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.enable_truncation(max_length=max_length)
    tokenizer.no_padding()
    return tokenizer


def _max_seq_length(model_dir: Path) -> int:
    try:
        config = json.loads((model_dir / "sentence_bert_config.json").read_text("utf-8"))
        return int(config["max_seq_length"])
    except (OSError, ValueError, KeyError, TypeError):
        return 512


def _pad_id(model_dir: Path) -> int:
    try:
        return int(json.loads((model_dir / "config.json").read_text("utf-8"))["pad_token_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return 1


def _pad(rows: Sequence[Sequence[int]], pad_id: int) -> tuple[np.ndarray, np.ndarray]:
    width = max(len(row) for row in rows)
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return ids, mask


def length_batches(lengths: Sequence[int], budget: int = BATCH_TOKENS) -> list[list[int]]:
    """Indices grouped shortest first into batches whose padded size (texts x longest)
    stays within ``budget`` tokens; a longer text is a batch of its own."""
    batches: list[list[int]] = []
    current: list[int] = []
    for index in sorted(range(len(lengths)), key=lengths.__getitem__):
        # Ascending order: the newcomer is the batch's longest text.
        if current and (len(current) + 1) * lengths[index] > budget:
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


def _session(path: Path) -> onnxruntime.InferenceSession:
    """One single-threaded CPU session; parallelism comes from running batches side by side
    (InferenceSession.run is thread-safe)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def passage_threads() -> int:
    """Worker threads for passages: OMP/MKL/TORCH_NUM_THREADS when set (the count the torch
    encoder would use), else the CPUs this process may run on."""
    for var in THREAD_ENV_VARS:
        with contextlib.suppress(TypeError, ValueError):
            count = int(os.environ.get(var, ""))
            if count > 0:
                return count
    return available_cpus()


class OnnxEncoder:
    """An exported sentence-transformers folder behind :class:`TextEncoder`, on ONNX Runtime.

    ``query_threads``: questions are encoded on the calling thread when 1 (the default; a
    question is one short text), else spread over that many workers (None: one per CPU)."""

    thread_safe = True  # InferenceSession.run and the tokenizer may be called from threads

    def __init__(
        self,
        model_dir: Path,
        onnx_path: Path,
        *,
        query_prompt: str | None = E5_QUERY_PROMPT,
        passage_prompt: str | None = E5_PASSAGE_PROMPT,
        name: str | None = None,
        query_threads: int | None = None,
        threads: int | None = None,
        batch_tokens: int = BATCH_TOKENS,
    ) -> None:
        self._session = _session(Path(onnx_path))
        self._tokenizer = _load_tokenizer(Path(onnx_path).with_name(TOKENIZER_FILE),
                                          _max_seq_length(Path(model_dir)))
        self._pad_id = _pad_id(Path(model_dir))
        self._query_prompt = query_prompt or ""
        self._passage_prompt = passage_prompt or ""
        self._threads = max(1, threads or passage_threads())
        self._query_threads = max(1, query_threads or self._threads)
        self._batch_tokens = batch_tokens
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self.name = name or str(model_dir)
        self.path = Path(onnx_path)
        self.dimension = int(self._session.get_outputs()[0].shape[-1])

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix="onnx-embed")
            return self._pool

    def _run(self, rows: list[list[int]], outputs: list[str]) -> list[np.ndarray]:
        ids, mask = _pad(rows, self._pad_id)
        return list(self._session.run(outputs, {"input_ids": ids, "attention_mask": mask}))

    def _in_batches(self, rows: list[list[int]], workers: int,
                    work: Callable[[list[int]], T]) -> list[tuple[list[int], T]]:
        """``work`` on batches of row indices (:func:`length_batches`), side by side on
        ``workers`` threads; each batch with its result."""
        batches = length_batches([len(r) for r in rows], self._batch_tokens)
        batches.reverse()  # longest first: the workers finish together
        if workers > 1 and len(batches) > 1:
            results = list(self._executor().map(work, batches))
        else:
            results = [work(b) for b in batches]
        return list(zip(batches, results, strict=True))

    def _encode(self, texts: list[str], prefix: str, workers: int) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        rows = [e.ids for e in self._tokenizer.encode_batch([prefix + t for t in texts])]

        def run(batch: list[int]) -> np.ndarray:
            return self._run([rows[i] for i in batch], [SENTENCE_OUTPUT])[0]

        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        for batch, vectors in self._in_batches(rows, workers, run):
            out[batch] = vectors
        return unit_rows(out)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed queries (e5: ``"query: "`` prefix)."""
        return self._encode(list(texts), self._query_prompt, min(self._query_threads,
                                                                  self._threads))

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages (e5: ``"passage: "`` prefix), batches side by side on the workers."""
        return self._encode(list(texts), self._passage_prompt, self._threads)

    def encode_passages_with_spans(
        self, texts: list[str], spans: list[list[Span]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Passages as :meth:`encode_passages` embeds them, and their spans pooled from the
        token states of the same pass (:func:`embeddings.base.pool_spans`)."""
        texts = list(texts)
        prefix = self._passage_prompt
        encodings = self._tokenizer.encode_batch([prefix + t for t in texts])
        rows = [e.ids for e in encodings]

        def run(batch: list[int]) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
            vectors, hidden = self._run([rows[i] for i in batch],
                                        [SENTENCE_OUTPUT, TOKENS_OUTPUT])
            pooled = [pool_spans(hidden[j, : len(rows[i])],
                                 np.asarray(encodings[i].offsets, dtype=np.int64).reshape(-1, 2),
                                 spans[i], len(prefix))
                      for j, i in enumerate(batch)]
            return vectors, pooled

        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        per_text: list[list[np.ndarray | None]] = [[] for _ in texts]
        for batch, (vectors, pooled) in self._in_batches(rows, self._threads, run):
            out[batch] = vectors
            for i, own in zip(batch, pooled, strict=True):
                per_text[i] = own
        flat = [row for own in per_text for row in own]
        return unit_rows(out), fill_missing(self, texts, spans, flat)


def load_onnx_encoder(
    model_dir: Path, *, int8: bool = False, name: str | None = None,
    query_threads: int | None = None,
) -> OnnxEncoder | None:
    """The ONNX encoder of ``model_dir``, or None (with a logged warning) when its export
    is missing, stale or unloadable: the caller then falls back to torch."""
    model_dir = Path(model_dir)
    path = onnx_file(model_dir, int8=int8)
    if not is_exported(model_dir, int8=int8):
        logger.warning(
            "ONNX embedding model %s is missing or out of date; using torch instead (build it "
            "with `python -m embeddings.onnx_encoder %s`, which scripts/setup.sh runs)",
            path, model_dir,
        )
        return None
    try:
        return OnnxEncoder(model_dir, path, name=name, query_threads=query_threads)
    except Exception as exc:  # a corrupt file or a runtime mismatch: torch still works
        logger.warning("cannot load ONNX embedding model %s (%s); using torch instead",
                       path, one_line(exc))
        return None


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: ``python -m embeddings.onnx_encoder MODEL_DIR [--force] [--no-int8]``."""
    parser = argparse.ArgumentParser(
        description="Export a materialised sentence-transformers folder to ONNX (fp32 + int8).")
    parser.add_argument("model_dir", type=Path, help="the materialised model folder")
    parser.add_argument("--force", action="store_true", help="export even if up to date")
    parser.add_argument("--no-int8", dest="int8", action="store_false",
                        help="skip the int8 model (the 'onnx-int8' engine then uses float32)")
    args = parser.parse_args(argv)
    reused = not args.force and is_exported(args.model_dir) and (
        not args.int8 or is_exported(args.model_dir, int8=True)) and all(
        has_mapped_weights(args.model_dir, int8=i) for i in _graphs(args.model_dir))
    start = time.perf_counter()
    try:
        path = export_onnx(args.model_dir, int8=args.int8, force=args.force)
    except (OnnxExportError, ImportError, OSError, RuntimeError, ValueError) as exc:
        print(f"ONNX export failed, the torch engine will be used: {one_line(exc)}")
        return 1
    print(f"{'reused' if reused else 'wrote'} {path} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
