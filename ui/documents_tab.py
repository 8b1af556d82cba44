"""The Documents tab's own controls: upload one or several files (PDF, DOCX, ODT, HTML,
Markdown, text) into the corpus, remove a document, each with one result line per file
(added, replaced, unchanged, removed, refused and why) and the re-index's summary.

The re-index is the service's incremental one, run in this event's worker: the chat's
events have their own pool and keep answering from the current store generation until the
new one is switched in. When accounts exist, only a signed-in user may change documents.
``build`` lays the controls out inside the tab; ``wire`` connects them (``ui/app.py`` calls
both)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.core.errors import AssistantError
from assistant.core.messages import message
from assistant.service.documents import DocumentChange, upload_limit
from assistant.service.presenters import report_summary, report_warnings
from ui.gradio_offline import gr
from ui.handlers import ChatUI
from ui.labels import Labels
from ui.render import chat_markdown

logger = logging.getLogger(__name__)

ACCEPTED = [".pdf", ".docx", ".odt", ".html", ".htm", ".md", ".markdown", ".txt"]
DocumentsView = tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]
# status, documents table, removal choices, upload box (emptied once its files are handled)


@dataclass
class DocumentsComponents:
    upload: gr.File
    add: gr.Button
    choice: gr.Dropdown
    remove: gr.Button
    status: gr.Markdown


class DocumentsTab:
    """Handlers of the tab's controls, over the chat UI's service (tests call them)."""

    def __init__(self, ui: ChatUI) -> None:
        self.ui = ui
        self.service = ui.service

    # -- access --------------------------------------------------------------------------
    def may_change(self, request: gr.Request | None) -> bool:
        """Without accounts the app only listens on loopback: whoever reaches it may. With
        accounts, only a request signed in as one of them."""
        accounts = self.service.settings.ui_users
        if not accounts:
            return True
        name = getattr(request, "username", None)
        return bool(name) and name in accounts

    # -- handlers ------------------------------------------------------------------------
    def add(self, files: Sequence[Any] | None, lang: str,
            request: gr.Request | None = None) -> Iterator[DocumentsView]:
        """Copy the uploaded files into the corpus, then re-index; one line per file."""
        paths = [Path(_file_path(f)) for f in files or [] if _file_path(f)]
        if not self.may_change(request):
            yield self._view(message("ui_documents_sign_in", lang), lang)
            return
        if not paths:
            yield self._view(message("ui_documents_no_file", lang), lang)
            return
        yield self._view(message("ui_documents_working", lang), lang, keep_upload=True)
        named = [(p.name, p) for p in paths]  # gradio keeps the uploaded name on its copy
        yield self._view(self._run(lambda: self.service.add_documents(named), lang), lang)

    def remove(self, name: str | None, lang: str,
               request: gr.Request | None = None) -> Iterator[DocumentsView]:
        """Remove the chosen document from the corpus, then re-index."""
        if not self.may_change(request):
            yield self._view(message("ui_documents_sign_in", lang), lang, keep_upload=True)
            return
        if not name:
            yield self._view(message("ui_documents_no_choice", lang), lang, keep_upload=True)
            return
        yield self._view(message("ui_documents_working", lang), lang, keep_upload=True)
        yield self._view(self._run(lambda: self.service.remove_documents([name]), lang), lang,
                         keep_upload=True)

    def choices(self) -> dict[str, Any]:
        """The removal list: each indexed document by its title and file."""
        try:
            documents = self.service.documents()
        except AssistantError:
            documents = []
        return gr.update(choices=[(f"{r.title} — {name}", name) for name, r in documents],
                         value=None)

    # -- helpers -------------------------------------------------------------------------
    def _run(self, change: Any, lang: str) -> str:
        try:
            done: DocumentChange = change()
        except AssistantError as exc:
            return exc.render(lang)
        except Exception as exc:  # a bug: one line here, the traceback in the log
            logger.exception("changing the documents failed")
            return message("internal_error", lang, detail=f"{type(exc).__name__}: {exc}"[:200])
        return status_markdown(done, lang)

    def _view(self, status: str, lang: str, *, keep_upload: bool = False) -> DocumentsView:
        upload = gr.update() if keep_upload else gr.update(value=None)
        return status, self.ui.documents_table(lang), self.choices(), upload


def _file_path(item: Any) -> str:
    """A gradio upload as a path (a str with type="filepath", else an object with .name)."""
    if isinstance(item, str | Path):
        return str(item)
    return str(getattr(item, "path", None) or getattr(item, "name", "") or "")


def status_markdown(change: DocumentChange, lang: str) -> str:
    """One escaped line per file, then what the re-index did (or that nothing changed)."""
    lines = [chat_markdown(o.line(lang)) for o in change.outcomes]
    if change.report is None:
        lines.append(message("doc_nothing_changed", lang))
    else:
        ours = {o.stored for o in change.outcomes}
        lines += [chat_markdown(w) for w, s in zip(report_warnings(change.report, lang),
                                                  change.report.skipped, strict=False)
                  if s.name not in ours]
        lines.append(report_summary(change.report, lang))
    return "\n".join(f"- {line}" for line in lines)


# -- layout --------------------------------------------------------------------------------
def build(ui: ChatUI, labels: Labels) -> DocumentsComponents:
    """The upload box, its button, the removal list and button, the status line (inside
    the Documents tab, under the table)."""
    limit_mb = upload_limit(ui.service.settings) / 1_000_000
    new = labels.new
    with gr.Row():
        with gr.Column(scale=3, min_width=240):
            upload = new(gr.File, {"label": "ui_documents_upload"}, file_count="multiple",
                         file_types=ACCEPTED, type="filepath", elem_id="documents-upload")
            new(gr.Markdown, {"value": lambda lang: message("ui_documents_help", lang,
                                                            limit=f"{limit_mb:g}")},
                elem_id="documents-help")
            add = new(gr.Button, {"value": "ui_documents_add"}, variant="primary",
                      elem_id="documents-add")
        with gr.Column(scale=2, min_width=240):
            choice = new(gr.Dropdown, {"label": "ui_documents_remove_choice"}, choices=[],
                         value=None, elem_id="documents-remove-choice")
            remove = new(gr.Button, {"value": "ui_documents_remove"}, variant="stop",
                         size="sm", elem_id="documents-remove")
    status = gr.Markdown(elem_id="documents-status")
    return DocumentsComponents(upload, add, choice, remove, status)


def wire(components: DocumentsComponents, tab: DocumentsTab, language: gr.Radio,
         table: gr.Dataframe, opened: gr.Tab, app: gr.Blocks) -> None:
    """Add and remove run one at a time (``documents``), apart from the chat's pool."""
    outputs = [components.status, table, components.choice, components.upload]
    shared: dict[str, Any] = {"concurrency_id": "documents", "concurrency_limit": 1,
                              "api_visibility": "private"}
    components.add.click(tab.add, [components.upload, language], outputs, **shared)
    components.remove.click(tab.remove, [components.choice, language], outputs, **shared)
    for event in (opened.select, app.load):  # the table itself is refreshed by ui/app.py
        event(tab.choices, None, [components.choice], api_visibility="private")
