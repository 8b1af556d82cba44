"""The web chat's handlers (``ChatUI``): chat, feedback, documents and directory tabs, as
plain methods that tests call without a browser. Nothing here retrieves or composes
answers: the service does, exactly as for the command line."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from typing import Any

from assistant.core.errors import AssistantError
from assistant.core.messages import message
from assistant.core.text import fold
from assistant.core.types import Answer
from assistant.directory.organisations import Organisation, themes
from assistant.generation.generate import Delta, Event
from assistant.service.admission import AnswerLine, Ticket
from assistant.service.assistant_service import AssistantService
from assistant.service.feedback import FeedbackStore
from assistant.service.presenters import answer_record, report_summary, report_warnings
from assistant.service.ratelimit import SessionRateLimiter
from ui.gradio_offline import gr
from ui.labels import Labels, message_list
from ui.render import (
    chat_messages,
    cited_sentences,
    directory_html,
    directory_note,
    document_html,
    document_note,
    find_spans,
    shown_reply,
    sources_html,
    theme_label,
)
from ui.views import (
    MAX_WAITING,
    ChatView,
    Conversation,
    DirectoryView,
    Exchange,
    FeedbackTarget,
    FeedbackView,
    Session,
    Turn,
    as_conversation,
    growing_prefixes,
    history_of,
    latest_answered,
    restored_conversation,
    stored_conversation,
)

logger = logging.getLogger(__name__)

STREAM_DELAY = 0.02  # seconds between streamed words: reads as typing, ~1 s per answer
ALL = "*"  # the directory filters' "All" choice (no theme id or town is spelled so)
SKIP = gr.skip()  # an output left as it is (the browser's copy of the conversation mid-stream)


def when(timestamp: float) -> str:
    """A document's ingestion time as the documents table shows it."""
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


