"""The web chat's handlers (called directly), its safe rendering, sign-in, and eight
concurrent sessions through the real Gradio API."""

from __future__ import annotations

import html
import shutil
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from conftest import CliRunner, cli_env, free_tcp_port, ingested_copy

from assistant.core.errors import AssistantError
from assistant.core.messages import message
from assistant.core.settings import Settings
from assistant.core.types import Answer, Citation, History, Passage
from assistant.ingestion.pipeline import IngestReport
from assistant.service.assistant_service import AssistantService
from assistant.service.feedback import FeedbackStore
from ui.app import build_app, launch_app
from ui.auth import UserTable, check_exposure, hash_password, is_loopback
from ui.handlers import SKIP, ChatUI
from ui.render import chat_markdown, highlight, shown_reply, sources_html
from ui.views import ChatView, Exchange

# Questions the fake encoder answers with a citation (and one it abstains on).
ANSWERED = "Qui soutient les collectifs de sans-papiers ?"
ANSWERED_2 = "Combien d'organisations la Coalition Climat réunit-elle ?"
ABSTAINED = "Quel est le numéro de TVA du MOC ?"


class RecordingService(AssistantService):
    """The real service, remembering each question with its history and answer."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.calls: list[tuple[str, list[tuple[str, str]], Answer]] = []
        self._calls_lock = threading.Lock()

    def ask(self, question: str, history: History | None = None) -> Answer:
        answer = super().ask(question, history)
        with self._calls_lock:
            self.calls.append((question, [tuple(t) for t in history or []], answer))  # type: ignore[misc]
        return answer


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a corpus ingested once with the fake encoder (read-only tests)."""
    return ingested_copy(tmp_path_factory, "ui")


@pytest.fixture
def service(indexed: Settings) -> RecordingService:
    return RecordingService(indexed)


@pytest.fixture
def ui(service: RecordingService, tmp_path: Path) -> ChatUI:
    return ChatUI(service, FeedbackStore(tmp_path / "feedback.sqlite3"), stream_delay=0)


def last(views: Iterator[ChatView]) -> ChatView:
    return list(views)[-1]


def ask(ui: ChatUI, question: str, session: list[Exchange] | None = None,
        lang: str = "fr") -> list[Exchange]:
    return last(ui.respond(question, session or [], lang)).session


def texts_of(chatbot: Sequence[dict[str, Any]], role: str) -> list[str]:
    return [m["content"] for m in chatbot if m["role"] == role]


# -- chat --------------------------------------------------------------------------------------
def test_answer_streams_in_then_equals_the_service_answer(ui: ChatUI) -> None:
    expected = AssistantService(ui.service.settings).ask(ANSWERED)
    views = list(ui.respond(ANSWERED, [], "fr"))
    replies = [texts_of(v.chatbot, "assistant")[-1] for v in views]
    assert replies[0] == message("ui_thinking", "fr")
    streamed = replies[1:]
    assert len(streamed) > 5
    assert all(len(a) < len(b) for a, b in zip(streamed, streamed[1:-1], strict=False))
    # shown as the sources panel numbers the citations (1..n in the order cited)
    assert replies[-1] == chat_markdown(shown_reply(expected.text, expected))
    assert all(texts_of(v.chatbot, "user") == [ANSWERED] for v in views)
    assert views[0].question == ""  # the input box empties at once
    # The session only changes once the answer is complete.
    assert all(v.session == [] for v in views[:-1])
    final = views[-1]
    assert [e.question for e in final.session] == [ANSWERED]
    assert "<mark>" in final.sources and "[1]" in final.sources
    assert final.start == gr.update(visible=False)


def test_follow_up_gets_the_session_history(ui: ChatUI, service: RecordingService) -> None:
    session = ask(ui, "Qu'est-ce que la Coalition Climat ?")
    first = service.calls[-1][2]
    session = ask(ui, "Et combien d'organisations réunit-elle ?", session)
    question, history, answer = service.calls[-1]
    assert history == [(first.standalone_question, first.text)]
    assert "Coalition Climat" in answer.standalone_question
    # What the follow-up is answered with is the real model's to say (the fake encoder
    # matches words): tests/test_quality.py::test_follow_up_is_resolved_from_history.
    assert answer.standalone_question.startswith("Et combien d'organisations réunit-elle ?")
    assert len(session) == 2


