"""The web chat in a real browser: headless Debian Chromium driven by Playwright (sync API),
against the app served on loopback with the real offline embedding model.

The main scenario: an example question from the start screen, a cited answer, its source
with the cited sentence highlighted, a thumbs down with a comment and a correction that
``assistant feedback export`` then writes out, a follow-up sent with the conversation,
typed HTML that stays text, and screenshots at desktop and phone widths. Then issue 16's
promises: two questions sent while an answer streams both answered, Stop, a reload that
finds the conversation, the trash and "new conversation" forgetting it on the server; a
citation [n] that highlights its card; the look in light and dark mode on a phone.
Screenshots go to ``test-artifacts/`` (git-ignored). Uploading a PDF and a DOCX is
tests/test_browser_documents.py. Never downloads a browser: without /usr/bin/chromium
(``apt-get install chromium``) the tests skip.

The follow-ups check what the interface owes them (the service is asked with the
conversation, the reply shown is the service's answer), not what the engine finds.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
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
from conftest import CliRunner, cli_env, free_tcp_port

from assistant.core.messages import message, prompt_file
from assistant.core.types import Answer, History
from assistant.service.assistant_service import AssistantService
from assistant.service.feedback import FeedbackStore
from ui.app import build_app, launch_app
from ui.auth import UserTable
from ui.handlers import ChatUI
from ui.render import DIRECTORY_PAGE, citation_numbers, shown_reply

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ANSWER_TIMEOUT = 60.0  # seconds for one answer to stream in completely

EXAMPLE_ID = "example-staff-0"
FIRST = prompt_file("fr", "messages")["ui_examples_staff"][0]  # "Quand WSM a-t-elle été fondée ?"
# A follow-up that means something only with the conversation (about WSM).
FOLLOW_UP = "Et où se trouve-t-elle ?"
TYPED_HTML = "<script>alert(1)</script>"
COMMENT = "Test navigateur : il manque le nom complet de l'organisation."
CORRECTION = "WSM (Solidarité Mondiale) a été fondée en 1974 par l'ACW/MOC."
CITATION = re.compile(r"\[\d+\]")

BOT = "#chatbot [data-testid='bot'] .message-content"
USER = "#chatbot [data-testid='user'] .message-content"



@dataclass
class Served:
    url: str
    ui: ChatUI
    calls: list[tuple[str, History, Answer]]  # what the service was asked, in order


@pytest.fixture
def served(real_service: AssistantService, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """The Gradio app over the real-model service on a free loopback port (background
    thread), with every question the service answers recorded; closed at the end."""
    calls: list[tuple[str, History, Answer]] = []
    lock = threading.Lock()
    ask = real_service.ask

    def recording_ask(question: str, history: History | None = None) -> Answer:
        answer = ask(question, history)
        with lock:
            calls.append((question, [tuple(t) for t in history or []], answer))  # type: ignore[misc]
        return answer

    monkeypatch.setattr(real_service, "ask", recording_ask)
    settings = real_service.settings
    ui = ChatUI(real_service, FeedbackStore.for_settings(settings))  # real streaming delay
    app = build_app(real_service, settings, ui=ui)
    port = free_tcp_port()
    launch_app(app, UserTable({}), host="127.0.0.1", port=port, prevent_thread_lock=True)
    try:
        yield Served(f"http://127.0.0.1:{port}/", ui, calls)
    finally:
        app.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launched_chromium()


def wait_for_answer(page: Any, count: int, *, with_sources: bool = True,
                    timeout: float = ANSWER_TIMEOUT) -> str:
    """The text of bot message ``count`` once it has finished streaming.

    Finished: there are ``count`` bot messages, the last is no longer the "searching"
    placeholder, its text has not changed for a second, and (``with_sources``) the sources
    panel left its placeholder, which the app only replaces with the final yield.
    """
    thinking = message("ui_thinking", "fr")
    empty = message("ui_sources_empty", "fr")
    deadline = time.monotonic() + timeout
    seen, since = None, time.monotonic()
    texts: list[str] = []
    while time.monotonic() < deadline:
        texts = page.locator(BOT).all_inner_texts()
        sources = page.locator("#sources").inner_text()
        current = words(texts[-1]) if len(texts) == count else None
        if current != seen:
            seen, since = current, time.monotonic()
        elif (current and current != words(thinking) and time.monotonic() - since >= 1.0
              and not (with_sources and empty in sources)):
            return current
        page.wait_for_timeout(100)
    raise AssertionError(f"answer {count} did not finish in {timeout:.0f} s; "
                         f"bot messages: {texts!r}")


def save_screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    path = artifact(name)
    page.screenshot(path=str(path), full_page=full_page)
    return path


def test_chat_in_a_real_browser(served: Served, browser: Any, run_cli: CliRunner) -> None:
    expect = sync_api.expect
    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="fr-BE")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        run_scenario(page, expect, served, run_cli, dialogs)
        # Read before closing: closing the page aborts its open event stream.
        errors, fetched = list(page_errors), list(requests)
    except BaseException:
        with contextlib.suppress(Exception):  # the failure itself matters more than its picture
            save_screenshot(page, "browser-failure.png")
        raise
    finally:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"
    # Nothing fetched from anywhere but the app itself (no CDN fonts or scripts, no telemetry).
    outside = [u for u in fetched if not u.startswith((served.url, "data:", "blob:"))]
    assert not outside, outside
    # System fonts only: Gradio's own font files (a bold face of 55 glyphs) are not loaded.
    fonts = [u for u in fetched if u.split("?")[0].endswith((".woff2", ".woff", ".ttf"))]
    assert not fonts, fonts


def run_scenario(page: Any, expect: Any, served: Served, run_cli: CliRunner,
                 dialogs: list[str]) -> None:
    page.goto(served.url, wait_until="domcontentloaded")

    # -- start screen: one click asks an example question ------------------------------------
    expect(page.locator("#start-screen")).to_be_visible()
    expect(page.locator("#thumbs-down")).to_be_hidden()  # no feedback before an answer
    expect(page.get_by_text("Utiliser via API")).to_have_count(0)  # no Gradio footer
    expect(page.locator("footer")).to_be_hidden()
    example = page.locator(f"#{EXAMPLE_ID}")
    expect(example).to_have_text(FIRST)
    example.click()
    first_text = wait_for_answer(page, 1)
    assert CITATION.search(first_text), first_text
    assert "1974" in first_text, first_text
    assert page.locator(USER).all_inner_texts() == [FIRST]
    expect(page.locator("#start-screen")).to_be_hidden()
    question, history, first = served.calls[-1]
    assert (question, history) == (FIRST, [])
    # What the service answered, its citations numbered 1..n in the order it makes them.
    assert first_text == shown_text(first)
    assert first.citations

    # -- the sources panel: title and the cited sentence highlighted ---------------------------
    check_sources(page, expect, first)

    # -- thumbs down, a comment and a correction; then the export -----------------------------
    expect(page.locator("#feedback-comment textarea")).to_be_hidden()  # only after a vote
    page.locator("#thumbs-down").click()
    status = page.locator("#feedback-status")
    expect(status).to_contain_text(message("ui_feedback_saved", "fr"))
    correction_box = page.locator("#feedback-correction textarea")
    expect(correction_box).to_be_visible()  # only shown after a thumbs down
    page.locator("#feedback-comment textarea").fill(COMMENT)
    correction_box.fill(CORRECTION)
    page.locator("#feedback-send").click()
    expect(status).to_contain_text(message("ui_feedback_updated", "fr"))
    expect(page.locator("#feedback-comment textarea")).to_have_value("")
    check_export(served, run_cli, first)

    # -- a follow-up sent with the conversation, its answer shown as the service gave it -----
    page.locator("#chat-input textarea").fill(FOLLOW_UP)
    page.locator("#send-button").click()
    second_text = wait_for_answer(page, 2)
    question, history, second = served.calls[-1]
    assert (question, history) == (FOLLOW_UP, [(first.standalone_question or FIRST, first.text)])
    assert second_text == shown_text(second)
    check_panel(page, expect, second)
    assert page.locator(USER).all_inner_texts() == [FIRST, FOLLOW_UP]
    expect(page.locator("#chat-input textarea")).to_have_value("")
    # Clicking the earlier answer shows its sources again.
    page.locator("#chatbot [data-testid='bot']").first.click()
    check_sources(page, expect, first)

    # -- typed HTML is shown as text and never runs ------------------------------------------
    page.locator("#chat-input textarea").fill(TYPED_HTML)
    page.locator("#send-button").click()
    wait_for_answer(page, 3, with_sources=False)  # refused or abstained: no source either way
    users = page.locator(USER)
    expect(users).to_have_count(3)
    assert users.nth(2).inner_text().strip() == TYPED_HTML  # the literal characters, visible
    expect(users.nth(2)).to_be_visible()
    page.wait_for_timeout(300)  # a dialog, had one opened, would have been reported by now
    assert dialogs == [], f"a dialog opened: {dialogs}"
    injected = page.evaluate(
        """() => ({
            chat: document.querySelectorAll('#chatbot script, #chatbot img, #chatbot iframe')
                      .length,
            alerts: [...document.querySelectorAll('script')]
                      .filter(s => s.textContent.includes('alert(1)')).length,
        })"""
    )
    assert injected == {"chat": 0, "alerts": 0}, injected

    # -- screenshots: desktop, then a phone ----------------------------------------------------
    # The typed HTML was an abstention (no source): show the first answer's source instead.
    page.locator("#chatbot [data-testid='user']").first.click()
    check_sources(page, expect, first)
    page.evaluate("window.scrollTo(0, 0)")
    save_screenshot(page, "chat-1440x900.png", full_page=False)
    page.set_viewport_size({"width": 375, "height": 812})
    page.wait_for_timeout(500)  # let the layout settle
    check_phone_layout(page, expect)
    save_screenshot(page, "chat-375x812.png", full_page=False)
    assert dialogs == []


def no_horizontal_overflow(page: Any) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"horizontal overflow: {widths}"


def check_phone_layout(page: Any, expect: Any) -> None:
    """At 375x812, scrolled to the top: the question box and Send are on screen (kept at
    the bottom), the sources come right under the chat, nothing is wider than the screen."""
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    for selector in ("#chat-input textarea", "#send-button"):
        expect(page.locator(selector)).to_be_in_viewport(ratio=1)
    boxes = page.evaluate("""() => Object.fromEntries(['#chatbot', '#sources-title', '#sources']
        .map(s => [s, document.querySelector(s).getBoundingClientRect().toJSON()]))""")
    chat_bottom = boxes["#chatbot"]["bottom"]
    assert 0 <= boxes["#sources-title"]["top"] - chat_bottom < 60, boxes
    assert boxes["#sources"]["top"] >= boxes["#sources-title"]["bottom"] - 1, boxes
    no_horizontal_overflow(page)


def shown_text(answer: Answer) -> str:
    """The words a bubble must show for the service's answer: its notice, then its text
    with the citations numbered 1..n as the chat shows them."""
    return words(f"{answer.notice} {shown_reply(answer.text, answer)}")


def check_panel(page: Any, expect: Any, answer: Answer) -> None:
    """The sources panel of an answer: its cited passages, or the line saying it has none."""
    if answer.citations and not answer.abstained:
        check_sources(page, expect, answer)
        return
    expect(page.locator("#sources")).to_contain_text(message("ui_sources_none", "fr"))
    expect(page.locator("#sources section.source")).to_have_count(0)


def check_sources(page: Any, expect: Any, answer: Answer) -> None:
    """The sources panel shows each cited passage, numbered as the answer shows it (1..n in
    the order it cites them), with its title and its cited sentence marked."""
    numbers = citation_numbers(answer)
    assert sorted(numbers.values()) == list(range(1, len(numbers) + 1))
    citation = answer.citations[0]
    shown = numbers[citation.number]
    card = page.locator(f"#sources #source-{shown}")
    expect(card).to_be_visible()
    expect(card.locator("h4")).to_contain_text(f"[{shown}]")
    expect(card.locator("h4")).to_contain_text(citation.passage.title)
    mark = card.locator("mark").first
    expect(mark).to_be_visible()
    marked = words(mark.inner_text())
    cited = [words(c.unit_text) for c in answer.citations if c.number == citation.number]
    assert marked in cited, (marked, cited)
    expect(page.locator("#sources section.source")).to_have_count(len(numbers))


def check_export(served: Served, run_cli: CliRunner, answer: Answer) -> None:
    """``assistant feedback export`` over the same data folder writes the thumbs down."""
    settings = served.ui.service.settings
    env = cli_env(settings.corpus_dir, settings.data_dir,
                  ASSISTANT_EMBEDDING_MODEL=settings.embedding_model)
    result = run_cli(["feedback", "export"], env, timeout=60)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    ours = [r for r in records if r["comment"] == COMMENT]
    assert len(ours) == 1, records
    record = ours[0]
    assert record["q"] == FIRST and record["lang"] == "fr"
    assert (record["persona"], record["kind"], record["history"]) == ("feedback", "feedback", [])
    assert record["facts"] == [[re.escape(CORRECTION)]]
    assert record["answer_given"] == answer.text



def test_phone_header_is_readable(served: Served, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="fr-BE")
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(served.url, wait_until="domcontentloaded")
        for selector in ("#header h2", "#language", "#chat-input"):  # the row is laid out
            sync_api.expect(page.locator(selector)).to_be_visible(timeout=TIMEOUT_MS)
        page.evaluate("document.fonts.ready.then(() => true)")
        page.wait_for_timeout(300)
        layout = page.evaluate(
            """() => {
                const title = document.querySelector('#header h2');
                const text = [...title.childNodes].find(n => n.nodeType === Node.TEXT_NODE
                                                              && n.textContent.trim());
                const word = text.textContent.trim().split(/\\s+/)[0];
                const start = text.textContent.indexOf(word);
                const range = document.createRange();
                range.setStart(text, start);
                range.setEnd(text, start + word.length);
                return {word, lines: range.getClientRects().length,
                        header: document.querySelector('#header').getBoundingClientRect().width};
            }"""
        )
    finally:
        context.close()
    assert layout["lines"] == 1 and layout["header"] >= 200, layout


def test_directory_tab_filters_by_theme(served: Served, browser: Any) -> None:
    """The Directory tab opens on every organisation; picking a theme narrows the cards to
    that theme's, each showing the theme, its sources quoted."""
    from assistant.directory.organisations import theme_by_id
    from ui.handlers import searchable

    expect = sync_api.expect
    expect.set_options(timeout=TIMEOUT_MS)
    service = served.ui.service
    everyone = len(service.directory().organisations)
    expected = service.organisations(theme="migration")
    label = theme_by_id("migration").label("fr")  # type: ignore[union-attr]
    assert 0 < len(expected) < everyone
    with browsed(browser, "directory-failure.png") as page:
        page.goto(served.url, wait_until="domcontentloaded")
        page.get_by_role("tab", name=message("ui_tab_directory", "fr")).click()
        count = page.locator("#directory .directory-count")
        expect(count).to_have_text(message("orgs_header", "fr", count=everyone))
        cards = page.locator("#directory article.org")
        expect(cards).to_have_count(everyone)

        page.locator("#directory-theme input").click()
        page.get_by_role("option", name=label, exact=True).click()
        expect(count).to_have_text(message("orgs_header", "fr", count=len(expected)))
        expect(cards).to_have_count(len(expected))
        titles = [words(t) for t in cards.locator("h4").all_inner_texts()]
        assert titles == [words(o.title) for o in expected]
        for i in range(min(len(expected), DIRECTORY_PAGE)):
            expect(cards.nth(i).locator(".org-theme", has_text=label)).to_be_visible()
        # The quoted sources start folded; one click shows them.
        snippet = cards.first.locator("blockquote.org-source").first
        expect(snippet).to_be_hidden()
        cards.first.locator(".org-sources summary").click()
        expect(snippet).to_be_visible()
        # The button re-renders the same choice; the language switch relabels the cards.
        page.locator("#directory-filter").click()
        expect(cards).to_have_count(len(expected))
        page.locator("#language").get_by_text("English").click()
        expect(count).to_have_text(message("orgs_header", "en", count=len(expected)))
        expect(cards.first.locator(".org-theme", has_text=theme_by_id("migration")
                                   .label("en"))).to_be_visible()  # type: ignore[union-attr]
        expect(page.get_by_role("tab", name=message("ui_tab_directory", "en"))).to_be_visible()
        save_screenshot(page, "directory-1440x900.png")
        # The search box: every word, accents optional, as one types.
        page.locator("#directory-theme input").click()
        page.get_by_role("option", name=message("ui_directory_all", "en"), exact=True).click()
        search = page.locator("#directory-text textarea, #directory-text input").first
        search.fill("solidarite")
        found = [o.title for o in service.organisations() if "solidarite" in searchable(o)]
        assert 0 < len(found) < everyone
        expect(cards).to_have_count(len(found))
        titles = [words(t) for t in cards.locator("h4").all_inner_texts()]
        assert titles == [words(t) for t in found]
        assert any("Solidarité" in t for t in titles), titles  # typed without its accent
        page.set_viewport_size({"width": 375, "height": 812})
        search.fill("")
        expect(cards).to_have_count(everyone)
        height = page.evaluate("document.documentElement.scrollHeight")
        assert height < 6000, f"the directory is {height} px tall on a phone"
        no_horizontal_overflow(page)
        save_screenshot(page, "directory-375x812.png", full_page=False)