class ChatUI:
    """The handlers of the web chat, over one service and one feedback store."""

    def __init__(self, service: AssistantService, feedback: FeedbackStore,
                 stream_delay: float = STREAM_DELAY) -> None:
        self.service = service
        self.feedback = feedback
        self.stream_delay = stream_delay
        self.labels = Labels(service.settings.default_language)
        self.limiter = SessionRateLimiter(service.settings.rate_limit_per_minute)
        self.line = AnswerLine(service.settings.ui_concurrency, service.settings.ui_queue_size)
        self._reindexing = threading.Lock()
        self._ingester = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reindex")

    # -- chat ------------------------------------------------------------------------------
    def respond(self, question: str, session: Sequence[Exchange] | None, lang: str,
                request: gr.Request | None = None) -> Iterator[ChatView]:
        """Answer one question of a session, streaming the reply word by word.

        A question sent while another is answered waits its turn, shown as waiting, and is
        answered next (up to ``MAX_WAITING`` of them); a refused question (too long, over
        the rate limit, the queue full) stays in the input box with the reason under it.
        ``session``: the app's ``Conversation`` (changed in place), or a plain list (a copy
        is answered, the list is left as it was)."""
        conversation = as_conversation(session)
        if not (question or "").strip():
            yield self._view(conversation, lang, question="")
            return
        try:
            self.limiter.check(limit_key(request))
            self.service.validate(question)
        except AssistantError as exc:
            yield self._view(conversation, lang, question=question, notice=exc.render(lang))
            return
        turn = Turn(question)
        with conversation.lock:
            queued = len(conversation.waiting) < MAX_WAITING
            if queued:
                conversation.waiting.append(turn)
        if not queued or self.line.full:  # the session's own queue, or the server's line
            self._drop(conversation, turn)
            notice = (message("ui_busy", lang, waiting=self.line.busy[1]) if queued
                      else message("ui_queue_full", lang, count=MAX_WAITING))
            yield self._view(conversation, lang, question=question, notice=notice)
            return
        ticket: Ticket | None = None
        try:  # the question shows, waiting or answered; the input box and notice empty
            yield self._view(conversation, lang, question="", notice="")
            waited = self._wait_for_turn(conversation, turn)
            if waited is None:  # a new conversation started meanwhile: its view is shown
                return
            if waited:  # now "searching the documents" instead of "waiting"
                yield self._view(conversation, lang)
            # In the server's line only once it is this conversation's turn: one person's
            # questions in a row take one place, not one each. Already accepted: it queues
            # even if the line filled meanwhile (the bound refuses new questions only).
            ticket = self.line.join()
            yield from self._wait_in_line(conversation, turn, ticket, lang)
            yield from self._answer(conversation, turn, lang, user_of(request), ticket)
        finally:  # however it ends (stopped, cleared, the page gone), the next one goes on
            if ticket is not None:  # (leaving twice is harmless)
                ticket.leave()
            self._drop(conversation, turn)

    @staticmethod
    def _drop(conversation: Conversation, turn: Turn) -> None:
        with conversation.lock:
            if conversation.active is turn:
                conversation.active = None
            elif turn in conversation.waiting:
                conversation.waiting.remove(turn)
            conversation.lock.notify_all()

    def _wait_in_line(self, conversation: Conversation, turn: Turn, ticket: Ticket,
                      lang: str) -> Iterator[ChatView]:
        """While other people's questions fill the answer slots: this one's place in line,
        shown at once and again whenever it moves."""
        shown = 0
        position = ticket.position
        while position and not (turn.dropped or turn.stopped):
            if position != shown:
                yield self._view(conversation, lang,
                                 notice=message("ui_queue_position", lang, position=position))
                shown = position
            position = ticket.wait(timeout=0.5)
        if shown:
            yield self._view(conversation, lang, notice="")

    @staticmethod
    def _wait_for_turn(conversation: Conversation, turn: Turn) -> bool | None:
        """Block until the questions sent before this one are answered; whether it had to
        wait, or None when the conversation was cleared meanwhile."""
        waited = False
        with conversation.lock:
            while not turn.dropped and not (conversation.active is None
                                            and conversation.waiting[0] is turn):
                waited = True
                conversation.lock.wait(timeout=1.0)
            if turn.dropped:
                return None
            conversation.waiting.popleft()
            conversation.active, turn.started = turn, True
            return waited

    def _answer(self, conversation: Conversation, turn: Turn, lang: str, user: str,
                ticket: Ticket | None = None) -> Iterator[ChatView]:
        before = list(conversation)
        done: Exchange | None = None
        for item in self.reply_stream(turn.question, before, lang, limit=False):
            if turn.stopped:
                break
            if isinstance(item, Exchange):
                done = item
            else:  # the model's unchecked draft is never shown: only that it is being written
                turn.reply = "*" + message("ui_llm_writing", lang, words=len(item.split())) + "*"
                yield self._view(conversation, lang)
        if ticket is not None:  # computed: showing it word by word needs no answer slot
            ticket.leave()
        if done is not None:  # checked text only
            for partial in growing_prefixes(shown_reply(done.reply, done.answer)):
                if turn.stopped:
                    break
                turn.reply = partial
                yield self._view(conversation, lang)
                if self.stream_delay:
                    time.sleep(self.stream_delay)
        with conversation.lock:
            if turn.dropped:  # a new conversation started meanwhile: its view is shown
                return
            if turn.stopped or done is None:
                done = Exchange(turn.question, stopped_reply(turn.reply, lang))
            conversation.append(done)
            conversation.active = None
            conversation.lock.notify_all()
            index = len(conversation) - 1
        yield self._view(conversation, lang, sources=sources_html(done.answer, lang, index),
                         stored=stored_conversation(conversation, user))

    def reply(self, question: str, session: Session, lang: str, key: str = "") -> Exchange:
        """The service's answer, or its one-line message when it refuses, is over the
        session's rate limit, or fails."""
        *_, done = self.reply_stream(question, session, lang, key)
        assert isinstance(done, Exchange)
        return done

    def reply_stream(self, question: str, session: Sequence[Exchange], lang: str,
                     key: str = "", *, limit: bool = True) -> Iterator[str | Exchange]:
        """With a language model: its draft as it grows; always last: the exchange (the
        checked answer, with the notice when the extractive answer replaced the model's).
        ``limit``: count the question against the session's rate (``respond`` has)."""
        try:
            if limit:
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
    def _view(conversation: Conversation, lang: str, *, question: Any = SKIP, notice: Any = SKIP,
              sources: str | None = None, stored: Any = SKIP) -> ChatView:
        """What the chat shows of a conversation now: its exchanges, then the answer being
        written and the questions waiting; Stop while any is; feedback once the last
        exchange is an answer. The input box and the notice under it are left as they are
        unless given: a question typed while an answer streams is not wiped."""
        with conversation.lock:
            exchanges, turns, busy = list(conversation), conversation.turns(), conversation.busy
        rated = bool(exchanges) and exchanges[-1].answer is not None and not busy
        return ChatView(
            question, chat_messages(exchanges, turns, lang),
            sources_html(None, lang) if sources is None else sources,
            gr.update(visible=not (exchanges or turns)), gr.update(visible=rated), "", None,
            gr.update(visible=busy), notice, stored, exchanges,
        )

    def stop(self, session: Sequence[Exchange] | None) -> None:
        """Stop the answer being written: what has appeared stays, marked as stopped, and is
        not remembered for follow-ups; questions waiting after it go on."""
        if isinstance(session, Conversation):
            session.stop()

    def clear(self, lang: str, session: Sequence[Exchange] | None = None) -> ChatView:
        """A new conversation: the session's exchanges, the answer being written and the
        waiting questions are forgotten, on the server and in the browser's storage (other
        sessions are untouched)."""
        conversation = session if isinstance(session, Conversation) else Conversation()
        conversation.reset()
        return self._view(conversation, lang, notice="", stored=stored_conversation([]))

    def restore(self, stored: Any, session: Sequence[Exchange] | None, lang: str,
                request: gr.Request | None = None) -> ChatView:
        """On page load: the conversation the browser kept (a reload finds it again)."""
        conversation = as_conversation(session)
        with conversation.lock:
            if not conversation and not conversation.busy:
                conversation.extend(restored_conversation(stored, user_of(request)))
        return self._view(conversation, lang, sources=self.latest_sources(conversation, lang))

    def show_sources(self, evt: gr.SelectData, session: Sequence[Exchange] | None,
                     lang: str) -> str:
        """Sources of the clicked message's answer (both bubbles of an exchange work)."""
        index = evt.index
        exchanges = list(session or [])
        if not isinstance(index, int) or not 0 <= index // 2 < len(exchanges):
            return sources_html(None, lang)
        return sources_html(exchanges[index // 2].answer, lang, index // 2)

    def latest_sources(self, session: Sequence[Exchange] | None, lang: str) -> str:
        exchanges = list(session or [])
        latest = latest_answered(exchanges)
        if latest < 0:
            return sources_html(None, lang)
        return sources_html(exchanges[latest].answer, lang, latest)

    def open_document(self, evt: gr.EventData, session: Sequence[Exchange] | None,
                      lang: str) -> tuple[dict[str, Any], str]:
        """The whole document of source card ``number`` of exchange ``exchange`` (sent by
        the card's button), the cited passage framed and its sentences marked."""
        data = getattr(evt, "_data", None)
        data = data if isinstance(data, dict) else {}
        exchange: Any = data.get("exchange")
        number: Any = data.get("number")
        exchanges = list(session or [])
        try:
            answer = exchanges[int(exchange)].answer
            cited = cited_sentences(answer, int(number)) if answer is not None else None
        except (IndexError, TypeError, ValueError):
            cited = None
        if cited is None:
            return gr.update(visible=True), document_note("ui_document_missing", lang)
        passage, sentences = cited
        try:
            passages = self.service.document_passages(passage.source)
        except AssistantError as exc:
            return gr.update(visible=True), directory_note(exc.render(lang))
        if not passages:
            return gr.update(visible=True), document_note("ui_document_missing", lang)
        focus = next((p for p in passages if p.chunk_id == passage.chunk_id), None)
        if focus is None:  # re-indexed since: the passage with the cited sentences, if any
            focus = next((p for p in passages if find_spans(p.text, sentences)), passages[0])
        return gr.update(visible=True), document_html(passages, focus, sentences, lang)

    def relabel(self, lang: str, session: Sequence[Exchange] | None) -> list[Any]:
        """Every interface text in ``lang``, then the sources panel and the documents table."""
        return [*self.labels.updates(lang), self.latest_sources(session, lang),
                self.documents_table(lang)]

    # -- feedback ----------------------------------------------------------------------------
    def rate(self, index: int, vote: int, session: Sequence[Exchange] | None, comment: str,
             correction: str, target: FeedbackTarget | None, lang: str) -> FeedbackView:
        """Store a vote on exchange ``index`` (a second vote on it changes the same row)."""
        session = list(session or [])
        if not 0 <= index < len(session) or session[index].answer is None:
            return FeedbackView(message("ui_feedback_no_answer", lang), target, gr.update(),
                                gr.update())
        correction = (correction or "") if vote < 0 else ""
        try:
            if target is not None and target.exchange == index:
                self.feedback.update(target.feedback_id, vote=vote, comment=comment or "",
                                     corrected_answer=correction)
            else:
                target = FeedbackTarget(index, self._store_vote(session, index, vote, comment,
                                                                correction))
        except AssistantError as exc:  # database locked or full: refused, clicking retries
            return FeedbackView(exc.render(lang), target, gr.update(), gr.update())
        return FeedbackView(message("ui_feedback_saved", lang), target,
                            gr.update(visible=vote < 0), gr.update(visible=True))

    def _store_vote(self, session: Sequence[Exchange], index: int, vote: int, comment: str,
                    correction: str) -> int:
        exchange = session[index]
        answer = exchange.answer
        assert answer is not None  # rate() only votes on answered exchanges
        record = answer_record(answer, self.service.settings.sources_listed)
        return self.feedback.add(
            question=exchange.question, answer=answer.text, vote=vote,
            history=history_of(session[:index]), sources=record["sources"],
            comment=comment or "", corrected_answer=correction, language=answer.language,
        )

    def thumbs_up(self, session: Sequence[Exchange] | None, comment: str, correction: str,
                  target: FeedbackTarget | None, lang: str) -> FeedbackView:
        return self.rate(latest_answered(list(session or [])), 1, session, comment, correction,
                         target, lang)

    def thumbs_down(self, session: Sequence[Exchange] | None, comment: str, correction: str,
                    target: FeedbackTarget | None, lang: str) -> FeedbackView:
        return self.rate(latest_answered(list(session or [])), -1, session, comment, correction,
                         target, lang)

    def on_like(self, evt: gr.LikeData, session: Sequence[Exchange] | None, comment: str,
                correction: str, target: FeedbackTarget | None, lang: str) -> FeedbackView:
        """The chatbot's own thumbs, on any answer of the conversation."""
        index, liked = evt.index, evt.liked
        if not isinstance(index, int) or not isinstance(liked, bool):
            return FeedbackView("", target, gr.update(), gr.update())  # an undone vote
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

    def directory_cards(self, theme: str | None, town: str | None, lang: str,
                        text: str | None = "") -> str:
        """The organisations of a theme (id) and a town whose names, description, place,
        themes or relations hold every word of ``text``, as cards; or the one-line reason."""
        try:
            found = self.service.organisations(theme=_chosen(theme), town=_chosen(town))
        except AssistantError as exc:
            return directory_note(exc.render(lang))
        except Exception as exc:  # a bug: one line on the page, the traceback in the log
            logger.exception("directory failed")
            detail = f"{type(exc).__name__}: {exc}"[:200]
            return directory_note(message("internal_error", lang, detail=detail))
        words = fold(text or "").split()
        if words:
            found = [org for org in found if all(w in searchable(org) for w in words)]
        return directory_html(found, lang)

    def show_directory(self, theme: str | None, town: str | None, lang: str,
                       text: str | None = "") -> DirectoryView:
        """The tab as it opens: towns of the current index (re-indexing may change them; a
        town no longer there goes back to "All"), then the cards."""
        towns = self.towns()
        if _chosen(town) not in (None, *towns):
            town = ALL
        return DirectoryView(gr.update(choices=self.town_choices(lang, towns), value=town or ALL),
                             self.directory_cards(theme, town, lang, text))


def searchable(org: Organisation) -> str:
    """An organisation's words the directory's search box looks in, folded: names,
    description, town and address, themes in both languages, related organisations."""
    themes_named = [theme_label(t, lang) for t in org.themes for lang in ("fr", "en")]
    parts = [org.title, *org.aliases, org.description, org.town, org.address, org.website,
             *themes_named, *(r.target_name for r in org.relations)]
    return fold(" ".join(parts))


def stopped_reply(partial: str, lang: str) -> str:
    """What stays of an answer stopped while it appeared: its words so far, marked."""
    mark = f"*{message('ui_stopped', lang)}*"
    return f"{partial} {mark}" if partial.strip() else mark


def user_of(request: gr.Request | None) -> str:
    """The signed-in user ("" without accounts): the browser's copy of a conversation is
    only given back to the user it was kept for."""
    return str(getattr(request, "username", None) or "")


def limit_key(request: gr.Request | None) -> str:
    """Whom the question limit counts: the signed-in user, else the client's address. Never
    the session hash, which the client picks: a new session per question would escape."""
    user = getattr(request, "username", None)
    if user:
        return f"user:{user}"
    client = getattr(request, "client", None)
    return f"address:{getattr(client, 'host', None) or ''}"


def _chosen(value: str | None) -> str | None:
    """A filter's value for the service: None for "All"."""
    return None if value in (None, "", ALL) else value
