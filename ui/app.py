"""Gradio web chat (issue 3), a thin layer over ``AssistantService`` and ``FeedbackStore``:
``build_app`` lays out the components and wires them to the handlers of ``ChatUI``
(``ui/handlers.py``); ``launch_app`` serves it."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from starlette.middleware import Middleware

from assistant.core.messages import message
from assistant.core.settings import Settings
from assistant.service.assistant_service import AssistantService
from assistant.service.documents import upload_limit
from assistant.service.feedback import FeedbackStore
from ui import documents_tab
from ui.auth import ExpiringTokens, HttpGuard, UserTable, check_exposure, sign_in_note
from ui.gradio_offline import gr
from ui.handlers import ALL, ChatUI, user_of
from ui.labels import Labels, message_list
from ui.render import sources_html
from ui.style import CSS, DOCUMENT_JS, FONTS, MONO_FONTS, SOURCES_JS
from ui.views import Conversation, FeedbackTarget, FeedbackView

REFUSAL_WORKERS = 8  # chat workers beyond the line, so a "busy" answer never waits unseen
STREAMING_WORKERS = 16  # replies shown word by word (~1 s each) after leaving the line
OTHER_THREADS = 16  # Gradio threads for the other events (tables, feedback, directory)
PERSONAS = ("staff", "volunteer", "trainer")
LANGUAGES = [("Français", "fr"), ("English", "en")]


# -- layout -------------------------------------------------------------------------------------
def build_app(service: AssistantService, settings: Settings, *,
              feedback: FeedbackStore | None = None, ui: ChatUI | None = None) -> gr.Blocks:
    """The Blocks app: chat tab (start screen, chat, feedback, sources, the document
    viewer), directory tab, documents tab."""
    ui = ui or ChatUI(service, feedback or FeedbackStore.for_settings(settings))
    labels = ui.labels
    with gr.Blocks(title=message("ui_title", labels.lang), analytics_enabled=False) as app:
        # One Conversation per browser session: every event of the session gets this object.
        # An instance, which Gradio copies for each session (an empty one), not the class: a
        # callable default is set by a load event of its own, which could run after
        # restore's and replace the conversation a reload had just restored.
        conversation = gr.State(Conversation())
        target = gr.State(None)
        # The browser's copy, so that a reload finds the conversation (localStorage).
        stored = gr.BrowserState(None, storage_key=STORAGE_KEY, secret=storage_secret(settings))
        with gr.Row(elem_id="header-row"):
            labels.new(gr.Markdown, {"value": header_text}, elem_id="header")
            language = labels.new(gr.Radio, {"label": "ui_language"}, choices=LANGUAGES,
                                  value=labels.lang, elem_id="language", scale=0,
                                  min_width=220)
            # Gradio's /logout ends every session of the user on the server; relative, so
            # that it works under a reverse proxy's path (root_path).
            labels.new(gr.Button, {"value": "ui_sign_out"}, link="logout", elem_id="sign-out",
                       size="sm", scale=0, min_width=120, visible=bool(settings.ui_users))
        with gr.Tabs():
            with labels.new(gr.Tab, {"label": "ui_tab_chat"}, elem_id="chat-tab"):
                chat = chat_tab(labels)
            with labels.new(gr.Tab, {"label": "ui_tab_directory"},
                            elem_id="directory-tab") as directory_tab:
                directory = directory_filters(ui, labels)
            with labels.new(gr.Tab, {"label": "ui_tab_documents"}, elem_id="documents-tab") as tab:
                table = gr.Dataframe(elem_id="documents-table", interactive=False, wrap=True,
                                     pinned_columns=1)
                reindex = labels.new(gr.Button, {"value": "ui_reindex"}, elem_id="reindex-button")
                reindex_status = gr.Markdown(elem_id="reindex-status")
                documents = documents_tab.build(ui, labels)  # upload and remove
        wire_chat(ui, chat, conversation, target, stored, language, app)
        language.change(ui.relabel, [language, conversation],
                        [*labels.blocks, chat.sources, table], api_visibility="private")
        app.load(ui.documents_table, [language], [table], api_visibility="private")
        wire_directory(ui, directory, directory_tab, language, app)
        tab.select(ui.documents_table, [language], [table], api_visibility="private")
        reindex.click(ui.reindex, [language], [reindex_status, table], api_name="reindex",
                      concurrency_limit=1)
        documents_tab.wire(documents, documents_tab.DocumentsTab(ui), language, table, tab, app)
    return app


STORAGE_KEY = "moc-assistant-conversation"


def storage_secret(settings: Settings) -> str:
    """The key Gradio scrambles the browser's copy with. It is sent to the page, so it
    protects nothing; stable per data folder, so that a restarted server still reads the
    copies it made, and two installations on one address do not read each other's."""
    return hashlib.sha256(str(settings.data_dir.resolve()).encode("utf-8")).hexdigest()[:32]


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
    stop: gr.Button
    notice: gr.Markdown
    clear: gr.Button
    feedback: gr.Group
    thumbs_up: gr.Button
    thumbs_down: gr.Button
    details: gr.Column
    comment: gr.Textbox
    correction: gr.Textbox
    send_feedback: gr.Button
    feedback_status: gr.Markdown
    sources: gr.HTML
    viewer: gr.Column
    document: gr.HTML
    close_document: gr.Button


