"""The Documents tab in a real browser (Debian Chromium through Playwright, never a
downloaded browser): upload a PDF and a DOCX, see one result line per file, then ask the
chat two questions only they answer and see each cited passage, from the uploaded file,
with the cited sentence highlighted. Real offline embedding model over a one-document
corpus (its own, so the other tests' corpus is untouched)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_support import (
    TIMEOUT_MS,
    artifact,
    browsed,
    launched_chromium,
    sync_api,
    words,
)
from conftest import CORPUS, free_tcp_port, make_settings
from document_files import (
    SAMPLE,
    SAMPLE_2,
    SAMPLE_2_FACT,
    SAMPLE_2_QUESTION,
    SAMPLE_FACT,
    SAMPLE_QUESTION,
    write_docx,
    write_pdf,
)

from assistant.core.messages import message
from assistant.service.assistant_service import AssistantService
from assistant.service.feedback import FeedbackStore
from ui.app import build_app, launch_app
from ui.auth import UserTable
from ui.handlers import ChatUI

pytestmark = [pytest.mark.browser, pytest.mark.slow]

INDEX_TIMEOUT_MS = 120_000  # reading, embedding and switching in the two new documents
ANSWER_TIMEOUT = 60.0
PDF_NAME, DOCX_NAME = "Rapport Habitat (2024).pdf", "maison-des-jeunes.docx"
PDF_STORED = "Rapport-Habitat-2024.pdf"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app over a real-model service whose corpus holds one document; the folder of
    the files to upload."""
    base = tmp_path_factory.mktemp("browser-documents")
    corpus = base / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "wsm-fiche-organisation.txt", corpus)
    settings = make_settings(corpus, base / "data")
    service = AssistantService(settings)
    service.ingest()
    service.warm()
    uploads = base / "uploads"
    uploads.mkdir()
    write_pdf(uploads / PDF_NAME)
    write_docx(uploads / DOCX_NAME, SAMPLE_2)
    app = build_app(service, settings, ui=ChatUI(service, FeedbackStore.for_settings(settings)))
    port = free_tcp_port()
    launch_app(app, UserTable({}), host="127.0.0.1", port=port, prevent_thread_lock=True,
               max_file_size=settings.upload_max_bytes)
    try:
        yield f"http://127.0.0.1:{port}/", uploads
    finally:
        app.close()



def answer_with_sources(page: Any, count: int) -> str:
    """Bot message ``count`` once it stopped changing and the sources panel shows cards."""
    deadline = time.monotonic() + ANSWER_TIMEOUT
    seen, since, texts = None, time.monotonic(), []
    while time.monotonic() < deadline:
        texts = page.locator("#chatbot [data-testid='bot']").all_inner_texts()
        current = words(texts[-1]) if len(texts) == count else None
        if current != seen:
            seen, since = current, time.monotonic()
        elif (current and time.monotonic() - since >= 1.0
              and page.locator("#sources section.source").count()):
            return current
        page.wait_for_timeout(100)
    raise AssertionError(f"answer {count} did not finish; bot messages: {texts!r}")


def ask(page: Any, question: str, count: int) -> str:
    page.locator("#chat-input textarea").fill(question)
    page.locator("#send-button").click()
    return answer_with_sources(page, count)


def test_upload_a_pdf_and_a_docx_then_ask_them(served: tuple[str, Path], browser: Any) -> None:
    url, uploads = served
    expect = sync_api.expect
    expect.set_options(timeout=TIMEOUT_MS)
    with browsed(browser, "documents-failure.png") as page:
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_role("tab", name=message("ui_tab_documents", "fr")).click()
        page.locator("#documents-upload input[type=file]").set_input_files(
            [str(uploads / PDF_NAME), str(uploads / DOCX_NAME)])
        for name in (PDF_NAME, DOCX_NAME):  # both uploaded before the button is pressed
            expect(page.locator("#documents-upload")).to_contain_text(Path(name).stem)
        page.locator("#documents-add").click()
        status = page.locator("#documents-status")
        expect(status).to_contain_text("Index mis à jour", timeout=INDEX_TIMEOUT_MS)
        expect(status).to_contain_text(message("doc_added", "fr", name=PDF_STORED))
        expect(status).to_contain_text(message("doc_added", "fr", name=DOCX_NAME))
        table = page.locator("#documents-table")
        expect(table).to_contain_text(SAMPLE.title)
        expect(table).to_contain_text(SAMPLE_2.title)
        page.screenshot(path=str(artifact("documents-upload-1440x900.png")), full_page=True)

        page.get_by_role("tab", name=message("ui_tab_chat", "fr")).click()
        for count, (question, fact, source, title) in enumerate((
                (SAMPLE_QUESTION, SAMPLE_FACT, PDF_STORED, SAMPLE.title),
                (SAMPLE_2_QUESTION, SAMPLE_2_FACT, DOCX_NAME, SAMPLE_2.title)), start=1):
            text = ask(page, question, count)
            assert fact in text, text
            card = page.locator("#sources section.source").first
            expect(card.locator("h4")).to_contain_text(title)
            expect(card.locator(".source-meta")).to_contain_text(source)
            assert fact in card.locator("mark").first.inner_text()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launched_chromium()