def test_each_session_keeps_its_own_history(ui: ChatUI, service: RecordingService) -> None:
    a = ask(ui, ANSWERED)
    b = ask(ui, ANSWERED_2)
    a = ask(ui, "Et où sont-ils ?", a)
    b = ask(ui, "Et depuis quand ?", b)
    assert [e.question for e in a] == [ANSWERED, "Et où sont-ils ?"]
    assert [e.question for e in b] == [ANSWERED_2, "Et depuis quand ?"]
    histories = {q: h for q, h, _ in service.calls}
    assert [q for q, _ in histories["Et où sont-ils ?"]] == [a[0].answer.standalone_question]  # type: ignore[union-attr]
    assert [q for q, _ in histories["Et depuis quand ?"]] == [b[0].answer.standalone_question]  # type: ignore[union-attr]


def test_clear_starts_over(ui: ChatUI, service: RecordingService) -> None:
    session = ask(ui, ANSWERED)
    cleared = ui.clear("fr")
    assert (cleared.chatbot, cleared.session, cleared.feedback_target) == ([], [], None)
    assert cleared.start == gr.update(visible=True)
    assert html.escape(message("ui_sources_empty", "fr")) in cleared.sources
    ask(ui, ANSWERED_2, cleared.session)
    assert service.calls[-1][1] == []
    assert len(session) == 1  # the old list is not touched


def test_refused_question_stays_in_the_input_with_the_reason(ui: ChatUI,
                                                              service: RecordingService) -> None:
    views = list(ui.respond("a" * 3000, [], "fr"))
    assert len(views) == 1
    refused = views[0]
    assert refused.question == "a" * 3000  # kept in the box, to shorten
    assert refused.notice == message("question_too_long", "fr", length=3000, limit=2000)
    assert refused.chatbot == [] and refused.session == []
    assert service.calls == []
    accepted = list(ui.respond(ANSWERED, [], "fr"))
    assert accepted[0].question == "" and accepted[0].notice == ""  # emptied once asked
    assert all(v.question is SKIP for v in accepted[1:])  # text typed meanwhile is kept
    assert service.calls[-1][1] == []


def test_blank_question_changes_nothing(ui: ChatUI) -> None:
    views = list(ui.respond("   ", [], "fr"))
    assert len(views) == 1 and views[0].chatbot == [] and views[0].session == []


def test_abstention_says_so_and_shows_no_source(ui: ChatUI) -> None:
    final = last(ui.respond(ABSTAINED, [], "fr"))
    assert texts_of(final.chatbot, "assistant") == [message("not_found", "fr")]
    assert message("ui_sources_none", "fr") in final.sources
    assert "source-passage" not in final.sources


def test_clicking_an_answer_shows_its_sources(ui: ChatUI) -> None:
    session = ask(ui, ABSTAINED, ask(ui, ANSWERED))
    first = ui.show_sources(gr.SelectData(None, {"index": 1, "value": "x"}), session, "fr")
    second = ui.show_sources(gr.SelectData(None, {"index": 3, "value": "x"}), session, "fr")
    assert "<mark>" in first
    assert message("ui_sources_none", "fr") in second


def test_typed_html_is_escaped_in_the_chat(ui: ChatUI) -> None:
    question = "<script>alert(1)</script> <img src=x onerror=alert(2)> Que fait le CIEP ?"
    final = last(ui.respond(question, [], "fr"))
    shown = texts_of(final.chatbot, "user")[0]
    assert "<script" not in shown and "<img" not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown


def test_chat_markdown_neutralises_html_and_links() -> None:
    text = "a ![x](http://e/i.png) [l](javascript:x) <ul style=\"c\"> l'a & b\n[1]: http://x"
    out = chat_markdown(text)
    assert "<" not in out and "&lt;ul style=\"c\"&gt;" in out
    assert "![" not in out and "](" not in out and "\n\\[1]: http" in out
    assert "l'a &amp; b" in out
    assert chat_markdown("Fondée en 1974. [1] [2]") == "Fondée en 1974. [1] [2]"


def test_chatbot_does_not_render_raw_html(ui: ChatUI, indexed: Settings) -> None:
    app = build_app(ui.service, indexed, ui=ui)
    chatbot = next(b for b in app.blocks.values() if getattr(b, "elem_id", None) == "chatbot")
    assert isinstance(chatbot, gr.Chatbot)
    assert chatbot.sanitize_html is True and chatbot.allow_tags is False
    assert chatbot.latex_delimiters == []


# -- sources -------------------------------------------------------------------------------------
def passage(text: str, rank: int = 1, **fields: str) -> Passage:
    values = {"title": "WSM : fiche <b>de</b> l'organisation", "section": "Historique",
              "source": "wsm-fiche-organisation.txt", "organisation": "WSM", **fields}
    return Passage(chunk_id=f"c{rank}", text=text, score=0.5, rank=rank, language="fr",
                   **values)


RAW = ('<ul style="color:red"><li>Item</li></ul>\n<script>alert(1)</script> '
       "WSM a été fondée en 1974. Elle soutient 90 partenaires.")


def test_sources_escape_document_html_and_mark_the_cited_sentence() -> None:
    source = passage(RAW)
    answer = Answer("WSM a été fondée en 1974. [1]", False, "fr", [source],
                    [Citation(1, source, "WSM a été fondée en 1974.")])
    out = sources_html(answer, "fr")
    assert "<script" not in out and "<ul" not in out and "<li" not in out and "<b>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;ul style=&quot;color:red&quot;&gt;" in out
    assert "<mark>WSM a été fondée en 1974.</mark>" in out
    assert "Elle soutient 90 partenaires.</div>" in out  # not highlighted
    assert "[1]" in out and "WSM : fiche &lt;b&gt;de&lt;/b&gt; l&#x27;organisation" in out
    assert message("ui_source_organisation", "fr", organisation="WSM") in out
    assert message("ui_source_file", "fr", file="wsm-fiche-organisation.txt") in out


def test_highlight_escapes_inside_the_mark_and_tolerates_spacing() -> None:
    text = "Avant. Voir <a href=x>ici</a>   et\nlà. Après."
    out = highlight(text, ["Voir <a href=x>ici</a> et là."])
    assert out == ("Avant. <mark>Voir &lt;a href=x&gt;ici&lt;/a&gt;   et\nlà.</mark> Après.")
    assert highlight("<i>x</i>", ["absent"]) == "&lt;i&gt;x&lt;/i&gt;"


def test_each_cited_passage_appears_once_with_all_its_sentences() -> None:
    one, two = passage("A un. A deux. A trois.", 1), passage("B un.", 3, title="B")
    citations = [Citation(3, two, "B un."), Citation(1, one, "A un."),
                 Citation(1, one, "A trois.")]
    out = sources_html(Answer("...", False, "fr", [one, two], citations), "en")
    # The text names neither: numbered by rank, 1 and 3 shown as 1 and 2.
    assert out.index('id="source-1"') < out.index('id="source-2"')
    assert 'id="source-3"' not in out
    assert out.count("<mark>") == 3 and out.count("<section") == 2
    assert "File: wsm-fiche-organisation.txt" in out


def test_abstention_renders_no_source_even_with_retrieved_passages() -> None:
    answer = Answer(message("not_found", "en"), True, "en", [passage(RAW)], [])
    out = sources_html(answer, "en")
    assert message("ui_sources_none", "en") in out and "source-passage" not in out


