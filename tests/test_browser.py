"""The web chat in a real browser: headless Debian Chromium driven by Playwright (sync API),
against the app served on loopback with the real offline embedding model.

One page, one scenario: an example question from the start screen, a cited answer, its
source with the cited sentence highlighted, a thumbs down with a comment and a correction
that ``assistant feedback export`` then writes out, a follow-up that uses the conversation,
typed HTML that stays text, and screenshots at desktop and phone widths (saved under
``test-artifacts/``, git-ignored). Never downloads a browser: without /usr/bin/chromium
(``apt-get install chromium``) the test skips.
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
from conftest import CliRunner, cli_env, free_tcp_port

from assistant.core.messages import message, prompt_file
from assistant.core.settings import PROJECT_ROOT
from assistant.core.types import Answer, History
from assistant.service.assistant_service import AssistantService
from assistant.service.feedback import FeedbackStore
from ui.app import build_app, launch_app
from ui.auth import UserTable
from ui.handlers import ChatUI

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); the browser test needs "
                "Debian's Chromium and never downloads one", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed (pip install -e .[dev])")

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--no-first-run", "--disable-quic", "--disable-component-update",
               "--disable-sync"]
TIMEOUT_MS = 20_000  # any single Playwright wait
ANSWER_TIMEOUT = 60.0  # seconds for one answer to stream in completely

EXAMPLE_ID = "example-staff-0"
FIRST = prompt_file("fr", "messages")["ui_examples_staff"][0]  # "Quand WSM a-t-elle été fondée ?"
# Alone this question finds nothing ("Je ne trouve pas..."); with the conversation it is
# about WSM, whose address is in the corpus.
FOLLOW_UP = "Et où se trouve-t-elle ?"
FOLLOW_UP_FACT = "Chaussée de Haecht"
TYPED_HTML = "<script>alert(1)</script>"
COMMENT = "Test navigateur : il manque le nom complet de l'organisation."
CORRECTION = "WSM (Solidarité Mondiale) a été fondée en 1974 par l'ACW/MOC."
CITATION = re.compile(r"\[\d+\]")

BOT = "#chatbot [data-testid='bot'] .message-content"
USER = "#chatbot [data-testid='user'] .message-content"


def words(text: str) -> str:
    return " ".join(text.split())


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
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=LAUNCH_ARGS, timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()


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


def save_screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
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


def run_scenario(page: Any, expect: Any, served: Served, run_cli: CliRunner,
                 dialogs: list[str]) -> None:
    page.goto(served.url, wait_until="domcontentloaded")

    # -- start screen: one click asks an example question ------------------------------------
    expect(page.locator("#start-screen")).to_be_visible()
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
    assert first_text == words(first.text)  # what the service answered, shown as such
    assert first.citations

    # -- the sources panel: title and the cited sentence highlighted ---------------------------
    check_sources(page, expect, first)

    # -- thumbs down, a comment and a correction; then the export -----------------------------
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

    # -- a follow-up answered with the conversation ------------------------------------------
    page.locator("#chat-input textarea").fill(FOLLOW_UP)
    page.locator("#send-button").click()
    second_text = wait_for_answer(page, 2)
    assert CITATION.search(second_text), second_text
    assert FOLLOW_UP_FACT in second_text, f"the follow-up missed the WSM context: {second_text}"
    question, history, second = served.calls[-1]
    assert question == FOLLOW_UP
    assert history == [(first.standalone_question or FIRST, first.text)]
    assert "WSM" in second.standalone_question, second.standalone_question
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
    page.locator("#chatbot [data-testid='bot']").first.click()
    check_sources(page, expect, first)
    page.locator("#chatbot").scroll_into_view_if_needed()
    save_screenshot(page, "chat-1440x900.png")
    page.set_viewport_size({"width": 375, "height": 812})
    page.wait_for_timeout(500)  # let the layout settle
    width = 375
    for selector in ("#chat-input textarea", "#send-button"):
        element = page.locator(selector)
        element.scroll_into_view_if_needed()
        expect(element).to_be_visible()
        box = element.bounding_box()
        assert box is not None, selector
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (selector, box)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width + 2, f"horizontal overflow at {width} px: {scroll_width} px"
    page.evaluate("window.scrollTo(0, 0)")
    save_screenshot(page, "chat-375x812.png")
    assert dialogs == []


def check_sources(page: Any, expect: Any, answer: Answer) -> None:
    """The sources panel shows each cited passage's title and its cited sentence marked."""
    citation = answer.citations[0]
    card = page.locator(f"#sources #source-{citation.number}")
    expect(card).to_be_visible()
    expect(card.locator("h4")).to_contain_text(f"[{citation.number}]")
    expect(card.locator("h4")).to_contain_text(citation.passage.title)
    mark = card.locator("mark").first
    expect(mark).to_be_visible()
    marked = words(mark.inner_text())
    assert marked == words(citation.unit_text), (marked, citation.unit_text)
    expect(page.locator("#sources section.source")).to_have_count(
        len({c.number for c in answer.citations}))


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

    expect = sync_api.expect
    expect.set_options(timeout=TIMEOUT_MS)
    service = served.ui.service
    everyone = len(service.directory().organisations)
    expected = service.organisations(theme="migration")
    label = theme_by_id("migration").label("fr")  # type: ignore[union-attr]
    assert 0 < len(expected) < everyone
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="fr-BE")
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    try:
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
        for i in range(len(expected)):
            expect(cards.nth(i).locator(".org-theme", has_text=label)).to_be_visible()
            expect(cards.nth(i).locator("blockquote.org-source").first).to_be_visible()
        # The button re-renders the same choice; the language switch relabels the cards.
        page.locator("#directory-filter").click()
        expect(cards).to_have_count(len(expected))
        page.locator("#language").get_by_text("English").click()
        expect(count).to_have_text(message("orgs_header", "en", count=len(expected)))
        expect(cards.first.locator(".org-theme", has_text=theme_by_id("migration")
                                   .label("en"))).to_be_visible()  # type: ignore[union-attr]
        expect(page.get_by_role("tab", name=message("ui_tab_directory", "en"))).to_be_visible()
        save_screenshot(page, "directory-1440x900.png")
    except BaseException:
        with contextlib.suppress(Exception):
            save_screenshot(page, "directory-failure.png")
        raise
    finally:
        context.close()
    assert not page_errors, f"JavaScript errors on the page: {page_errors}"


