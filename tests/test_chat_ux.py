"""The web chat as a product (issue 16), through its handlers: nothing lost (questions
sent while an answer streams wait their turn, Stop, a new conversation forgets on the
server too, a refused question stays in the box), citations numbered 1..n in answer order,
the conversation kept by the browser, the whole document at a passage, the directory's
search box. The real browser checks the same in tests/test_browser.py."""

from __future__ import annotations

import copy
import html
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from conftest import ingested_copy

from assistant.core.messages import message
from assistant.core.settings import Settings
from assistant.core.types import Answer, Citation, History, Passage
from assistant.service.assistant_service import AssistantService
from assistant.service.feedback import FeedbackStore
from assistant.service.ratelimit import SessionRateLimiter
from ui.app import build_app
from ui.handlers import ALL, SKIP, ChatUI
from ui.render import (
    chat_messages,
    citation_numbers,
    document_html,
    renumbered,
    shown_reply,
    sources_html,
)
from ui.views import (
    MAX_WAITING,
    ChatView,
    Conversation,
    Exchange,
    Turn,
    restored_conversation,
    stored_conversation,
)

ANSWERED = "Qui soutient les collectifs de sans-papiers ?"
ANSWERED_2 = "Combien d'organisations la Coalition Climat réunit-elle ?"
ONE_SOURCE = "Que fait le CIEP ?"  # the fake encoder's answer cites its 5th passage only


