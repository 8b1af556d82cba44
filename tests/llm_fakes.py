"""Scripted language models for the tests.

- ``ScriptedLLM``: a llama-index LLM that answers from a script and keeps a history of
  what it was sent; registered as a provider, it goes through the real service code.
- ``FakeOpenAIServer``: a real HTTP server on loopback speaking the OpenAI
  chat-completions protocol (plain JSON and ``stream: true`` server-sent events), whose
  replies come from a script; it records every request.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
)
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.llms import CustomLLM

from assistant.generation.llm import register_provider

PASSAGE_HEAD = re.compile(r"^\[(\d+)\] (.*)$", re.MULTILINE)


@dataclass(frozen=True)
class SentPassage:
    number: int
    text: str


def passages_in(prompt: str) -> list[SentPassage]:
    """The numbered passages of a rendered answer prompt (between the delimiters)."""
    block = prompt.split("<documents>", 1)[1].split("</documents>", 1)[0]
    heads = list(PASSAGE_HEAD.finditer(block))
    found = []
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(block)
        body = block[head.end():end].strip()
        found.append(SentPassage(int(head.group(1)), body))
    return found


def user_text(messages: Sequence[Any]) -> str:
    """The user message of a chat request (ChatMessage objects or OpenAI JSON dicts)."""
    for m in messages:
        role = m["role"] if isinstance(m, dict) else m.role.value
        if role == "user":
            return str(m["content"] if isinstance(m, dict) else m.content)
    return ""


Script = Callable[[list[ChatMessage]], str]


class ScriptedLLM(CustomLLM):
    """Replies with ``script(messages)``, streamed word by word; ``sent`` is its history."""

    _script: Script = PrivateAttr()
    _sent: list[list[ChatMessage]] = PrivateAttr(default_factory=list)

    def __init__(self, script: Script | str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._script = script if callable(script) else (lambda _m, text=script: text)
        self._sent = []

    @property
    def sent(self) -> list[list[ChatMessage]]:
        return self._sent

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="scripted", is_chat_model=True)

    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        self._sent.append(list(messages))
        reply = self._script(list(messages))

        def pieces() -> ChatResponseGen:
            text = ""
            for piece in re.findall(r"\S+\s*|\s+", reply):
                text += piece
                yield ChatResponse(message=ChatMessage(role="assistant", content=text),
                                   delta=piece)
        return pieces()

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self._script([ChatMessage(role="user", content=prompt)]))

    def stream_complete(self, prompt: str, formatted: bool = False,
                        **kwargs: Any) -> CompletionResponseGen:
        yield self.complete(prompt)


def use_scripted(script: Script | str, name: str = "scripted") -> ScriptedLLM:
    """Register a scripted model under ``name`` (ASSISTANT_LLM_PROVIDER=name) and return it."""
    llm = ScriptedLLM(script)
    register_provider(name, lambda _settings: llm)
    return llm


# -- a real OpenAI-compatible server -------------------------------------------------------------
@dataclass
class Reply:
    text: str = ""
    delay_s: float = 0.0  # before the first byte
    raw: bytes | None = None  # sent as is (protocol garbage)
    status: int = 200


ServerScript = Callable[[dict[str, Any]], Reply]


class FakeOpenAIServer:
    """``with FakeOpenAIServer(script) as server:`` serves on ``server.base_url``."""

    def __init__(self, script: ServerScript) -> None:
        self.script = script
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet tests
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                outer.requests.append({"path": self.path, "body": body,
                                       "headers": dict(self.headers)})
                reply = outer.script(body)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                # The client may have given up (its timeout): nothing to do then.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    outer.respond(self, body, reply)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @staticmethod
    def respond(handler: BaseHTTPRequestHandler, body: dict[str, Any], reply: Reply) -> None:
        if reply.raw is not None:
            send(handler, reply.status, "application/json", reply.raw)
            return
        model = str(body.get("model", "m"))
        if not body.get("stream"):
            payload = {
                "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": reply.text}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
            send(handler, reply.status, "application/json", json.dumps(payload).encode())
            return
        handler.send_response(reply.status)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Connection", "close")
        handler.end_headers()
        for event in sse_events(reply.text, model):
            handler.wfile.write(event)
            handler.wfile.flush()
        handler.close_connection = True


def send(handler: BaseHTTPRequestHandler, status: int, kind: str, data: bytes) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", kind)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def sse_events(text: str, model: str) -> Iterator[bytes]:
    """The reply as chat.completion.chunk events, a few words each, then [DONE]."""
    def chunk(delta: dict[str, str], finish: str | None) -> bytes:
        data = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return f"data: {json.dumps(data)}\n\n".encode()

    yield chunk({"role": "assistant", "content": ""}, None)
    for piece in re.findall(r"(?:\S+\s*){1,3}|\s+", text):
        yield chunk({"content": piece}, None)
    yield chunk({}, "stop")
    yield b"data: [DONE]\n\n"
