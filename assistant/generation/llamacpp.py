"""llama.cpp through xllamacpp (a prebuilt wheel: nothing compiles): a GGUF file run
in-process (provider ``gguf``), and the same engine's OpenAI-compatible HTTP server on
loopback (``assistant llm serve``).

xllamacpp's ``Server`` is llama.cpp's own server: it loads the model, queues requests
(thread-safe) and applies the model's chat template. In-process it is called directly
(``handle_chat_completions``); its HTTP side then listens on a random loopback port that
only a random API key opens, so no other process can use it.
"""

from __future__ import annotations

import mmap
import os
import queue
import secrets
import struct
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.llms import CustomLLM

if TYPE_CHECKING:
    from assistant.core.settings import Settings

LOOPBACK = "127.0.0.1"


class LlamaCppError(RuntimeError):
    """llama.cpp refused a request (prompt past the context size, bad parameters...)."""


class ModelFileError(ValueError):
    """The GGUF file is missing or is not a GGUF file."""


def auto_threads() -> int:
    """Half the processors, at least one: llama.cpp's generation is memory-bound, and on a
    busy 2-core machine two threads collapsed (a few tokens/s) where one held up."""
    return max(1, (os.cpu_count() or 2) // 2)


def thread_count(setting: int) -> int:
    return setting if setting > 0 else auto_threads()


# -- GGUF metadata --------------------------------------------------------------------------
GGUF_MAGIC = b"GGUF"
# value types of the GGUF key-value section: fixed sizes, 8 = string, 9 = array
_FIXED = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9


def check_gguf(path: Path) -> None:
    """ModelFileError unless ``path`` is a readable GGUF file (a clear message before
    llama.cpp's generic "failed to init")."""
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ModelFileError(f"GGUF file not found or unreadable: {path}") from exc
    if magic != GGUF_MAGIC:
        raise ModelFileError(f"not a GGUF file: {path}")


def gguf_metadata(path: Path, wanted: set[str]) -> dict[str, Any]:
    """The values of the ``wanted`` keys of a GGUF file's metadata (strings and numbers;
    arrays are skipped), read from its header without loading the model."""
    check_gguf(path)
    found: dict[str, Any] = {}
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m:
        version, _tensors, count = struct.unpack_from("<IQQ", m, 4)
        if version < 2:  # GGUF v1 (2023) used 32-bit lengths; llama.cpp no longer reads it
            raise ModelFileError(f"GGUF version {version} is too old: {path}")
        pos = 24

        def string(at: int) -> tuple[str, int]:
            (size,) = struct.unpack_from("<Q", m, at)
            return bytes(m[at + 8:at + 8 + size]).decode("utf-8", "replace"), at + 8 + size

        for _ in range(count):
            key, pos = string(pos)
            (kind,) = struct.unpack_from("<I", m, pos)
            pos += 4
            if kind == _STRING:
                value, pos = string(pos)
                if key in wanted:
                    found[key] = value
            elif kind == _ARRAY:
                item, size = struct.unpack_from("<IQ", m, pos)
                pos += 12
                if item == _STRING:
                    for _ in range(size):
                        pos += 8 + struct.unpack_from("<Q", m, pos)[0]
                elif item in _FIXED:
                    pos += size * _FIXED[item]
                else:  # nested arrays: no model file uses them for what we read
                    break
            elif kind in _FIXED:
                if key in wanted:
                    fmt = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?",
                           10: "Q", 11: "q", 12: "d"}[kind]
                    found[key] = struct.unpack_from("<" + fmt, m, pos)[0]
                pos += _FIXED[kind]
            else:
                raise ModelFileError(f"unknown GGUF value type {kind} in {path}")
            if wanted <= found.keys():
                break
    return found


def has_chat_template(path: Path) -> bool:
    return bool(gguf_metadata(path, {"tokenizer.chat_template"}))


# -- the server ---------------------------------------------------------------------------------
def server_params(model: Path, *, threads: int, context_tokens: int, batch_tokens: int,
                  chat_template: str = "", port: int = 0, api_keys: Sequence[str] = (),
                  alias: str = "") -> Any:
    """llama.cpp's parameters for one GGUF file served on loopback (port 0: any free one)."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(model)
    params.model_alias = {alias or model.stem}
    params.n_ctx = context_tokens
    params.n_batch = params.n_ubatch = batch_tokens
    params.n_parallel = 1  # one answer at a time; other requests wait in llama.cpp's queue
    params.cpuparams.n_threads = params.cpuparams_batch.n_threads = threads
    params.cache_ram_mib = 512  # recent prompts' KV kept in RAM (llama.cpp's default: 8 GiB)
    # Every question starts with the same system rules: their cached tokens are reused.
    # Sliding-window models (Gemma 3...) need the full-size window cache for that (else
    # 48 of Gemma 3 270M's 175 system tokens were reused; measured in bench/llm_bench.py).
    params.swa_full = True
    params.hostnames = [LOOPBACK]
    params.port = port
    params.api_keys = list(api_keys)
    params.verbosity = -1  # llama.cpp's log would bury the one-line notices on stderr
    if chat_template:
        # a llama.cpp built-in name ("gemma", "chatml", "mistral-v7"...) or a Jinja text
        params.chat_template = chat_template
        params.use_jinja = "{" in chat_template
    return params


def start_server(params: Any) -> Any:
    """llama.cpp's server, loaded and listening (RuntimeError when it cannot start)."""
    import xllamacpp

    return xllamacpp.Server(params)


def settings_params(settings: Settings, model: Path, **extra: Any) -> Any:
    return server_params(model, threads=thread_count(settings.llm_threads),
                         context_tokens=settings.llm_context_tokens,
                         batch_tokens=settings.llm_batch_tokens,
                         chat_template=settings.llm_chat_template, **extra)