def chat_tab(labels: Labels) -> ChatComponents:
    new = labels.new
    with gr.Row(elem_id="chat-row"):
        with gr.Column(scale=3, elem_id="chat-main"):
            start, examples = start_screen(labels)
            chatbot = new(
                gr.Chatbot, {"label": "ui_chatbot"}, elem_id="chatbot", height=460,
                layout="bubble", buttons=["copy"], feedback_options=("Like", "Dislike"),
                # Texts arrive escaped (ui/render.py); sanitising stays on as a second guard.
                sanitize_html=True, render_markdown=True, allow_tags=False, latex_delimiters=[],
            )
            # Under the answer, once there is one: a vote, then a comment and a correction.
            with gr.Group(elem_id="feedback", visible=False) as feedback:
                with gr.Row(elem_id="feedback-row"):
                    new(gr.Markdown, {"value": bold("ui_feedback")}, elem_id="feedback-title")
                    up = new(gr.Button, {"value": "ui_thumbs_up"}, elem_id="thumbs-up",
                             size="sm")
                    down = new(gr.Button, {"value": "ui_thumbs_down"}, elem_id="thumbs-down",
                               size="sm")
                with gr.Column(elem_id="feedback-details", visible=False) as details:
                    comment = new(gr.Textbox, {"label": "ui_comment"},
                                  elem_id="feedback-comment", lines=2)
                    correction = new(gr.Textbox, {"label": "ui_correction"}, lines=2,
                                     elem_id="feedback-correction", visible=False)
                    send_feedback = new(gr.Button, {"value": "ui_feedback_send"},
                                        elem_id="feedback-send", size="sm")
                feedback_status = gr.Markdown(elem_id="feedback-status")
            with gr.Row(elem_id="input-row"):
                question = new(gr.Textbox, {"label": "ui_input", "placeholder":
                                            "ui_input_placeholder"},
                               elem_id="chat-input", scale=5, autofocus=True, show_label=False,
                               lines=1, max_lines=6)
                send = new(gr.Button, {"value": "ui_send"}, elem_id="send-button",
                           variant="primary", scale=1)
                stop = new(gr.Button, {"value": "ui_stop"}, elem_id="stop-button",
                           variant="stop", scale=1, visible=False)
            notice = gr.Markdown(elem_id="chat-notice")
            clear = new(gr.Button, {"value": "ui_clear"}, elem_id="clear-button", size="sm")
        with gr.Column(scale=2, elem_id="chat-side"):
            new(gr.Markdown, {"value": lambda lang: "### " + message("ui_sources", lang)},
                elem_id="sources-title")
            sources = gr.HTML(sources_html(None, labels.lang), elem_id="sources",
                              js_on_load=SOURCES_JS)
    with gr.Column(elem_id="document-viewer", visible=False) as viewer:
        close = new(gr.Button, {"value": "ui_document_close"}, elem_id="document-close",
                    size="sm")
        document = gr.HTML("", elem_id="document", js_on_load=DOCUMENT_JS)
    return ChatComponents(start, examples, chatbot, question, send, stop, notice, clear,
                          feedback, up, down, details, comment, correction, send_feedback,
                          feedback_status, sources, viewer, document, close)


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
    text: gr.Textbox
    theme: gr.Dropdown
    town: gr.Dropdown
    search: gr.Button
    cards: gr.HTML


def directory_filters(ui: ChatUI, labels: Labels) -> DirectoryComponents:
    """A search box, theme and town choices (their names follow the language), a button,
    the cards."""
    with gr.Row(equal_height=True, elem_id="directory-filters"):
        text = labels.new(gr.Textbox, {"label": "ui_directory_text",
                                       "placeholder": "ui_directory_text_placeholder"},
                          elem_id="directory-text", scale=3, min_width=200, max_lines=1)
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
    return DirectoryComponents(text, theme, town, search, cards)