class SlowService(AssistantService):
    """The real service; each question waits for ``gate`` when one is set, and is recorded
    with its history."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.calls: list[tuple[str, list[tuple[str, str]]]] = []
        self.gate: threading.Event | None = None

    def ask(self, question: str, history: History | None = None) -> Answer:
        if self.gate is not None:
            assert self.gate.wait(30)
        self.calls.append((question, [tuple(t) for t in history or []]))  # type: ignore[misc]
        return super().ask(question, history)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return ingested_copy(tmp_path_factory, "chatux")


@pytest.fixture
def service(indexed: Settings) -> SlowService:
    return SlowService(indexed)


@pytest.fixture
def ui(service: SlowService, tmp_path: Path) -> ChatUI:
    return ChatUI(service, FeedbackStore(tmp_path / "feedback.sqlite3"), stream_delay=0)


def replies(view: ChatView) -> list[str]:
    return [m["content"] for m in view.chatbot if m["role"] == "assistant"]


def questions(view: ChatView) -> list[str]:
    return [m["content"] for m in view.chatbot if m["role"] == "user"]


class Runner:
    """``ui.respond`` consumed in a thread, every view kept."""

    def __init__(self, ui: ChatUI, question: str, conversation: Conversation) -> None:
        self.views: list[ChatView] = []
        self.thread = threading.Thread(target=self._run, args=(ui, question, conversation))
        self.thread.start()

    def _run(self, ui: ChatUI, question: str, conversation: Conversation) -> None:
        for view in ui.respond(question, conversation, "fr"):
            self.views.append(view)

    def join(self) -> list[ChatView]:
        self.thread.join(30)
        assert not self.thread.is_alive()
        return self.views


def wait_until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


# -- nothing lost ---------------------------------------------------------------------------------
def test_a_question_sent_while_an_answer_streams_waits_then_is_answered_with_it(
        ui: ChatUI, service: SlowService) -> None:
    conversation = Conversation()
    service.gate = threading.Event()
    first = Runner(ui, ANSWERED, conversation)
    wait_until(lambda: conversation.active is not None)
    second = Runner(ui, ANSWERED_2, conversation)
    wait_until(lambda: second.views)
    queued = second.views[0]
    assert questions(queued) == [ANSWERED, ANSWERED_2]
    assert replies(queued) == [message("ui_thinking", "fr"), message("ui_queued", "fr")]
    assert queued.question == "" and queued.stop == gr.update(visible=True)
    service.gate.set()
    first.join()
    final = second.join()[-1]
    assert [e.question for e in conversation] == [ANSWERED, ANSWERED_2]
    assert all(e.answer is not None for e in conversation)
    # Asked in order, the second with the first as its history.
    assert [q for q, _ in service.calls] == [ANSWERED, ANSWERED_2]
    assert service.calls[1][1] == [(conversation[0].answer.standalone_question,  # type: ignore[union-attr]
                                    conversation[0].answer.text)]  # type: ignore[union-attr]
    assert final.stop == gr.update(visible=False) and final.feedback == gr.update(visible=True)
    assert final.session == list(conversation)
    stored = final.stored
    assert [e["question"] for e in stored["exchanges"]] == [ANSWERED, ANSWERED_2]


def test_a_full_queue_refuses_and_the_question_stays_in_the_box(ui: ChatUI,
                                                                 service: SlowService) -> None:
    conversation = Conversation()
    service.gate = threading.Event()
    runners = [Runner(ui, ANSWERED, conversation)]
    wait_until(lambda: conversation.active is not None)
    for _ in range(MAX_WAITING):
        runners.append(Runner(ui, ANSWERED_2, conversation))
    wait_until(lambda: len(conversation.waiting) == MAX_WAITING)
    refused = list(ui.respond("Que fait le CIEP ?", conversation, "fr"))
    assert len(refused) == 1
    assert refused[0].question == "Que fait le CIEP ?"
    assert refused[0].notice == message("ui_queue_full", "fr", count=MAX_WAITING)
    service.gate.set()
    for runner in runners:
        runner.join()
    assert len(conversation) == 1 + MAX_WAITING and not conversation.busy


def test_over_the_rate_limit_the_question_stays_in_the_box(ui: ChatUI) -> None:
    ui.limiter = SessionRateLimiter(1)
    assert list(ui.respond(ANSWERED, [], "fr"))[-1].session[0].answer is not None
    refused = list(ui.respond(ANSWERED_2, [], "en"))
    assert len(refused) == 1 and refused[0].question == ANSWERED_2
    assert refused[0].notice == message("rate_limited", "en", limit=1, seconds=60)


def test_stop_keeps_what_appeared_marked_and_out_of_the_history(ui: ChatUI,
                                                                service: SlowService) -> None:
    ui.stream_delay = 0.05
    conversation = Conversation()
    runner = Runner(ui, ANSWERED, conversation)
    wait_until(lambda: conversation.active is not None and conversation.active.reply)
    ui.stop(conversation)
    views = runner.join()
    stopped = conversation[0]
    assert stopped.answer is None
    assert stopped.reply.endswith(f"*{message('ui_stopped', 'fr')}*")
    full = AssistantService(service.settings).ask(ANSWERED).text
    assert len(stopped.reply) < len(full)  # stopped before the end
    assert views[-1].stop == gr.update(visible=False)
    assert views[-1].feedback == gr.update(visible=False)  # nothing to rate
    assert views[-1].stored["exchanges"][0]["answer"] is None
    ui.stream_delay = 0
    list(ui.respond(ANSWERED_2, conversation, "fr"))
    assert service.calls[-1] == (ANSWERED_2, [])  # the stopped answer is not history
    ui.stop(conversation)  # nothing being written: nothing happens
    assert len(conversation) == 2


def test_new_conversation_forgets_on_the_server_even_mid_answer(ui: ChatUI,
                                                                 service: SlowService) -> None:
    conversation = Conversation()
    list(ui.respond(ANSWERED, conversation, "fr"))
    service.gate = threading.Event()
    streaming = Runner(ui, ANSWERED_2, conversation)
    wait_until(lambda: conversation.active is not None)
    waiting = Runner(ui, ONE_SOURCE, conversation)
    wait_until(lambda: conversation.waiting)
    cleared = ui.clear("fr", conversation)
    service.gate.set()
    streaming.join()
    waiting.join()
    assert list(conversation) == [] and not conversation.busy
    assert cleared.chatbot == [] and cleared.start == gr.update(visible=True)
    assert cleared.stored == stored_conversation([])  # the browser's copy too
    assert cleared.question is SKIP  # what is being typed stays
    list(ui.respond(ANSWERED, conversation, "fr"))
    assert service.calls[-1] == (ANSWERED, [])  # no history came back


def test_feedback_panel_shows_only_under_an_answer(ui: ChatUI) -> None:
    views = list(ui.respond(ANSWERED, Conversation(), "fr"))
    assert all(v.feedback == gr.update(visible=False) for v in views[:-1])
    assert views[-1].feedback == gr.update(visible=True)
    assert ui.clear("fr").feedback == gr.update(visible=False)
    voted = ui.thumbs_up(views[-1].session, "", "", None, "fr")
    assert voted.details == gr.update(visible=True)  # the comment box, after a vote


# -- citations ------------------------------------------------------------------------------------
def passage(rank: int, text: str = "Une phrase. Une autre.", source: str = "a.txt",
            chunk: str = "") -> Passage:
    return Passage(chunk_id=chunk or f"c{rank}", text=text, title=f"Titre {rank}", section="",
                   source=source, organisation="MOC", language="fr", score=0.5, rank=rank)


def answer_citing(text: str, *ranks: int) -> Answer:
    passages = {r: passage(r) for r in ranks}
    return Answer(text, False, "fr", list(passages.values()),
                  [Citation(r, passages[r], "Une phrase.") for r in ranks])


def test_a_one_source_answer_is_numbered_1() -> None:
    answer = answer_citing("Le CIEP forme. [5] Il publie. [5]", 5)
    assert citation_numbers(answer) == {5: 1}
    assert shown_reply(answer.text, answer) == "Le CIEP forme. [1] Il publie. [1]"
    out = sources_html(answer, "fr", exchange=0)
    assert 'id="source-1"' in out and "[1]</span>" in out and "[5]" not in out
    assert 'data-exchange="0"' in out and 'data-number="1"' in out


def test_sources_are_numbered_in_the_order_the_answer_cites_them() -> None:
    answer = answer_citing("B. [4] A. [2] B encore. [4] C. [1]", 1, 2, 4)
    assert citation_numbers(answer) == {4: 1, 2: 2, 1: 3}
    assert shown_reply(answer.text, answer) == "B. [1] A. [2] B encore. [1] C. [3]"
    out = sources_html(answer, "fr", exchange=2)
    titles = [out.index(f"Titre {rank}") for rank in (4, 2, 1)]
    assert titles == sorted(titles)  # cards 1, 2, 3 in that order
    for shown, rank in ((1, 4), (2, 2), (3, 1)):
        card = out[out.index(f'id="source-{shown}"'):]
        assert card.index(f"Titre {rank}") < card.index("</section>")


def test_renumbering_leaves_other_brackets_alone() -> None:
    numbers = {3: 1}
    assert renumbered("Voir [3], pas [7] ni \\[3] ni [x].", numbers) == \
        "Voir [1], pas [7] ni \\[3] ni [x]."
    assert citation_numbers(None) == {}
    # A notice before the text and an answer with no citation: nothing changes.
    plain = Answer("Rien. [2]", True, "fr")
    assert shown_reply("*note*\n\nRien. [2]", plain) == "*note*\n\nRien. [2]"


def test_the_chat_shows_the_renumbered_answer_and_its_sources(ui: ChatUI) -> None:
    final = list(ui.respond(ONE_SOURCE, [], "fr"))[-1]
    answer = final.session[0].answer
    assert answer is not None and {c.number for c in answer.citations} == {5}
    assert "[5]" in answer.text  # the service's own numbers stay (CLI, feedback, scorer)
    shown = replies(final)[-1]
    assert "[1]" in shown and "[5]" not in shown
    assert 'id="source-1"' in final.sources and 'id="source-5"' not in final.sources
    assert 'class="open-document"' in final.sources


def test_chat_messages_say_which_questions_wait() -> None:
    done = Exchange("q1", "r1 [2]", answer_citing("r1 [2]", 2))
    active, waiting = Turn("q2", reply="mots", started=True), Turn("q3")
    messages = chat_messages([done], [active, waiting], "en")
    assert [m["content"] for m in messages] == [
        "q1", "r1 [1]", "q2", "mots", "q3", message("ui_queued", "en")]
    assert chat_messages([], [Turn("q")], "en")[1]["content"] == message("ui_thinking", "en")


# -- the browser's copy ----------------------------------------------------------------------------
def test_the_stored_conversation_round_trips_through_json(ui: ChatUI) -> None:
    session = list(ui.respond(ANSWERED_2, list(ui.respond(ANSWERED, [], "fr"))[-1].session,
                              "fr"))[-1].session
    session.append(Exchange("arrêtée", "mots *(réponse interrompue)*"))
    stored = json.loads(json.dumps(stored_conversation(session, "alice")))
    back = restored_conversation(stored, "alice")
    assert [(e.question, e.reply) for e in back] == [(e.question, e.reply) for e in session]
    for before, after in zip(session, back, strict=True):
        if before.answer is None:
            assert after.answer is None
            continue
        assert after.answer is not None
        assert after.answer.text == before.answer.text
        assert after.answer.standalone_question == before.answer.standalone_question
        assert [(c.number, c.passage.chunk_id, c.unit_text) for c in after.answer.citations] == \
            [(c.number, c.passage.chunk_id, c.unit_text) for c in before.answer.citations]
        assert [p.chunk_id for p in after.answer.sources] == \
            [p.chunk_id for p in before.answer.sources]
        assert sources_html(after.answer, "fr", 0) == sources_html(before.answer, "fr", 0)
    assert restored_conversation(stored, "bob") == []  # another user's: not given back


@pytest.mark.parametrize("stored", [None, "x", [], {"version": 99, "exchanges": []},
                                    {"version": 1, "user": "", "exchanges": [{"question": 1}]},
                                    {"version": 1, "user": "", "exchanges": "abc"}])
def test_a_malformed_stored_conversation_starts_afresh(stored: Any) -> None:
    assert restored_conversation(stored) == []


def test_reload_restores_the_conversation_once(ui: ChatUI, service: SlowService) -> None:
    final = list(ui.respond(ANSWERED, [], "fr"))[-1]
    stored = json.loads(json.dumps(final.stored))
    page = Conversation()  # a new page: a new session
    restored = ui.restore(stored, page, "fr")
    assert [e.question for e in page] == [ANSWERED]
    assert questions(restored) == [ANSWERED] and 'data-exchange="0"' in restored.sources
    assert restored.start == gr.update(visible=False)
    assert restored.feedback == gr.update(visible=True)
    list(ui.respond("Et où sont-ils ?", page, "fr"))
    assert service.calls[-1][1] == [(final.session[0].answer.standalone_question,  # type: ignore[union-attr]
                                     final.session[0].answer.text)]  # type: ignore[union-attr]
    ui.restore(stored, page, "fr")  # a second load does not add it again
    assert len(page) == 2


def test_no_load_event_of_its_own_resets_the_conversation(ui: ChatUI, indexed: Settings) -> None:
    """A State with a callable default is set by a load event of its own, which could run
    after restore's: in the browser the first question after a reload was then answered
    without its history. Each session gets a copy of an empty Conversation instead."""
    app = build_app(ui.service, indexed, ui=ui)
    states = [b for b in app.blocks.values() if isinstance(b, gr.State)
              and isinstance(b.value, Conversation)]
    assert len(states) == 1
    state = states[0]
    assert state.load_event_to_attach is None
    session_copy = copy.deepcopy(state.value)  # what Gradio gives a new session
    assert isinstance(session_copy, Conversation) and session_copy is not state.value
    assert not session_copy and not session_copy.busy


# -- the whole document ---------------------------------------------------------------------------
class Opened:
    def __init__(self, exchange: Any, number: Any) -> None:
        self._data = {"exchange": exchange, "number": number}


def test_open_document_shows_it_whole_at_the_cited_passage(ui: ChatUI) -> None:
    final = list(ui.respond(ONE_SOURCE, [], "fr"))[-1]
    answer = final.session[0].answer
    assert answer is not None
    cited = answer.citations[0]
    visible, out = ui.open_document(Opened(0, 1), final.session, "fr")  # type: ignore[arg-type]
    assert visible == gr.update(visible=True)
    passages = ui.service.document_passages(cited.passage.source)
    assert len(passages) > 1 and cited.passage.chunk_id in [p.chunk_id for p in passages]
    assert out.count('class="document-passage"') == len(passages)
    assert out.count('id="doc-focus"') == 1
    focus = out[out.index('id="doc-focus"'):]
    assert focus.index("<mark>") < focus.index("</div>")
    positions = [out.find(p.text[:40].replace("&", "&amp;").replace("'", "&#x27;"))
                 for p in passages]
    assert -1 not in positions and positions == sorted(positions)  # in document order
    for bad in (Opened(5, 1), Opened(0, 9), Opened("x", None), Opened(None, None)):
        _, note = ui.open_document(bad, final.session, "fr")  # type: ignore[arg-type]
        assert html.escape(message("ui_document_missing", "fr")) in note


def test_document_html_escapes_and_frames_the_passage() -> None:
    one = passage(1, "<b>Un</b> début.", chunk="a-0")
    two = Passage(chunk_id="a-1", text="Cité ici. Et <script>x</script>.", title="T",
                  section="Historique", source="a.txt", organisation="MOC", language="fr",
                  score=0.0, rank=0)
    out = document_html([one, two], two, ["Cité ici."], "fr")
    assert "<script" not in out and "<b>" not in out and "&lt;b&gt;Un&lt;/b&gt;" in out
    assert '<h4 class="document-section">Historique</h4>' in out
    assert '<div class="document-passage" id="doc-focus"><mark>Cité ici.</mark>' in out


# -- the directory --------------------------------------------------------------------------------
def count(out: str) -> int:
    return out.count('<article class="org"')


def test_directory_search_box_narrows_the_cards(ui: ChatUI) -> None:
    everyone = count(ui.directory_cards(ALL, ALL, "fr", ""))
    wsm = ui.directory_cards(ALL, ALL, "fr", "solidarite mondiale")  # accents optional
    assert 1 <= count(wsm) < everyone and "Solidarité Mondiale" in wsm
    assert count(ui.directory_cards(ALL, ALL, "fr", "Schaerbeek")) >= 1
    assert count(ui.directory_cards(ALL, ALL, "fr", "migrations")) >= 1  # a theme's name
    assert count(ui.directory_cards(ALL, ALL, "fr", "solidarité zzzz")) == 0  # every word
    assert message("orgs_header", "fr", count=0) in ui.directory_cards(ALL, ALL, "fr", "zzzz")
    assert count(ui.directory_cards(ALL, ALL, "fr", "   ")) == everyone


def test_directory_snippets_start_collapsed(ui: ChatUI) -> None:
    out = ui.directory_cards(ALL, ALL, "fr")
    assert '<details class="org-sources">' in out and "<details class=\"org-sources\" open" \
        not in out


@pytest.fixture
def conversation_views(ui: ChatUI) -> Iterator[list[ChatView]]:
    yield list(ui.respond(ANSWERED, [], "fr"))


def test_views_leave_the_input_alone_while_streaming(conversation_views: list[ChatView]) -> None:
    first, *rest = conversation_views
    assert first.question == "" and first.notice == ""
    assert rest and all(v.question is SKIP and v.notice is SKIP for v in rest)
    assert all(v.stored is SKIP for v in conversation_views[:-1])
    assert conversation_views[-1].stored is not SKIP


def test_the_same_question_sent_twice_is_two_turns() -> None:
    """Dropping one sending of a question (its page gone while it waited) leaves the other
    sending of the same words in line: turns are found by identity, not by their text."""
    conversation = Conversation()
    first, second = Turn("Et ses membres ?"), Turn("Et ses membres ?")
    conversation.waiting.extend([first, second])
    ChatUI._drop(conversation, second)
    assert len(conversation.waiting) == 1 and conversation.waiting[0] is first
