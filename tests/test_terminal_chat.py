"""``assistant chat`` in a real terminal (a pseudo-terminal): the arrows edit the line
instead of printing ^[[D, Up recalls the previous question, and the questions are kept
for the next chat (readline from the standard library)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import cli_env, ingested_copy

from assistant.core.messages import message

pytestmark = pytest.mark.slow

LEFT, UP, ENTER = "\x1b[D", "\x1b[A", "\r"


class Terminal:
    """``python -m assistant.cli chat`` on a pseudo-terminal, typed into like a person."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "chat"], env=env, cwd=cwd,
            stdin=slave, stdout=slave, stderr=slave, close_fds=True,
        )
        os.close(slave)
        self.output = ""

    def read_until(self, text: str, count: int = 1, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while self.output.count(text) < count:
            assert time.monotonic() < deadline, f"no {text!r} in {self.output!r}"
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                try:
                    self.output += os.read(self.master, 4096).decode("utf-8", "replace")
                except OSError:  # the process ended
                    break
        return self.output

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode("utf-8"))

    def close(self) -> int:
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=30)
        finally:
            os.close(self.master)


def test_terminal_chat_edits_the_line_and_recalls_questions(
        tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> None:
    settings = ingested_copy(tmp_path_factory, "terminal")
    env = cli_env(settings.corpus_dir, settings.data_dir, TERM="xterm", LANG="C.UTF-8")
    cleared = message("chat_cleared", "fr")
    terminal = Terminal(env, tmp_path)
    try:
        terminal.read_until("> ")
        # "/clar", Left twice, "e": the line becomes "/clear" (without editing it would hold
        # the escape sequences, not be the command, and be asked as a question).
        terminal.type("/clar" + LEFT + LEFT + "e" + ENTER)
        terminal.read_until(cleared)
        terminal.read_until("> ", 2)
        terminal.type(UP + ENTER)  # the previous line again
        output = terminal.read_until(cleared, 2)
        terminal.read_until("> ", 3)
        terminal.type(ENTER)  # an empty line ends the chat
    finally:
        code = terminal.close()
    assert code == 0, terminal.output
    assert output.count(cleared) == 2, output
    assert "^[[D" not in output
    history = settings.data_dir / "chat_history"
    assert history.read_text(encoding="utf-8").split() == ["/clear"]  # repeats kept once
    assert history.stat().st_mode & 0o077 == 0  # the owner's only

    # The next chat recalls the questions of this one.
    terminal = Terminal(env, tmp_path)
    try:
        terminal.read_until("> ")
        terminal.type(UP + ENTER)
        output = terminal.read_until(cleared)
        terminal.read_until("> ", 2)
        terminal.type(ENTER)
    finally:
        assert terminal.close() == 0