# -- issue 16: nothing lost, citations in one click, a product's look ----------------------------
def ask_in_page(page: Any, question: str) -> None:
    box = page.locator("#chat-input textarea")
    box.fill(question)
    box.press("Enter")


def users(page: Any) -> list[str]:
    return [words(t) for t in page.locator(USER).all_inner_texts()]


def test_nothing_is_lost(served: Served, browser: Any) -> None:
    """Two questions in a row while the first answer streams: both answered, in order, the
    second with the first as history; Stop stops; a reload finds the conversation; the
    chatbot's trash and "new conversation" forget it on the server too."""
    expect = sync_api.expect
    expect.set_options(timeout=TIMEOUT_MS)
    served.ui.stream_delay = 0.12  # a few seconds of streaming: time to type and click
    with browsed(browser, "nothing-lost-failure.png") as page:
        page.goto(served.url, wait_until="domcontentloaded")
        ask_in_page(page, FIRST)
        bot = page.locator(BOT)
        expect(bot.first).not_to_have_text(message("ui_thinking", "fr"))  # words appear
        expect(page.locator("#stop-button")).to_be_visible()
        ask_in_page(page, FOLLOW_UP)  # while the first answer streams
        expect(page.locator("#chat-input textarea")).to_have_value("")
        expect(bot.nth(1)).to_have_text(message("ui_queued", "fr"))  # shown as waiting
        assert users(page) == [FIRST, FOLLOW_UP]
        second = wait_for_answer(page, 2, timeout=90)
        assert [q for q, _, _ in served.calls] == [FIRST, FOLLOW_UP]
        (_, _, first_answer), (_, history, second_answer) = served.calls
        # Asked after the first was answered, with it as the history; shown as answered.
        history_so_far = [(first_answer.standalone_question or FIRST, first_answer.text)]
        assert history == history_so_far
        assert second == shown_text(second_answer)
        expect(page.locator("#stop-button")).to_be_hidden()

        # Stop: what appeared stays, marked; the answer is not finished.
        ask_in_page(page, "Quelles formations WSM propose-t-elle ?")
        expect(bot.nth(2)).not_to_have_text(message("ui_thinking", "fr"))
        page.locator("#stop-button").click()
        expect(bot.nth(2)).to_contain_text(message("ui_stopped", "fr"), timeout=5_000)
        stopped = words(bot.nth(2).inner_text()).replace(message("ui_stopped", "fr"), "")
        full = words(shown_reply(served.calls[-1][2].text, served.calls[-1][2]))
        assert len(stopped.strip()) < len(full), (stopped, full)
        expect(page.locator("#stop-button")).to_be_hidden()

        # A reload finds the conversation, its sources and its history.
        page.reload(wait_until="domcontentloaded")
        expect(page.locator(USER)).to_have_count(3)
        assert users(page)[:2] == [FIRST, FOLLOW_UP]
        assert words(page.locator(BOT).nth(1).inner_text()) == shown_text(second_answer)
        check_panel(page, expect, second_answer)  # the latest answer's (the stopped one has none)
        expect(page.locator("#start-screen")).to_be_hidden()
        served.ui.stream_delay = 0.0
        ask_in_page(page, "Et quand a-t-elle été fondée ?")
        wait_for_answer(page, 4)
        asked, history, _ = served.calls[-1]
        history_so_far.append((second_answer.standalone_question or FOLLOW_UP,
                               second_answer.text))
        assert (asked, history) == ("Et quand a-t-elle été fondée ?", history_so_far)

        # The chatbot's trash: the screen, the server and the browser's copy forget.
        page.get_by_role("button", name="Effacer la conversation").click()
        expect(page.locator(USER)).to_have_count(0)
        expect(page.locator("#start-screen")).to_be_visible()
        expect(page.locator("#sources .sources-note")).to_be_visible()
        ask_in_page(page, FOLLOW_UP)
        wait_for_answer(page, 1, with_sources=False)
        assert served.calls[-1][:2] == (FOLLOW_UP, [])  # no history came back
        # "New conversation" too; and a reload after it shows nothing old.
        page.locator("#clear-button").click()
        expect(page.locator(USER)).to_have_count(0)
        page.reload(wait_until="domcontentloaded")
        expect(page.locator("#start-screen")).to_be_visible()
        page.wait_for_timeout(1000)
        assert users(page) == []
        ask_in_page(page, FOLLOW_UP)
        wait_for_answer(page, 1, with_sources=False)
        assert served.calls[-1][:2] == (FOLLOW_UP, [])

        # A question over the length limit stays in the box, the reason under it.
        limit = served.ui.service.settings.max_question_chars
        too_long = " ".join(["Pourquoi ?"] * (limit // 10 + 1))
        asked_so_far = len(served.calls)
        ask_in_page(page, too_long)
        refused = message("question_too_long", "fr", length=len(too_long), limit=limit)
        expect(page.locator("#chat-notice")).to_contain_text(refused)
        expect(page.locator("#chat-input textarea")).to_have_value(too_long)
        assert len(served.calls) == asked_so_far and len(users(page)) == 1  # never asked


def test_citations_in_one_click(served: Served, browser: Any) -> None:
    """Each [n] of an answer is a link: a click shows its answer's sources, scrolls to card
    n and highlights it; the card opens the whole document at the cited passage."""
    expect = sync_api.expect
    expect.set_options(timeout=TIMEOUT_MS)
    with browsed(browser, "citations-failure.png") as page:
        page.goto(served.url, wait_until="domcontentloaded")
        ask_in_page(page, FIRST)
        wait_for_answer(page, 1)
        ask_in_page(page, "Que fait le CIEP ?")
        wait_for_answer(page, 2)
        first = served.calls[0][2]
        links = page.locator(BOT).first.locator("a.cite")
        expect(links.first).to_have_text("[1]")
        # The panel shows the second answer's sources; a citation of the first brings its
        # own, its card highlighted and in view.
        assert page.locator("#sources .sources").get_attribute("data-exchange") == "1"
        link = links.last
        number = int(link.inner_text().strip("[]"))
        link.click()
        card = page.locator(f"#sources .sources[data-exchange='0'] #source-{number}")
        expect(card).to_have_class(re.compile(r"\bsource-active\b"))
        expect(card).to_be_in_viewport()
        check_sources(page, expect, first)
        expect(page.locator("#sources .source-active")).to_have_count(1)

        # The whole document, scrolled to the passage with its sentence marked.
        card.locator("button.open-document").click()
        viewer = page.locator("#document-viewer")
        expect(viewer).to_be_visible()
        focus = viewer.locator("#doc-focus")
        expect(focus).to_be_in_viewport()
        expect(focus.locator("mark").first).to_be_visible()
        assert viewer.locator(".document-passage").count() > 1  # the whole document
        cited = next(c for c in first.citations if citation_numbers(first)[c.number] == number)
        expect(viewer.locator("h3")).to_have_text(cited.passage.title)
        save_screenshot(page, "document-1440x900.png", full_page=False)
        page.keyboard.press("Escape")
        expect(viewer).to_be_hidden()


CONTRAST = """(selector) => {
    const lum = (c) => { const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map(Number)
        .map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    const style = getComputedStyle(document.querySelector(selector));
    const [a, b] = [lum(style.color), lum(style.backgroundColor)].sort((x, y) => y - x);
    return (a + 0.05) / (b + 0.05);
}"""

BROKEN_HEADERS = """() => [...document.querySelectorAll('#documents-table th')].filter(th => {
    const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const word of node.nodeValue.matchAll(/\\S+/g)) {
            const range = document.createRange();
            range.setStart(node, word.index);
            range.setEnd(node, word.index + word[0].length);
            if (range.getClientRects().length > 1) return true;
        }
    }
    return false;
}).map(th => th.innerText.trim())"""

VISIBLE_HEADERS = """() => [...document.querySelectorAll('#documents-table thead th')]
    .filter(th => { const r = th.getBoundingClientRect();
                    return r.width > 20 && r.left >= 0 && r.right <= innerWidth; })
    .map(th => th.innerText.trim())"""


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_a_products_look_in_light_and_dark(served: Served, browser: Any, dark: bool) -> None:
    """The highlighted sentence reads in both modes; the phone layout keeps the question
    box on screen and the sources under the answer; the documents table shows more than
    its titles on a phone, its headers whole, in the page's font; nothing overflows."""
    expect = sync_api.expect
    expect.set_options(timeout=TIMEOUT_MS)
    mode = "dark" if dark else "light"
    with browsed(browser, f"look-{mode}-failure.png", dark=dark) as page:
        page.goto(served.url, wait_until="domcontentloaded")
        ask_in_page(page, FIRST)
        wait_for_answer(page, 1)
        assert page.evaluate("document.querySelector('.dark') !== null") is dark
        ratio = page.evaluate(CONTRAST, "#sources mark")
        assert ratio >= 4.5, f"highlighted sentence contrast {ratio:.1f} in {mode} mode"
        no_horizontal_overflow(page)
        page.evaluate("window.scrollTo(0, 0)")
        save_screenshot(page, f"chat-1440x900-{mode}.png", full_page=False)

        page.set_viewport_size({"width": 375, "height": 812})
        page.wait_for_timeout(500)
        check_phone_layout(page, expect)
        save_screenshot(page, f"chat-375x812-{mode}.png", full_page=False)

        page.get_by_role("tab", name=message("ui_tab_documents", "fr")).click()
        expect(page.locator("#documents-table .body-cell").first).to_be_visible()
        shown = page.evaluate(VISIBLE_HEADERS)
        assert len(shown) >= 2, f"only {shown} fit on a phone"
        assert page.evaluate(BROKEN_HEADERS) == [], "headers broken mid-word"
        family = page.evaluate("getComputedStyle(document.querySelector("
                               "'#documents-table .body-cell')).fontFamily")
        assert "mono" not in family.lower(), family
        no_horizontal_overflow(page)
        save_screenshot(page, f"documents-375x812-{mode}.png", full_page=False)
        page.set_viewport_size({"width": 1440, "height": 900})
        page.wait_for_timeout(300)
        assert page.evaluate(BROKEN_HEADERS) == [], "headers broken mid-word"


def test_sign_in_then_sign_out_in_a_real_browser(browser: Any,
                                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    """Where a visitor lands: a real form (what password managers fill), on a phone too;
    a wrong password is told in our words; the right one reaches the chat, and Chromium
    keeps Gradio's session cookie as ui/auth.py rewrites it (SameSite=Lax, a lifetime) on
    plain HTTP; signing out ends the session on the server. The post needs no script."""
    from conftest import ingested_copy

    from assistant.service.ratelimit import SignInThrottle

    settings = ingested_copy(tmp_path_factory, "browser-auth").model_copy(
        update={"ui_users": {"alice": "pw-alice"}})
    service = AssistantService(settings)
    app = build_app(service, settings, ui=ChatUI(service, FeedbackStore.for_settings(settings)))
    port = free_tcp_port()
    url = f"http://127.0.0.1:{port}/"
    users = UserTable({"alice": "pw-alice"}, SignInThrottle(base_delay=0.0))
    launch_app(app, users, host="127.0.0.1", port=port, prevent_thread_lock=True,
               settings=settings)
    sign_in = message("ui_sign_in", "fr")
    wrong = message("ui_sign_in_wrong", "fr")
    # Without JavaScript: the form posts, a refusal comes back as the form, the right
    # password as the app's page (Gradio's, which would need its script to show).
    plain = browser.new_context(java_script_enabled=False)
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="fr-BE")
    try:
        page = plain.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        page.get_by_label(message("ui_username", "fr")).fill("alice")
        page.get_by_label(message("ui_password", "fr")).fill("wrong")
        page.get_by_role("button", name=sign_in).click()
        page.get_by_text(wrong).wait_for()
        page.get_by_label(message("ui_password", "fr")).fill("pw-alice")  # the name stays
        page.get_by_role("button", name=sign_in).click()
        page.wait_for_url(url)
        assert page.locator("form#sign-in").count() == 0 and plain.cookies()

        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url)
        form = page.locator("form#sign-in")
        assert form.get_attribute("method") == "post"
        name = form.locator('input[name="username"]')
        password = form.locator('input[name="password"]')
        assert name.get_attribute("autocomplete") == "username"
        assert password.get_attribute("type") == "password"
        assert password.get_attribute("autocomplete") == "current-password"
        no_horizontal_overflow(page)
        save_screenshot(page, "sign-in-375x812.png", full_page=False)
        name.fill("alice")
        password.fill("wrong")
        page.get_by_role("button", name=sign_in).click()
        page.get_by_text(wrong).wait_for()
        assert page.get_by_text("Incorrect Credentials").count() == 0
        password.fill("pw-alice")
        page.get_by_role("button", name=sign_in).click()
        page.locator("#chat-input").wait_for()
        cookies = context.cookies()
        assert cookies and all(c["sameSite"] == "Lax" and c["expires"] > time.time()
                               for c in cookies)
        page.locator("#sign-out").click()
        page.locator("form#sign-in").wait_for()
        # The cookie the browser had is refused by the server now, not just forgotten.
        context.add_cookies(cookies)
        page.goto(url)
        page.locator("form#sign-in").wait_for()
        assert page.locator("#chat-input").count() == 0
    finally:
        plain.close()
        context.close()
        app.close()
