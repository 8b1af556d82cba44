"""Gradio web chat (issue 3), a thin layer over ``AssistantService`` and ``FeedbackStore``:
``build_app`` lays out the components and wires them to the handlers of ``ChatUI``
(``ui/handlers.py``); ``launch_app`` serves it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assistant.core.messages import message
from assistant.core.settings import Settings
from assistant.service.assistant_service import AssistantService
from assistant.service.feedback import FeedbackStore
from ui import documents_tab
from ui.auth import UserTable, check_exposure
from ui.gradio_offline import gr
from ui.handlers import ALL, ChatUI
from ui.labels import Labels, message_list
from ui.render import CSS, sources_html

CHAT_CONCURRENCY = 16  # sessions answered at once (the service serialises retrieval itself)
PERSONAS = ("staff", "volunteer", "trainer")
LANGUAGES = [("Français", "fr"), ("English", "en")]


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
                documents = documents_tab.build(ui, labels)  # upload and remove
        wire_chat(ui, chat, session, target, language)
        language.change(ui.relabel, [language, session], [*labels.blocks, chat.sources, table],
                        api_visibility="private")
        app.load(ui.documents_table, [language], [table], api_visibility="private")
        wire_directory(ui, directory, directory_tab, language, app)
        tab.select(ui.documents_table, [language], [table], api_visibility="private")
        reindex.click(ui.reindex, [language], [reindex_status, table], api_name="reindex",
                      concurrency_limit=1)
        documents_tab.wire(documents, documents_tab.DocumentsTab(ui), language, table, tab, app)
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
               prevent_thread_lock: bool = False, lang: str = "fr",
               max_file_size: int | None = None) -> Any:
    """Serve the app; sign-in when accounts exist, else loopback only (checked again here)."""
    check_exposure(host, share, users)
    app.queue(default_concurrency_limit=4)
    return app.launch(
        server_name=host, server_port=port, share=share,
        auth=users if users else None, auth_message=message("ui_auth", lang),
        prevent_thread_lock=prevent_thread_lock, css=CSS, theme=gr.themes.Default(),
        ssr_mode=False, mcp_server=False, footer_links=["api", "settings"], quiet=True,
        max_file_size=max_file_size,  # uploads (Documents tab) over it never reach the disk
    )
