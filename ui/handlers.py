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
from assistant.directory.organisations import themes
from assistant.generation.generate import Delta, Event
from assistant.service.assistant_service import AssistantService
from assistant.service.feedback import FeedbackStore
from assistant.service.presenters import answer_record, report_summary, report_warnings
from assistant.service.ratelimit import SessionRateLimiter
from ui.gradio_offline import gr
from ui.labels import Labels, message_list
from ui.render import directory_html, directory_note, sources_html
from ui.views import (
    ChatView,
    DirectoryView,
    Exchange,
    FeedbackTarget,
    FeedbackView,
    Session,
    chat_messages,
    growing_prefixes,
    history_of,
    latest_answered,
)

logger = logging.getLogger(__name__)

STREAM_DELAY = 0.02  # seconds between streamed words: reads as typing, ~1 s per answer
ALL = "*"  # the directory filters' "All" choice (no theme id or town is spelled so)


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
        for item in self.reply_stream(question, before, lang, session_key(request)):
            if isinstance(item, Exchange):
                done = item
            else:  # the model's unchecked draft is never shown: only that it is being written
                writing = message("ui_llm_writing", lang, words=len(item.split()))
                yield self._view([*before, Exchange(question, f"*{writing}*")], before,
                                 sources_html(None, lang))
        assert done is not None  # reply_stream always ends with the exchange
        for partial in growing_prefixes(done.reply):  # checked text only
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
