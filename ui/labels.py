"""Interface texts that follow the chosen language: each component is created with its texts
in one language and switched to another with ``Labels.updates``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.core.messages import message, prompt_file
from ui.gradio_offline import gr


def message_list(lang: str, key: str) -> list[str]:
    """A list-valued message (example questions, table headers)."""
    return [str(item) for item in prompt_file(lang, "messages")[key]]


TextSpec = str | Callable[[str], Any]  # a message key, or a function of the language


class Labels:
    """Components whose texts follow the interface language, with how to render each."""

    def __init__(self, lang: str) -> None:
        self.lang = lang  # the language components are created in
        self._entries: list[tuple[Any, dict[str, Callable[[str], Any]]]] = []

    def new(self, factory: Callable[..., Any], texts: dict[str, TextSpec], **kwargs: Any) -> Any:
        """Create a component with its texts in ``self.lang`` and register it for switching."""
        render = {prop: render_text(spec) for prop, spec in texts.items()}
        block = factory(**{p: f(self.lang) for p, f in render.items()}, **kwargs)
        self._entries.append((block, render))
        return block

    @property
    def blocks(self) -> list[Any]:
        return [block for block, _ in self._entries]

    def updates(self, lang: str) -> list[dict[str, Any]]:
        return [gr.update(**{p: f(lang) for p, f in render.items()})
                for _, render in self._entries]


def render_text(spec: TextSpec) -> Callable[[str], Any]:
    if isinstance(spec, str):
        return lambda lang: message(spec, lang)
    return spec