def wire_directory(ui: ChatUI, directory: DirectoryComponents, tab: gr.Tab,
                   language: gr.Radio, app: gr.Blocks) -> None:
    filters = [directory.theme, directory.town, language, directory.text]
    directory.search.click(ui.directory_cards, filters, [directory.cards],
                           api_name="directory")
    directory.text.submit(ui.directory_cards, filters, [directory.cards],
                          api_visibility="private")
    # As one types: "change", since Gradio's "input" missed deletions and text set at once.
    directory.text.change(ui.directory_cards, filters, [directory.cards],
                          api_visibility="private", trigger_mode="always_last",
                          show_progress="hidden")
    for choice in (directory.theme, directory.town):  # a user's pick re-renders at once
        choice.input(ui.directory_cards, filters, [directory.cards], api_visibility="private")
    # Cards in the new language; the dropdowns' own texts follow through ChatUI.relabel.
    language.change(ui.directory_cards, filters, [directory.cards], api_visibility="private")
    refreshed = [directory.town, directory.cards]
    app.load(ui.show_directory, filters, refreshed, api_visibility="private")
    tab.select(ui.show_directory, filters, refreshed, api_visibility="private")


def wire_chat(ui: ChatUI, chat: ChatComponents, conversation: gr.State, target: gr.State,
              stored: gr.BrowserState, language: gr.Radio, app: gr.Blocks) -> None:
    """Every event of the chat tab. Every handler that reads the conversation or the vote
    it points at gets the caller's own (``mine``): a session id reused by another user
    shows and changes nothing of it."""
    outputs = [chat.question, chat.chatbot, chat.sources, chat.start, chat.feedback,
               chat.feedback_status, target, chat.stop, chat.notice, stored]
    wire_questions(ui, chat, conversation, stored, language, app, outputs)
    wire_sources(ui, chat, conversation, language)
    wire_feedback(ui, chat, conversation, target, language)


def wire_questions(ui: ChatUI, chat: ChatComponents, conversation: gr.State,
                   stored: gr.BrowserState, language: gr.Radio, app: gr.Blocks,
                   outputs: list[Any]) -> None:
    """Asking (the box, Send, the examples), Stop, clearing and the restore at load."""
    def respond(question: str, session: Conversation, lang: str,
                request: gr.Request) -> Iterator[tuple[Any, ...]]:
        for view in ui.respond(question, mine(session, request), lang, request):
            yield view.outputs

    def clear(lang: str, session: Conversation, request: gr.Request) -> tuple[Any, ...]:
        return ui.clear(lang, mine(session, request)).outputs

    def restore(saved: Any, session: Conversation, lang: str,
                request: gr.Request) -> tuple[Any, ...]:
        return ui.restore(saved, mine(session, request), lang, request).outputs

    def stop(session: Conversation, request: gr.Request) -> None:
        ui.stop(mine(session, request))

    # "multiple": a question sent while an answer streams is a second event, which waits
    # its turn in the conversation (ChatUI.respond) instead of being dropped.
    shared: dict[str, Any] = {"concurrency_id": "chat",
                              "concurrency_limit": chat_workers(ui.service.settings),
                              "show_progress": "hidden", "trigger_mode": "multiple"}
    inputs = [chat.question, conversation, language]
    chat.question.submit(respond, inputs, outputs, api_name="ask", **shared)
    chat.send.click(respond, inputs, outputs, api_visibility="private", **shared)
    for button in chat.examples:  # the button's own text is the question
        button.click(respond, [button, conversation, language], outputs,
                     api_visibility="private", **shared)
    chat.stop.click(stop, [conversation], [], api_visibility="private",
                    concurrency_limit=None, show_progress="hidden")
    chat.clear.click(clear, [language, conversation], outputs, api_name="clear")
    chat.chatbot.clear(clear, [language, conversation], outputs, api_visibility="private")
    app.load(restore, [stored, conversation, language], outputs, api_visibility="private",
             show_progress="hidden")


def wire_sources(ui: ChatUI, chat: ChatComponents, conversation: gr.State,
                 language: gr.Radio) -> None:
    """A message's sources in the panel, and the whole document at a passage."""
    def show_sources(evt: gr.SelectData, session: Conversation, lang: str,
                     request: gr.Request) -> str:
        return ui.show_sources(evt, mine(session, request), lang)

    def open_document(evt: gr.EventData, session: Conversation, lang: str,
                      request: gr.Request) -> tuple[Any, str]:
        return ui.open_document(evt, mine(session, request), lang)

    chat.chatbot.select(show_sources, [conversation, language], [chat.sources],
                        api_visibility="private")
    chat.sources.click(open_document, [conversation, language],
                       [chat.viewer, chat.document], api_visibility="private")
    chat.close_document.click(lambda: (gr.update(visible=False), ""), None,
                              [chat.viewer, chat.document], api_visibility="private")