# -- feedback ------------------------------------------------------------------------------------
def test_thumbs_down_then_comment_and_correction_are_stored(ui: ChatUI) -> None:
    session = ask(ui, ANSWERED_2, ask(ui, ANSWERED))
    view = ui.thumbs_down(session, "", "", None, "fr")
    assert view.status == message("ui_feedback_saved", "fr")
    assert view.correction == gr.update(visible=True)
    assert view.target is not None and view.target.exchange == 1
    status, comment, correction = ui.send_comment(view.target, "trop vague", "Plus de 70.", "fr")
    assert (status, comment, correction) == (message("ui_feedback_updated", "fr"), "", "")
    row = ui.feedback.get(view.target.feedback_id)
    assert row is not None
    assert (row.vote, row.question, row.comment, row.corrected_answer) == (
        -1, ANSWERED_2, "trop vague", "Plus de 70.")
    assert row.answer == session[1].reply and row.sources and row.language == "fr"
    assert row.history == [[session[0].answer.standalone_question, session[0].reply]]  # type: ignore[union-attr]


def test_second_vote_on_the_same_answer_changes_its_row(ui: ChatUI) -> None:
    session = ask(ui, ANSWERED)
    first = ui.thumbs_down(session, "", "faux", None, "fr")
    second = ui.thumbs_up(session, "bien", "faux", first.target, "fr")
    assert second.target == first.target and second.correction == gr.update(visible=False)
    rows = ui.feedback.rows()
    assert len(rows) == 1 and (rows[0].vote, rows[0].comment, rows[0].corrected_answer) == (
        1, "bien", "")


def test_chatbot_thumbs_rate_any_answer(ui: ChatUI) -> None:
    session = ask(ui, ANSWERED_2, ask(ui, ANSWERED))
    liked = gr.LikeData(None, {"index": 1, "value": ["x"], "liked": True})
    view = ui.on_like(liked, session, "", "", None, "fr")
    assert view.target is not None and view.target.exchange == 0
    assert [(r.question, r.vote) for r in ui.feedback.rows()] == [(ANSWERED, 1)]
    undone = gr.LikeData(None, {"index": 1, "value": ["x"], "liked": ""})
    assert ui.on_like(undone, session, "", "", view.target, "fr").status == ""
    assert len(ui.feedback.rows()) == 1


def test_feedback_needs_an_answer_and_a_vote(ui: ChatUI) -> None:
    view = ui.thumbs_up([], "", "", None, "fr")
    assert view.status == message("ui_feedback_no_answer", "fr") and view.target is None
    refused = ask(ui, "a" * 3000)
    assert ui.thumbs_down(refused, "", "", None, "en").status == message(
        "ui_feedback_no_answer", "en")
    assert ui.send_comment(None, "c", "", "fr")[0] == message("ui_feedback_no_vote", "fr")
    assert ui.feedback.rows() == []


# -- documents -----------------------------------------------------------------------------------
def test_documents_table_lists_the_index(ui: ChatUI) -> None:
    table = ui.documents_table("fr")
    assert table["headers"][:5] == ["Titre", "Organisation", "Langue", "Passages", "Indexé le"]
    records = dict(ui.service.documents())
    assert len(table["data"]) == len(records) >= 5
    titles = {row[0] for row in table["data"]}
    assert titles == {r.title for r in records.values()}
    assert all(isinstance(row[3], int) and row[3] > 0 for row in table["data"])
    assert ui.documents_table("en")["headers"][0] == "Title"