# -- in-process model ----------------------------------------------------------------------
def plain_prompt(messages: Sequence[ChatMessage]) -> str:
    """Messages as one text, for base models without a chat template."""
    return "\n\n".join(str(m.content or "").strip() for m in messages) + "\n"


class LlamaCppLLM(CustomLLM):
    """A GGUF file run in this process by llama.cpp. Chat requests go through the model's
    chat template (or ``chat_template``); a model without one (a base model) gets the
    messages as one plain text to continue."""

    model_path: str
    context_window: int = 4096
    max_new_tokens: int = 300
    temperature: float = 0.0
    threads: int = 0
    batch_tokens: int = 512
    chat_template: str = ""
    timeout_s: float = 30.0  # longest silence of the model before the stream gives up
    _server: Any = PrivateAttr(default=None)
    _chat: bool = PrivateAttr(default=True)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=self.context_window, num_output=self.max_new_tokens,
                           model_name=Path(self.model_path).name, is_chat_model=True)

    @property
    def uses_chat_template(self) -> bool:
        self.load()
        return self._chat

    def load(self) -> None:
        """Load the model once (ModelFileError or RuntimeError when it cannot be)."""
        with self._lock:
            if self._server is not None:
                return
            path = Path(self.model_path)
            self._chat = bool(self.chat_template) or has_chat_template(path)
            self._server = start_server(server_params(
                path, threads=thread_count(self.threads), context_tokens=self.context_window,
                batch_tokens=self.batch_tokens, chat_template=self.chat_template,
                api_keys=[secrets.token_urlsafe(24)]))

    def close(self) -> None:
        """Free the model (llama.cpp's server stops when its object goes)."""
        with self._lock:
            self._server = None

    def _options(self) -> dict[str, Any]:
        return {"max_tokens": self.max_new_tokens, "temperature": self.temperature,
                "stream": True}

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        self.load()
        if not self._chat:
            pieces = self._stream("completions", {"prompt": plain_prompt(messages),
                                                  **self._options()})
        else:
            turns = [{"role": m.role.value, "content": str(m.content or "")}
                     for m in messages]
            pieces = self._stream("chat_completions", {"messages": turns, **self._options()})

        def responses() -> ChatResponseGen:
            text = ""
            for piece in pieces:
                text += piece
                yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT,
                                                       content=text), delta=piece)
        return responses()

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        text = "".join(r.delta or "" for r in self.stream_chat(messages))
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text))

    def stream_complete(self, prompt: str, formatted: bool = False,
                        **kwargs: Any) -> CompletionResponseGen:
        self.load()
        text = ""
        for piece in self._stream("completions", {"prompt": prompt, **self._options()}):
            text += piece
            yield CompletionResponse(text=text, delta=piece)

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text="".join(r.delta or "" for r in
                                               self.stream_complete(prompt, formatted)))

    def _stream(self, endpoint: str, request: dict[str, Any]) -> Iterator[str]:
        """The text pieces of one streamed request. llama.cpp calls back from its own
        thread; a consumer that stops reading (deadline, enough text) stops generation."""
        server = self._server
        handler: Callable[..., Any] = getattr(server, f"handle_{endpoint}")
        pieces: queue.Queue[Any] = queue.Queue()
        stop = threading.Event()
        done = object()

        def on_chunk(chunk: Any) -> bool:
            pieces.put(chunk)
            return stop.is_set()  # True tells llama.cpp to stop this request

        def work() -> None:
            try:
                handler(request, on_chunk)
            except Exception as exc:  # handed to the consumer, raised there
                pieces.put(exc)
            finally:
                pieces.put(done)

        # Not a daemon: a process that exits while llama.cpp still reads the prompt waits
        # for it (it stops at its first token, ``stop`` being set) instead of aborting.
        threading.Thread(target=work, name="llama.cpp request").start()
        try:
            while True:
                chunk = pieces.get(timeout=self.timeout_s)  # queue.Empty: a timeout
                if chunk is done:
                    return
                if isinstance(chunk, Exception):
                    raise LlamaCppError(str(chunk)) from chunk
                piece = chunk_text(chunk)
                if piece:
                    yield piece
        finally:
            stop.set()


def chunk_text(chunk: Any) -> str:
    """The text of one streamed chunk (chat or plain completion); LlamaCppError for an
    error chunk."""
    if not isinstance(chunk, dict):
        raise LlamaCppError(f"unexpected chunk from llama.cpp: {str(chunk)[:200]}")
    if "error" in chunk:
        error = chunk["error"]
        raise LlamaCppError(str(error.get("message") if isinstance(error, dict) else error))
    choices = chunk.get("choices") or [{}]
    choice = choices[0]
    delta = choice.get("delta")
    text = delta.get("content") if isinstance(delta, dict) else choice.get("text")
    return str(text or "")


# -- `assistant llm serve` ------------------------------------------------------------------
def serve_until_stopped(settings: Settings, model: Path, port: int,
                        on_ready: Callable[[str], None]) -> Any:
    """Serve ``model`` on loopback until SIGINT or SIGTERM; ``on_ready(base_url)`` once it
    listens. ModelFileError or RuntimeError when it cannot start. Returns the server still
    loaded: llama.cpp's shutdown lets an answer in progress run on (seconds to minutes), so
    the command exits the process instead, which closes every connection at once."""
    import signal

    check_gguf(model)
    api_key = settings.llm_api_key.get_secret_value()
    server = start_server(settings_params(settings, model, port=port,
                                          api_keys=[api_key] if api_key else []))
    stopped = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stopped.set())
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        on_ready(f"{server.listening_address}/v1")
        while not stopped.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return server