def test_sign_in_then_sign_out_in_a_real_browser(browser: Any,
                                                 tmp_path_factory: pytest.TempPathFactory) -> None:
    """Chromium keeps Gradio's session cookie as ui/auth.py rewrites it (SameSite=Lax, a
    lifetime) on plain HTTP, a wrong password is told, and signing out ends the session."""
    from conftest import ingested_copy

    from assistant.service.ratelimit import SignInThrottle

    settings = ingested_copy(tmp_path_factory, "browser-auth").model_copy(
        update={"ui_users": {"alice": "pw-alice"}})
    service = AssistantService(settings)
    app = build_app(service, settings, ui=ChatUI(service, FeedbackStore.for_settings(settings)))
    port = free_tcp_port()
    users = UserTable({"alice": "pw-alice"}, SignInThrottle(base_delay=0.0))
    launch_app(app, users, host="127.0.0.1", port=port, prevent_thread_lock=True,
               settings=settings)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"http://127.0.0.1:{port}/")
        fields = page.locator("input")
        fields.nth(0).fill("alice")
        fields.nth(1).fill("wrong")
        page.get_by_role("button", name="Login").click()
        page.get_by_text("Incorrect Credentials").wait_for()
        fields.nth(0).fill("alice")  # the form empties both fields after a refusal
        fields.nth(1).fill("pw-alice")
        page.get_by_role("button", name="Login").click()
        page.locator("#chat-input").wait_for()
        cookies = context.cookies()
        assert cookies and all(c["sameSite"] == "Lax" and c["expires"] > time.time()
                               for c in cookies)
        page.locator("#sign-out").click()
        page.get_by_role("button", name="Login").wait_for()
        # The cookie the browser had is refused by the server now, not just forgotten.
        context.add_cookies(cookies)
        page.goto(f"http://127.0.0.1:{port}/")
        page.get_by_role("button", name="Login").wait_for()
        assert page.locator("#chat-input").count() == 0
    finally:
        context.close()
        app.close()