class SlowIngestService(AssistantService):
    """Ingestion waits for a signal, so the test can ask questions in the meantime."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.release = threading.Event()

    def ingest(self, *, show_progress: bool = False) -> IngestReport:
        assert self.release.wait(30)
        return super().ingest(show_progress=show_progress)


def test_reindex_runs_aside_while_the_chat_answers(fake_service: AssistantService,
                                                   tmp_path: Path) -> None:
    fake_service.ingest()
    settings = fake_service.settings
    slow = SlowIngestService(settings)
    ui = ChatUI(slow, FeedbackStore(tmp_path / "f.sqlite3"), stream_delay=0)
    before = len(ui.documents_table("fr")["data"])
    (settings.corpus_dir / "nouveau.txt").write_text(
        "Le Collectif Exemple forme des bénévoles à l'accueil depuis 2001.\n", encoding="utf-8")
    run = ui.reindex("fr")
    status, table = next(run)
    assert status == message("ui_reindex_running", "fr") and len(table["data"]) == before
    assert next(ui.reindex("fr"))[0] == message("ui_reindex_busy", "fr")
    answered = ask(ui, ANSWERED)  # the previous index still answers
    assert answered[0].answer is not None and not answered[0].answer.abstained
    slow.release.set()
    status, table = next(run)
    assert status.startswith(message("ingest_done", "fr", added=0, changed=0, removed=0,
                                     unchanged=0, chunks=0, seconds=0).split(" : ")[0])
    assert len(table["data"]) == before + 1
    assert next(ui.reindex("fr"), None) is not None  # the lock is free again


def test_reindex_reports_a_failure_in_one_line(fake_service: AssistantService,
                                               tmp_path: Path) -> None:
    shutil.rmtree(fake_service.settings.corpus_dir)
    ui = ChatUI(fake_service, FeedbackStore(tmp_path / "f.sqlite3"), stream_delay=0)
    status, _ = list(ui.reindex("en"))[-1]
    assert status == message("corpus_missing", "en", path=fake_service.settings.corpus_dir)


# -- language ------------------------------------------------------------------------------------
def test_language_switch_relabels_everything(ui: ChatUI, indexed: Settings) -> None:
    app = build_app(ui.service, indexed, ui=ui)
    by_id: dict[Any, Any] = {getattr(b, "elem_id", None): b for b in app.blocks.values()}
    assert by_id["send-button"].value == "Envoyer"  # French by default
    assert by_id["example-staff-0"].value == "Quand WSM a-t-elle été fondée ?"
    updates = ui.relabel("en", ask(ui, ANSWERED))
    shown = dict(zip([getattr(b, "elem_id", None) for b in ui.labels.blocks], updates,
                     strict=False))
    assert shown["send-button"]["value"] == "Send"
    assert shown["chat-input"]["label"] == "Your question"
    assert shown["example-trainer-0"]["value"] == "What training does WSM offer?"
    assert shown["documents-tab"]["label"] == "Documents"
    sources, table = updates[-2:]
    assert "Organisation: " in sources and table["headers"][0] == "Title"


def test_every_ui_message_exists_in_both_languages() -> None:
    from assistant.core.messages import prompt_file

    french, english = prompt_file("fr", "messages"), prompt_file("en", "messages")
    ui_keys = {k for k in french if k.startswith("ui_")}
    assert ui_keys and ui_keys == {k for k in english if k.startswith("ui_")}
    for key in ui_keys:
        assert type(french[key]) is type(english[key])
        if isinstance(french[key], list):
            assert len(french[key]) == len(english[key])


# -- access --------------------------------------------------------------------------------------
def test_passwords_are_hashed_and_verified() -> None:
    users = UserTable({"alice": "s3cret", "bob": "s3cret"})
    assert users("alice", "s3cret") and users("bob", "s3cret")
    assert not users("alice", "wrong") and not users("carol", "s3cret")
    assert not users("alice", "") and len(users) == 2
    stored = vars(users)["_hashes"]
    (salt_a, digest_a), (salt_b, digest_b) = stored["alice"], stored["bob"]
    assert salt_a != salt_b and digest_a != digest_b  # salted: same password, other hash
    assert digest_a == hash_password("s3cret", salt_a)
    assert "s3cret" not in repr(vars(users))


def test_users_are_read_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings(ui_users=["alice:pa:ss"]).ui_users["alice"].get_secret_value() == "pa:ss"  # type: ignore[call-arg]
    monkeypatch.setenv("ASSISTANT_UI_USERS", "alice:one, bob:two")
    assert set(Settings().ui_users) == {"alice", "bob"}
    monkeypatch.setenv("ASSISTANT_UI_USERS", '{"carol": "three"}')
    assert Settings().ui_users["carol"].get_secret_value() == "three"
    monkeypatch.setenv("ASSISTANT_UI_USERS", "alice")
    with pytest.raises(ValueError, match="user:password"):
        Settings()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "127.0.0.2"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)
    check_exposure(host, False, UserTable({}))


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.org", "::"])
def test_exposed_host_needs_users(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(AssistantError) as refused:
        check_exposure(host, False, UserTable({}))
    assert refused.value.key == "ui_refuse_public_host" and host in refused.value.render("en")
    check_exposure(host, False, UserTable({"alice": "pw"}))


def test_public_link_needs_users() -> None:
    with pytest.raises(AssistantError, match="ui_refuse_share"):
        check_exposure("127.0.0.1", True, UserTable({}))


@pytest.mark.slow  # starts an `assistant` subprocess
def test_serve_refuses_an_exposed_host_in_one_line(run_cli: CliRunner, tmp_path: Path) -> None:
    env = cli_env(tmp_path / "corpus", tmp_path / "data")
    result = run_cli(["serve", "--host", "0.0.0.0", "--port", "1"], env, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == message("ui_refuse_public_host", "fr", host="0.0.0.0")
    assert not (tmp_path / "data").exists()  # refused before any indexing


# -- eight sessions through the Gradio API ---------------------------------------------------------
FIRST = [
    ANSWERED, ANSWERED_2, "Qu'est-ce que le CNCD-11.11.11 ?", "Quel est le site web de WSM ?",
    "What is the Walloon public service for employment and vocational training?",
    "Combien d'associations membres compte la coordination pour réfugiés et étrangers ?",
    "Qui sont les partenaires du MOC dans le réseau AID ?", "Que fait le CIEP ?",
]
FOLLOW = ["Et où ?", "Et depuis quand ?", "Et ses missions ?", "Et son adresse ?",
          "And where is it?", "Et ses thèmes ?", "Et leurs buts ?", "Et ses formations ?"]


@pytest.mark.integration
@pytest.mark.slow  # starts the web server
def test_eight_concurrent_sessions_keep_their_own_history(service: RecordingService,
                                                           tmp_path: Path) -> None:
    from gradio_client import Client

    ui = ChatUI(service, FeedbackStore(tmp_path / "f.sqlite3"), stream_delay=0.002)
    app = build_app(service, service.settings, ui=ui)
    port = free_tcp_port()
    launch_app(app, UserTable({}), host="127.0.0.1", port=port, prevent_thread_lock=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        clients = [Client(url, verbose=False, analytics_enabled=False, download_files=False)
                   for _ in range(8)]

        def converse(i: int) -> Any:
            clients[i].predict(FIRST[i], "fr", api_name="/ask")
            return clients[i].predict(FOLLOW[i], "fr", api_name="/ask")

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(converse, range(8)))
        for client in clients:
            client.close()
    finally:
        app.close()
    for i, result in enumerate(results):
        chatbot, sources = result[1], result[2]
        users = [m["content"][0]["text"] for m in chatbot if m["role"] == "user"]
        assert users == [chat_markdown(FIRST[i]), chat_markdown(FOLLOW[i])], i
        assert len(chatbot) == 4 and isinstance(sources, str)
    # Server side: each follow-up came with its own session's first turn, and only that.
    first_answers = {q: a for q, h, a in service.calls if not h}
    assert set(first_answers) == set(FIRST)
    for i, follow in enumerate(FOLLOW):
        history = next(h for q, h, _ in service.calls if q == follow)
        first = first_answers[FIRST[i]]
        assert history == [(first.standalone_question or FIRST[i], first.text)], follow


@pytest.mark.slow
def test_assistant_serve_answers_http(run_cli: CliRunner, indexed: Settings,
                                      tmp_path: Path) -> None:
    """The real command: index present, app served on loopback, page and config reachable."""
    import subprocess
    import sys
    import time
    import urllib.request

    port = free_tcp_port()
    env = cli_env(indexed.corpus_dir, indexed.data_dir)
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)], env=env,
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as page:
                    body = page.read().decode("utf-8")
                break
            except OSError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "no page in 90 s"
                time.sleep(0.5)
        assert "<html" in body.lower()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=5) as config:
            assert b"chat-input" in config.read()
    finally:
        process.terminate()
        process.wait(timeout=30)


# -- directory -----------------------------------------------------------------------------------
def cards_of(out: str) -> int:
    return out.count('<article class="org"')


def test_directory_opens_on_every_organisation_and_the_index_towns(ui: ChatUI) -> None:
    from ui.handlers import ALL

    directory = ui.service.directory()
    view = ui.show_directory(ALL, ALL, "fr")
    assert cards_of(view.cards) == len(directory.organisations) >= 20
    assert message("orgs_header", "fr", count=len(directory.organisations)) in view.cards
    assert view.town["value"] == ALL
    assert view.town["choices"] == [("Tous", ALL), *((t, t) for t in directory.towns())]
    # A town the index no longer has goes back to "All" instead of showing nothing.
    assert ui.show_directory(ALL, "Atlantis", "fr").town["value"] == ALL


def test_directory_theme_filter_narrows_the_cards(ui: ChatUI) -> None:
    from assistant.directory.organisations import theme_by_id
    from ui.handlers import ALL

    everyone = cards_of(ui.directory_cards(ALL, ALL, "fr"))
    out = ui.directory_cards("migration", ALL, "en")
    expected = ui.service.organisations(theme="migration")
    assert 0 < cards_of(out) == len(expected) < everyone
    assert message("orgs_header", "en", count=len(expected)) in out
    for org in expected:
        assert html.escape(org.title) in out
    label = theme_by_id("migration").label("en")  # type: ignore[union-attr]
    assert out.count(f'<span class="org-theme">{label}</span>') == len(expected)
    # Theme and town together: only the organisations of both.
    both = ui.directory_cards("social_economy", "Liège", "fr")
    assert 0 < cards_of(both) < cards_of(ui.directory_cards("social_economy", None, "fr"))
    assert "Liège" in both


def test_directory_cards_show_relations_themes_and_sources(ui: ChatUI) -> None:
    from ui.handlers import ALL

    out = ui.directory_cards(ALL, "Schaerbeek", "en")
    assert cards_of(out) == 1 and "Solidarité Mondiale (WSM)" in out
    assert "<li>member of CNCD-11.11.11</li>" in out and "<li>created by MOC</li>" in out
    assert '<a href="http://www.wsm.be"' in out and "Chaussée de Haecht 579" in out
    assert "<dt class=\"org-themes\">Themes</dt>" in out and "<summary>Sources (" in out
    french = ui.directory_cards(ALL, "Schaerbeek", "fr")
    assert "<li>membre de CNCD-11.11.11</li>" in french and "Thèmes</dt>" in french


def test_directory_theme_choices_follow_the_language(ui: ChatUI) -> None:
    from assistant.directory.organisations import themes
    from ui.handlers import ALL

    french, english = ui.theme_choices("fr"), ui.theme_choices("en")
    assert french[0] == ("Tous", ALL) and english[0] == ("All", ALL)
    assert {v for _, v in french[1:]} == {v for _, v in english[1:]} == {t.id for t in themes()}
    assert ("migration and asylum", "migration") in english
    assert ("migrations et asile", "migration") in french


def test_directory_unknown_theme_and_missing_index_say_so_in_one_line(
        ui: ChatUI, fake_service: AssistantService, tmp_path: Path) -> None:
    out = ui.directory_cards("<b>astrologie</b>", None, "fr")
    assert out.startswith('<p class="directory-note">') and "<b>" not in out
    assert "&lt;b&gt;astrologie&lt;/b&gt;" in out and "housing" in out
    assert "Traceback" not in out and "<article" not in out
    empty = ChatUI(fake_service, FeedbackStore(tmp_path / "f.sqlite3"), stream_delay=0)
    note = html.escape(message("index_missing", "en"))
    view = empty.show_directory("migration", None, "en")
    assert view.cards == f'<p class="directory-note">{note}</p>'
    assert view.town["choices"] == [("All", "*")]
    assert empty.town_choices("fr") == [("Tous", "*")]


def test_directory_bug_is_one_line_not_a_traceback(ui: ChatUI,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**_: Any) -> list[Any]:
        raise RuntimeError("<boom>")

    monkeypatch.setattr(ui.service, "organisations", broken)
    out = ui.directory_cards(None, None, "en")
    assert out == ('<p class="directory-note">'
                   + html.escape(message("internal_error", "en", detail="RuntimeError: <boom>"))
                   + "</p>")


def test_directory_cards_escape_corpus_text() -> None:
    import re

    from assistant.directory.organisations import Organisation, Relation, Source
    from ui.render import directory_html

    evil = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    source = Source("c1", f'Le <ul style="color:red">Collectif</ul> {evil}')
    org = Organisation(
        key="x", name="X<b>", full_name=f"Collectif {evil}", aliases=[f"<i>{evil}</i>"],
        description=f"Fait des <em>choses</em> {evil}", sources=[source], town="<u>Liège</u>",
        address=f"Rue {evil}", website="javascript:alert(3)",
        themes={"housing": "keyword: logement", "<gone>": "old theme"},
        relations=[Relation("member_of", "y", f"Réseau {evil}", source),
                   Relation("<odd_kind>", "z", "Z", source)],
    )
    linked = Organisation(key="w", name="WSM", full_name="", aliases=[], description="",
                          sources=[], website='http://www.wsm.be/"onmouseover="alert(4)')
    out = directory_html([org, linked], "fr")
    tags = set(re.findall(r"<([a-z0-9]+)", out))
    assert tags <= {"div", "p", "article", "h4", "dl", "dt", "dd", "span", "ul", "li",
                    "details", "summary", "blockquote"}, tags
    assert "<script" not in out and "<img" not in out and "javascript:" in out  # as text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;ul style=&quot;color:red&quot;&gt;Collectif&lt;/ul&gt;" in out
    assert "<li>membre de Réseau &lt;script&gt;" in out and "&lt;odd kind&gt; Z" in out
    assert '<span class="org-theme">logement</span>' in out
    assert '<span class="org-theme">&lt;gone&gt;</span>' in out
    assert message("orgs_header", "fr", count=2) in out and cards_of(out) == 2
    # A plain http address is a link, attribute-escaped; anything else stays text.
    assert "<a " not in out
    good = directory_html([Organisation(key="w", name="WSM", full_name="", aliases=[],
                                        description="", sources=[], website="www.wsm.be")],
                          "en")
    assert '<a href="https://www.wsm.be" target="_blank" rel="noopener noreferrer nofollow">' \
           "www.wsm.be</a>" in good


def test_directory_tab_is_laid_out_and_relabelled(ui: ChatUI, indexed: Settings) -> None:
    from ui.handlers import ALL

    app = build_app(ui.service, indexed, ui=ui)
    by_id: dict[Any, Any] = {getattr(b, "elem_id", None): b for b in app.blocks.values()}
    assert by_id["directory-tab"].label == "Répertoire"
    assert isinstance(by_id["directory"], gr.HTML)
    theme, town = by_id["directory-theme"], by_id["directory-town"]
    assert (theme.label, theme.value, town.label, town.value) == ("Thème", ALL, "Localité", ALL)
    assert ("Tous", ALL) in theme.choices and ("Liège", "Liège") in town.choices
    assert by_id["directory-filter"].value == "Filtrer"
    updates = ui.relabel("en", [])
    shown = dict(zip([getattr(b, "elem_id", None) for b in ui.labels.blocks], updates,
                     strict=False))
    assert shown["directory-tab"]["label"] == "Directory"
    assert shown["directory-theme"]["label"] == "Theme"
    assert ("housing", "housing") in shown["directory-theme"]["choices"]
    assert shown["directory-town"]["choices"][0] == ("All", ALL)
    assert shown["directory-filter"]["value"] == "Filter"
