"""Gradio web chat (issue 3): a thin layer over ``AssistantService`` and ``FeedbackStore``.

Handlers are plain methods of ``ChatUI`` so tests call them without a browser;
``build_app`` only lays out components and wires events. Nothing here retrieves or
composes answers: the service does, exactly as for the command line.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

# Read when gradio is imported: no telemetry, no model hub, nothing fetched at run time.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import gradio as gr  # noqa: E402

from assistant.core.errors import AssistantError  # noqa: E402
from assistant.core.messages import message, prompt_file  # noqa: E402
from assistant.core.settings import Settings  # noqa: E402
from assistant.core.text import fold  # noqa: E402
from assistant.core.types import Answer  # noqa: E402
from assistant.directory.organisations import themes  # noqa: E402
from assistant.generation.generate import Delta, Event  # noqa: E402
from assistant.service.assistant_service import AssistantService  # noqa: E402
from assistant.service.feedback import FeedbackStore  # noqa: E402
from assistant.service.presenters import answer_record, report_summary, report_warnings  # noqa: E402
from assistant.service.ratelimit import SessionRateLimiter  # noqa: E402
from ui.auth import UserTable, check_exposure  # noqa: E402
from ui.render import (  # noqa: E402
    CSS,
    chat_markdown,
    directory_html,
    directory_note,
    sources_html,
)

logger = logging.getLogger(__name__)

STREAM_DELAY = 0.02  # seconds between streamed words: reads as typing, ~1 s per answer
CHAT_CONCURRENCY = 16  # sessions answered at once (the service serialises retrieval itself)
PERSONAS = ("staff", "volunteer", "trainer")
LANGUAGES = [("Français", "fr"), ("English", "en")]
ALL = "*"  # the directory filters' "All" choice (no theme id or town is spelled so)


@dataclass
class Exchange:
    """One question of a session and the reply shown for it."""

    question: str
    reply: str
    answer: Answer | None = None  # None when the question was refused or failed


Session = list[Exchange]


@dataclass(frozen=True)
class FeedbackTarget:
    """The answer the feedback panel speaks about, and its stored row."""

    exchange: int
    feedback_id: int


class ChatView(NamedTuple):
    """Outputs of the chat handlers, in the order ``build_app`` wires them."""

    question: str  # the input box, emptied once asked
    chatbot: list[dict[str, str]]
    session: Session
    sources: str
    start: dict[str, Any]  # start screen visibility
    feedback_status: str
    feedback_target: FeedbackTarget | None


class DirectoryView(NamedTuple):
    """Outputs of the directory tab's refresh: the town choices of the current index, the
    cards."""

    town: dict[str, Any]
    cards: str


class FeedbackView(NamedTuple):
    status: str
    target: FeedbackTarget | None
    correction: dict[str, Any]  # the corrected-answer box shows after a thumbs down


def history_of(session: Sequence[Exchange]) -> list[tuple[str, str]]:
    """[user, assistant] pairs for the service. The standalone question is kept, as the
    command line does, so later follow-ups still know what "it" refers to."""
    return [(e.answer.standalone_question or e.question, e.answer.text)
            for e in session if e.answer is not None]


def chat_messages(session: Sequence[Exchange]) -> list[dict[str, str]]:
    """Chatbot messages: user and assistant alternate, every text escaped."""
    messages = []
    for exchange in session:
        messages.append({"role": "user", "content": chat_markdown(exchange.question)})
        messages.append({"role": "assistant", "content": chat_markdown(exchange.reply)})
    return messages


def growing_prefixes(text: str) -> Iterator[str]:
    """The text word by word, each prefix longer than the last."""
    for match in re.finditer(r"\s*\S+", text):
        yield text[: match.end()]


def latest_answered(session: Sequence[Exchange]) -> int:
    """Index of the last exchange that got an answer (not an error), or -1."""
    return next((i for i in range(len(session) - 1, -1, -1) if session[i].answer), -1)


def when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


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


class ChatUI:
    """The handlers of the web chat, over one service and one feedback store."""

    def __init__(self, service: AssistantService, feedback: FeedbackStore,
                 stream_delay: float = STREAM_DELAY) -> None:
        self.service = service
        self.feedback = feedback
        self.stream_delay = stream_delay
        self.labels = Labels(service.settings.default_language)
        self.limiter = SessionRateLimiter(service.settings.rate_limit_per_minute)
        self._reindexing = threading.Lock()
        self._ingester = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reindex")

    # -- chat ------------------------------------------------------------------------------
    def respond(self, question: str, session: Session | None, lang: str,
                request: gr.Request | None = None) -> Iterator[ChatView]:
        """Answer one question of a session, streaming the reply word by word."""
        before = list(session or [])
        if not (question or "").strip():
            yield self._view(before, before, sources_html(None, lang), question="")
            return
        thinking = Exchange(question, message("ui_thinking", lang))
        yield self._view([*before, thinking], before, sources_html(None, lang))
        done: Exchange | None = None
        drafted = False
        for item in self.reply_stream(question, before, lang, session_key(request)):
            if isinstance(item, Exchange):
                done = item
            else:  # the model's draft so far; the checked answer replaces it below
                drafted = True
                yield self._view([*before, Exchange(question, item)], before,
                                 sources_html(None, lang))
        assert done is not None  # reply_stream always ends with the exchange
        for partial in () if drafted else growing_prefixes(done.reply):
            yield self._view([*before, Exchange(question, partial)], before,
                             sources_html(None, lang))
            if self.stream_delay:
                time.sleep(self.stream_delay)
        after = [*before, done]
        yield self._view(after, after, sources_html(done.answer, lang))

    def reply(self, question: str, session: Session, lang: str, key: str = "") -> Exchange:
        """The service's answer, or its one-line message when it refuses, is over the
        session's rate limit, or fails."""
        *_, done = self.reply_stream(question, session, lang, key)
        assert isinstance(done, Exchange)
        return done

    def reply_stream(self, question: str, session: Session, lang: str,
                     key: str = "") -> Iterator[str | Exchange]:
        """With a language model: its draft as it grows; always last: the exchange (the
        checked answer, with the notice when the extractive answer replaced the model's)."""
        try:
            self.limiter.check(key)
            answer: Answer | None = None
            draft = ""
            for event in self._events(question, history_of(session)):
                if isinstance(event, Delta):
                    draft += event.text
                    yield draft
                else:
                    answer = event
        except AssistantError as exc:
            yield Exchange(question, exc.render(lang))
            return
        except Exception as exc:  # a bug: say so in one line, log the traceback
            logger.exception("question failed")
            detail = f"{type(exc).__name__}: {exc}"[:200]
            yield Exchange(question, message("internal_error", lang, detail=detail))
            return
        assert answer is not None  # the service always ends with the answer
        shown = f"*{answer.notice}*\n\n{answer.text}" if answer.notice else answer.text
        yield Exchange(question, shown, answer)

    def _events(self, question: str, history: list[tuple[str, str]]) -> Iterator[Event]:
        """The service's answer events. Without a model the answer comes whole (ask, as
        before); with one, its draft streams first."""
        if self.service.settings.llm_provider == "none":
            yield self.service.ask(question, history)
        else:
            yield from self.service.ask_stream(question, history)

    @staticmethod
    def _view(shown: Session, kept: Session, sources: str, question: str = "") -> ChatView:
        return ChatView(question, chat_messages(shown), kept, sources,
                        gr.update(visible=not shown), "", None)

    def clear(self, lang: str) -> ChatView:
        """Forget the session's conversation (other sessions are untouched)."""
        return self._view([], [], sources_html(None, lang))

    def show_sources(self, evt: gr.SelectData, session: Session | None, lang: str) -> str:
        """Sources of the clicked message's answer (both bubbles of an exchange work)."""
        index = evt.index
        session = session or []
        if not isinstance(index, int) or not 0 <= index // 2 < len(session):
            return sources_html(None, lang)
        return sources_html(session[index // 2].answer, lang)

    def latest_sources(self, session: Session | None, lang: str) -> str:
        session = session or []
        latest = latest_answered(session)
        return sources_html(session[latest].answer if latest >= 0 else None, lang)

    def relabel(self, lang: str, session: Session | None) -> list[Any]:
        """Every interface text in ``lang``, then the sources panel and the documents table."""
        return [*self.labels.updates(lang), self.latest_sources(session, lang),
                self.documents_table(lang)]

    # -- feedback ----------------------------------------------------------------------------
    def rate(self, index: int, vote: int, session: Session | None, comment: str,
             correction: str, target: FeedbackTarget | None, lang: str) -> FeedbackView:
        """Store a vote on exchange ``index`` (a second vote on it changes the same row)."""
        session = session or []
        if not 0 <= index < len(session) or session[index].answer is None:
            return FeedbackView(message("ui_feedback_no_answer", lang), target, gr.update())
        correction = (correction or "") if vote < 0 else ""
        try:
            if target is not None and target.exchange == index:
                self.feedback.update(target.feedback_id, vote=vote, comment=comment or "",
                                     corrected_answer=correction)
            else:
                target = FeedbackTarget(index, self._store_vote(session, index, vote, comment,
                                                                correction))
        except AssistantError as exc:  # database locked or full: refused, clicking retries
            return FeedbackView(exc.render(lang), target, gr.update())
        return FeedbackView(message("ui_feedback_saved", lang), target,
                            gr.update(visible=vote < 0))

    def _store_vote(self, session: Session, index: int, vote: int, comment: str,
                    correction: str) -> int:
        exchange = session[index]
        answer = exchange.answer
        assert answer is not None  # rate() only votes on answered exchanges
        record = answer_record(answer, self.service.settings.top_k)
        return self.feedback.add(
            question=exchange.question, answer=answer.text, vote=vote,
            history=history_of(session[:index]), sources=record["sources"],
            comment=comment or "", corrected_answer=correction, language=answer.language,
        )

    def thumbs_up(self, session: Session | None, comment: str, correction: str,
                  target: FeedbackTarget | None, lang: str) -> FeedbackView:
        return self.rate(latest_answered(session or []), 1, session, comment, correction,
                         target, lang)

    def thumbs_down(self, session: Session | None, comment: str, correction: str,
                    target: FeedbackTarget | None, lang: str) -> FeedbackView:
        return self.rate(latest_answered(session or []), -1, session, comment, correction,
                         target, lang)

    def on_like(self, evt: gr.LikeData, session: Session | None, comment: str,
                correction: str, target: FeedbackTarget | None, lang: str) -> FeedbackView:
        """The chatbot's own thumbs, on any answer of the conversation."""
        index, liked = evt.index, evt.liked
        if not isinstance(index, int) or not isinstance(liked, bool):
            return FeedbackView("", target, gr.update())  # an undone vote: nothing to store
        return self.rate(index // 2, 1 if liked else -1, session, comment, correction,
                         target, lang)

    def send_comment(self, target: FeedbackTarget | None, comment: str, correction: str,
                     lang: str) -> tuple[str, str, str]:
        """Attach the comment (and, after a thumbs down, the correction) to the vote."""
        if target is None:
            return message("ui_feedback_no_vote", lang), comment, correction
        try:
            row = self.feedback.get(target.feedback_id)
            fix = (correction or "") if row is not None and row.vote < 0 else ""
            self.feedback.update(target.feedback_id, comment=comment or "", corrected_answer=fix)
        except AssistantError as exc:  # kept in the boxes: nothing typed is lost
            return exc.render(lang), comment, correction
        return message("ui_feedback_updated", lang), "", ""

    # -- documents -----------------------------------------------------------------------------
    def documents_table(self, lang: str) -> dict[str, Any]:
        """The indexed documents, as the Dataframe takes them (headers + rows)."""
        try:
            documents = self.service.documents()
        except AssistantError:
            documents = []  # the chat tab says why when a question is asked
        rows = [[r.title, r.organisation, r.language, r.chunks, when(r.ingested_at), r.file]
                for _, r in documents]
        return {"headers": message_list(lang, "ui_documents_headers"), "data": rows}

    def reindex(self, lang: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Run an ingestion in a worker thread; questions keep using the previous index
        until the service swaps generations."""
        # Read first, in this thread: the service opens its store lazily and not under a
        # lock, so a first ingestion and a first read in two threads would race.
        current = self.documents_table(lang)
        if not self._reindexing.acquire(blocking=False):
            yield message("ui_reindex_busy", lang), current
            return
        try:
            future = self._ingester.submit(self.service.ingest)
        except BaseException:
            self._reindexing.release()
            raise
        # Held until the ingestion ends, even if the page that asked for it goes away.
        future.add_done_callback(lambda _: self._reindexing.release())
        yield message("ui_reindex_running", lang), current
        yield self._reindex_outcome(future, lang), self.documents_table(lang)

    @staticmethod
    def _reindex_outcome(future: Future[Any], lang: str) -> str:
        try:
            report = future.result()
        except AssistantError as exc:
            return exc.render(lang)
        except Exception as exc:
            logger.exception("re-indexing failed")
            return message("internal_error", lang, detail=f"{type(exc).__name__}: {exc}"[:200])
        return "\n\n".join([*report_warnings(report, lang), report_summary(report, lang)])

    # -- directory -----------------------------------------------------------------------------
    @staticmethod
    def theme_choices(lang: str) -> list[tuple[str, str]]:
        """The "All" choice, then every theme by its name in ``lang`` (alphabetical); the
        values are theme ids, the same in both languages."""
        named = sorted(((t.label(lang), t.id) for t in themes()), key=lambda c: fold(c[0]))
        return [(message("ui_directory_all", lang), ALL), *named]

    def towns(self) -> list[str]:
        try:
            return self.service.directory().towns()
        except AssistantError:
            return []  # the cards say why

    def town_choices(self, lang: str, towns: Sequence[str] | None = None) -> list[tuple[str, str]]:
        towns = self.towns() if towns is None else towns
        return [(message("ui_directory_all", lang), ALL), *((t, t) for t in towns)]

    def directory_cards(self, theme: str | None, town: str | None, lang: str) -> str:
        """The organisations of a theme (id) and a town, as cards; or the one-line reason."""
        try:
            found = self.service.organisations(theme=_chosen(theme), town=_chosen(town))
        except AssistantError as exc:
            return directory_note(exc.render(lang))
        except Exception as exc:  # a bug: one line on the page, the traceback in the log
            logger.exception("directory failed")
            detail = f"{type(exc).__name__}: {exc}"[:200]
            return directory_note(message("internal_error", lang, detail=detail))
        return directory_html(found, lang)

    def show_directory(self, theme: str | None, town: str | None, lang: str) -> DirectoryView:
        """The tab as it opens: towns of the current index (re-indexing may change them; a
        town no longer there goes back to "All"), then the cards."""
        towns = self.towns()
        if _chosen(town) not in (None, *towns):
            town = ALL
        return DirectoryView(gr.update(choices=self.town_choices(lang, towns), value=town or ALL),
                             self.directory_cards(theme, town, lang))


def session_key(request: gr.Request | None) -> str:
    """The browser session a request comes from (the rate limit is per session)."""
    return str(getattr(request, "session_hash", None) or "")


def _chosen(value: str | None) -> str | None:
    """A filter's value for the service: None for "All"."""
    return None if value in (None, "", ALL) else value


# -- layout -------------------------------------------------------------------------------------
def build_app(service: AssistantService, settings: Settings, *,
              feedback: FeedbackStore | None = None, ui: ChatUI | None = None) -> gr.Blocks:
    """The Blocks app: chat tab (start screen, chat, feedback, sources), directory tab,
    documents tab."""
    ui = ui or ChatUI(service, feedback or FeedbackStore.for_settings(settings))
    labels = ui.labels
    with gr.Blocks(title=message("ui_title", labels.lang), analytics_enabled=False) as app:
        session = gr.State([])
        target = gr.State(None)
        with gr.Row(elem_id="header-row"):
            labels.new(gr.Markdown, {"value": header_text}, elem_id="header")
            language = labels.new(gr.Radio, {"label": "ui_language"}, choices=LANGUAGES,
                                  value=labels.lang, elem_id="language", scale=0,
                                  min_width=220)
        with gr.Tabs():
            with labels.new(gr.Tab, {"label": "ui_tab_chat"}, elem_id="chat-tab"):
                chat = chat_tab(labels)
            with labels.new(gr.Tab, {"label": "ui_tab_directory"},
                            elem_id="directory-tab") as directory_tab:
                directory = directory_filters(ui, labels)
            with labels.new(gr.Tab, {"label": "ui_tab_documents"}, elem_id="documents-tab") as tab:
                table = gr.Dataframe(elem_id="documents-table", interactive=False, wrap=True)
                reindex = labels.new(gr.Button, {"value": "ui_reindex"}, elem_id="reindex-button")
                reindex_status = gr.Markdown(elem_id="reindex-status")
        wire_chat(ui, chat, session, target, language)
        language.change(ui.relabel, [language, session], [*labels.blocks, chat.sources, table],
                        api_visibility="private")
        app.load(ui.documents_table, [language], [table], api_visibility="private")
        wire_directory(ui, directory, directory_tab, language, app)
        tab.select(ui.documents_table, [language], [table], api_visibility="private")
        reindex.click(ui.reindex, [language], [reindex_status, table], api_name="reindex",
                      concurrency_limit=1)
    return app


def header_text(lang: str) -> str:
    return f"## {message('ui_title', lang)}\n{message('ui_intro', lang)}"


def bold(key: str) -> Callable[[str], str]:
    return lambda lang: f"**{message(key, lang)}**"


@dataclass
class ChatComponents:
    start: gr.Column
    examples: list[gr.Button]
    chatbot: gr.Chatbot
    question: gr.Textbox
    send: gr.Button
    clear: gr.Button
    thumbs_up: gr.Button
    thumbs_down: gr.Button
    comment: gr.Textbox
    correction: gr.Textbox
    send_feedback: gr.Button
    feedback_status: gr.Markdown
    sources: gr.HTML


def chat_tab(labels: Labels) -> ChatComponents:
    new = labels.new
    with gr.Row():
        with gr.Column(scale=3):
            start, examples = start_screen(labels)
            chatbot = new(
                gr.Chatbot, {"label": "ui_chatbot"}, elem_id="chatbot", height=460,
                layout="bubble", buttons=["copy"], feedback_options=("Like", "Dislike"),
                # Texts arrive escaped (ui/render.py); sanitising stays on as a second guard.
                sanitize_html=True, render_markdown=True, allow_tags=False, latex_delimiters=[],
            )
            with gr.Row():
                question = new(gr.Textbox, {"label": "ui_input", "placeholder":
                                            "ui_input_placeholder"},
                               elem_id="chat-input", scale=5, autofocus=True)
                send = new(gr.Button, {"value": "ui_send"}, elem_id="send-button",
                           variant="primary", scale=1)
            clear = new(gr.Button, {"value": "ui_clear"}, elem_id="clear-button", size="sm")
            with gr.Group(elem_id="feedback"):
                new(gr.Markdown, {"value": bold("ui_feedback")}, elem_id="feedback-title")
                with gr.Row():
                    up = new(gr.Button, {"value": "ui_thumbs_up"}, elem_id="thumbs-up")
                    down = new(gr.Button, {"value": "ui_thumbs_down"}, elem_id="thumbs-down")
                comment = new(gr.Textbox, {"label": "ui_comment"}, elem_id="feedback-comment",
                              lines=2)
                correction = new(gr.Textbox, {"label": "ui_correction"}, lines=2,
                                 elem_id="feedback-correction", visible=False)
                send_feedback = new(gr.Button, {"value": "ui_feedback_send"},
                                    elem_id="feedback-send", size="sm")
                feedback_status = gr.Markdown(elem_id="feedback-status")
        with gr.Column(scale=2):
            new(gr.Markdown, {"value": lambda lang: "### " + message("ui_sources", lang)},
                elem_id="sources-title")
            sources = gr.HTML(sources_html(None, labels.lang), elem_id="sources")
    return ChatComponents(start, examples, chatbot, question, send, clear, up, down, comment,
                          correction, send_feedback, feedback_status, sources)


def start_screen(labels: Labels) -> tuple[gr.Column, list[gr.Button]]:
    """Example questions for each kind of user; one click asks."""
    buttons = []
    with gr.Column(elem_id="start-screen") as start:
        labels.new(gr.Markdown, {"value": bold("ui_examples")}, elem_id="examples-title")
        with gr.Row():
            for persona in PERSONAS:
                with gr.Column(min_width=180):
                    labels.new(gr.Markdown, {"value": bold(f"ui_persona_{persona}")},
                               elem_id=f"persona-{persona}")
                    for i in range(len(message_list(labels.lang, f"ui_examples_{persona}"))):
                        buttons.append(labels.new(
                            gr.Button, {"value": example_text(persona, i)},
                            elem_id=f"example-{persona}-{i}", size="sm",
                        ))
    return start, buttons


def example_text(persona: str, index: int) -> Callable[[str], str]:
    return lambda lang: message_list(lang, f"ui_examples_{persona}")[index]


@dataclass
class DirectoryComponents:
    theme: gr.Dropdown
    town: gr.Dropdown
    search: gr.Button
    cards: gr.HTML


def directory_filters(ui: ChatUI, labels: Labels) -> DirectoryComponents:
    """Theme and town choices (their names follow the language), a button, the cards."""
    with gr.Row(equal_height=True):
        theme = labels.new(gr.Dropdown, {"label": "ui_directory_theme",
                                         "choices": ui.theme_choices},
                           value=ALL, elem_id="directory-theme", scale=2, min_width=200)
        town = labels.new(gr.Dropdown, {"label": "ui_directory_town",
                                        "choices": ui.town_choices},
                          value=ALL, elem_id="directory-town", scale=2, min_width=160)
        search = labels.new(gr.Button, {"value": "ui_directory_search"},
                            elem_id="directory-filter", variant="primary", scale=1,
                            min_width=120)
    cards = gr.HTML(elem_id="directory")
    return DirectoryComponents(theme, town, search, cards)


def wire_directory(ui: ChatUI, directory: DirectoryComponents, tab: gr.Tab,
                   language: gr.Radio, app: gr.Blocks) -> None:
    filters = [directory.theme, directory.town, language]
    directory.search.click(ui.directory_cards, filters, [directory.cards],
                           api_name="directory")
    for choice in (directory.theme, directory.town):  # a user's pick re-renders at once
        choice.input(ui.directory_cards, filters, [directory.cards], api_visibility="private")
    # Cards in the new language; the dropdowns' own texts follow through ChatUI.relabel.
    language.change(ui.directory_cards, filters, [directory.cards], api_visibility="private")
    refreshed = [directory.town, directory.cards]
    app.load(ui.show_directory, filters, refreshed, api_visibility="private")
    tab.select(ui.show_directory, filters, refreshed, api_visibility="private")


def wire_chat(ui: ChatUI, chat: ChatComponents, session: gr.State, target: gr.State,
              language: gr.Radio) -> None:
    outputs = [chat.question, chat.chatbot, session, chat.sources, chat.start,
               chat.feedback_status, target]
    shared: dict[str, Any] = {"concurrency_id": "chat", "concurrency_limit": CHAT_CONCURRENCY,
              "show_progress": "hidden"}
    chat.question.submit(ui.respond, [chat.question, session, language], outputs,
                         api_name="ask", **shared)
    chat.send.click(ui.respond, [chat.question, session, language], outputs,
                    api_visibility="private", **shared)
    for button in chat.examples:  # the button's own text is the question
        button.click(ui.respond, [button, session, language], outputs,
                     api_visibility="private", **shared)
    chat.clear.click(ui.clear, [language], outputs, api_name="clear")
    chat.chatbot.select(ui.show_sources, [session, language], [chat.sources],
                        api_visibility="private")
    feedback_inputs = [session, chat.comment, chat.correction, target, language]
    feedback_outputs = [chat.feedback_status, target, chat.correction]
    chat.chatbot.like(ui.on_like, feedback_inputs, feedback_outputs, api_visibility="private")
    chat.thumbs_up.click(ui.thumbs_up, feedback_inputs, feedback_outputs,
                         api_visibility="private")
    chat.thumbs_down.click(ui.thumbs_down, feedback_inputs, feedback_outputs,
                           api_visibility="private")
    chat.send_feedback.click(ui.send_comment, [target, chat.comment, chat.correction, language],
                             [chat.feedback_status, chat.comment, chat.correction],
                             api_visibility="private")


# -- launch --------------------------------------------------------------------------------------
def launch_app(app: gr.Blocks, users: UserTable, *, host: str, port: int, share: bool = False,
               prevent_thread_lock: bool = False, lang: str = "fr") -> Any:
    """Serve the app; sign-in when accounts exist, else loopback only (checked again here)."""
    check_exposure(host, share, users)
    app.queue(default_concurrency_limit=4)
    return app.launch(
        server_name=host, server_port=port, share=share,
        auth=users if users else None, auth_message=message("ui_auth", lang),
        prevent_thread_lock=prevent_thread_lock, css=CSS, theme=gr.themes.Default(),
        ssr_mode=False, mcp_server=False, footer_links=["api", "settings"], quiet=True,
    )