def wire_feedback(ui: ChatUI, chat: ChatComponents, conversation: gr.State,
                  target: gr.State, language: gr.Radio) -> None:
    """Thumbs (the chatbot's and the panel's), the comment and the correction."""
    def on_like(evt: gr.LikeData, session: Conversation, comment: str, correction: str,
                vote: FeedbackTarget | None, lang: str, request: gr.Request) -> FeedbackView:
        own = mine(session, request)
        return ui.on_like(evt, own, comment, correction, vote if own is session else None, lang)

    def thumb(rate: Callable[..., FeedbackView]) -> Callable[..., FeedbackView]:
        def handler(session: Conversation, comment: str, correction: str,
                    vote: FeedbackTarget | None, lang: str, request: gr.Request) -> FeedbackView:
            own = mine(session, request)
            return rate(own, comment, correction, vote if own is session else None, lang)
        return handler

    def send_comment(vote: FeedbackTarget | None, comment: str, correction: str, lang: str,
                     session: Conversation, request: gr.Request) -> tuple[str, str, str]:
        own = mine(session, request) is session
        return ui.send_comment(vote if own else None, comment, correction, lang)

    feedback_inputs = [conversation, chat.comment, chat.correction, target, language]
    feedback_outputs = [chat.feedback_status, target, chat.correction, chat.details]
    chat.chatbot.like(on_like, feedback_inputs, feedback_outputs, api_visibility="private")
    chat.thumbs_up.click(thumb(ui.thumbs_up), feedback_inputs, feedback_outputs,
                         api_visibility="private")
    chat.thumbs_down.click(thumb(ui.thumbs_down), feedback_inputs, feedback_outputs,
                           api_visibility="private")
    chat.send_feedback.click(send_comment,
                             [target, chat.comment, chat.correction, language, conversation],
                             [chat.feedback_status, chat.comment, chat.correction],
                             api_visibility="private")


def mine(session: Conversation, request: gr.Request | None) -> Conversation:
    """The caller's conversation: the session's, once its first user has claimed it; for any
    other user (a session id reused), a new empty one."""
    return session.owned_by(user_of(request))


def chat_workers(settings: Settings) -> int:
    """Gradio workers for the chat's events. Each person in the answer line holds one while
    waiting (it shows their place), so there is one for every answer slot and every place
    in line, some for the replies being shown word by word, and a few that give the "busy"
    answer at once when the line is full: nobody waits unseen in Gradio's own queue."""
    return settings.ui_concurrency + settings.ui_queue_size + STREAMING_WORKERS + REFUSAL_WORKERS


# -- launch --------------------------------------------------------------------------------------
def launch_app(app: gr.Blocks, users: UserTable, *, host: str, port: int, share: bool = False,
               prevent_thread_lock: bool = False, lang: str = "fr",
               max_file_size: int | None = None, settings: Settings | None = None) -> Any:
    """Serve the app; sign-in when accounts exist, else loopback only (checked again here).
    Uploads are size-limited (``max_file_size``, else the settings' upload limit), sign-ins
    last ``ui_session_hours``, and FastAPI's own ``/openapi.json`` is not served."""
    settings = settings or Settings()
    check_exposure(host, share, users)
    app.queue(default_concurrency_limit=4)
    token_seconds = settings.ui_session_hours * 3600
    note = sign_in_note(users, lang)
    served = app.launch(
        server_name=host, server_port=port, share=share,
        # A coroutine: Gradio awaits it (its stubs only name plain functions).
        auth=users.sign_in if users else None,  # type: ignore[arg-type]
        auth_message=note,
        prevent_thread_lock=True, css=CSS, max_threads=chat_workers(settings) + OTHER_THREADS,
        theme=gr.themes.Default(font=FONTS, font_mono=MONO_FONTS),
        # No footer (its API and settings pages are for developers); no run history kept
        # in the browser (it would hold the questions asked).
        ssr_mode=False, mcp_server=False, footer_links=[], run_history=False, quiet=True,
        # Uploads over it never reach the disk (Gradio answers 413 while receiving them).
        max_file_size=max_file_size or upload_limit(settings),
        app_kwargs={"openapi_url": None,
                    # Before Gradio's routes: our sign-in page (a real form) instead of its own.
                    "middleware": [Middleware(HttpGuard, token_seconds=token_seconds,
                                              lang=lang, note=note)]},
    )
    expire_tokens(app, token_seconds)
    if not prevent_thread_lock:
        app.block_thread()
    return served


def expire_tokens(app: gr.Blocks, seconds: float) -> None:
    """Swap Gradio's session tokens (a plain dict, kept forever) for expiring ones, before
    anyone could sign in (the server has just started)."""
    tokens = ExpiringTokens(seconds)
    for token, user in app.server_app.tokens.items():
        tokens[token] = user
    app.server_app.tokens = tokens
