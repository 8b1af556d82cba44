"""What the web chat keeps per session (its ``Conversation``: the exchanges, the answer
being written, the questions waiting their turn), how a conversation is kept in the
browser's storage, and what its handlers return to the components (``ChatView``,
``DirectoryView``, ``FeedbackView``)."""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from assistant.core.types import Answer, Citation, Passage

MAX_WAITING = 3  # questions a session may queue behind the answer being written
STORED_EXCHANGES = 50  # the browser keeps the last 50 exchanges of a conversation
STORAGE_VERSION = 1


@dataclass
class Exchange:
    """One question of a session and the reply shown for it."""

    question: str
    reply: str
    answer: Answer | None = None  # None when the question failed or its answer was stopped


Session = list[Exchange]


# eq=False: a turn is one sending of a question, found again by identity; two sendings
# of the same question are two turns (compared by value, dropping the one dropped the other
# from the line, and the other then waited for a place that was gone).
@dataclass(eq=False)
class Turn:
    """A question sent to a conversation: waiting its turn, then being answered (``reply``
    grows as it streams); ``stopped`` once Stop (or a new conversation) ended it."""

    question: str
    reply: str = ""
    started: bool = False  # its answer is being written (else it waits its turn)
    stopped: bool = False
    dropped: bool = False  # the conversation was cleared: nothing of it is kept


class Conversation(list[Exchange]):
    """A browser session's exchanges (a list, oldest first) and the questions in flight.

    The web app keeps one per session in a ``gr.State`` (Gradio hands every event of the
    session the same object), so a question sent while an answer streams joins
    ``waiting`` and is answered next, in order, instead of being lost; ``lock`` guards
    both and wakes the waiting questions."""

    def __init__(self, exchanges: Iterable[Exchange] = (), owner: str | None = None) -> None:
        super().__init__(exchanges)
        self.lock = threading.Condition()
        self.active: Turn | None = None
        self.waiting: deque[Turn] = deque()
        self.owner = owner  # the signed-in user it belongs to ("" without accounts)

    def owned_by(self, user: str) -> Conversation:
        """This conversation when it is ``user``'s (its first user claims it), else a new
        empty one: Gradio finds a session's state by an id the client sends, so another
        user reusing that id must not see, continue or clear this conversation."""
        with self.lock:
            if self.owner is None:
                self.owner = user
            return self if self.owner == user else Conversation(owner=user)

    def __deepcopy__(self, memo: dict[int, Any]) -> Conversation:
        return Conversation(self, self.owner)  # a lock cannot be copied; nothing in flight

    @property
    def busy(self) -> bool:
        return self.active is not None or bool(self.waiting)

    def turns(self) -> list[Turn]:
        """The answer being written, then the waiting questions, in order."""
        return ([self.active] if self.active else []) + list(self.waiting)

    def stop(self) -> bool:
        """Stop the answer being written (the waiting questions go on); True if one was."""
        with self.lock:
            if self.active is None or self.active.stopped:
                return False
            self.active.stopped = True
            self.lock.notify_all()
            return True

    def reset(self) -> None:
        """Forget everything: the exchanges, the answer being written, the waiting ones."""
        with self.lock:
            if self.active is not None:  # its responder sees it and keeps nothing
                self.active.stopped = self.active.dropped = True
                self.active = None
            for turn in self.waiting:
                turn.dropped = True
            self.waiting.clear()
            self.clear()
            self.lock.notify_all()


def as_conversation(session: Sequence[Exchange] | None) -> Conversation:
    """The session's conversation itself (the app's), or a new one holding a copy of a
    plain list's exchanges (callers that pass lists keep theirs untouched)."""
    if isinstance(session, Conversation):
        return session
    return Conversation(session or [])


@dataclass(frozen=True)
class FeedbackTarget:
    """The answer the feedback panel speaks about, and its stored row."""

    exchange: int
    feedback_id: int


class ChatView(NamedTuple):
    """Outputs of the chat handlers, in the order ``build_app`` wires them; ``session`` (the
    exchanges at this point, a copy) is for callers and tests, not an output."""

    question: Any  # the input box: emptied once asked, kept when refused, else gr.skip()
    chatbot: list[dict[str, str]]
    sources: str
    start: dict[str, Any]  # start screen visibility
    feedback: dict[str, Any]  # the feedback panel shows once there is an answer to rate
    feedback_status: str
    feedback_target: FeedbackTarget | None
    stop: dict[str, Any]  # the Stop button shows while an answer is written or waits
    notice: Any  # why a question was refused (it stays in the input box), or gr.skip()
    stored: Any  # the conversation for the browser's storage, or gr.skip() mid-stream
    session: Session = []

    @property
    def outputs(self) -> tuple[Any, ...]:
        return tuple(self)[:-1]


class DirectoryView(NamedTuple):
    """Outputs of the directory tab's refresh: the town choices of the current index, the
    cards."""

    town: dict[str, Any]
    cards: str


class FeedbackView(NamedTuple):
    status: str
    target: FeedbackTarget | None
    correction: dict[str, Any]  # the corrected-answer box shows after a thumbs down
    details: dict[str, Any] = {}  # the comment box and its button show after a vote


def history_of(session: Sequence[Exchange]) -> list[tuple[str, str]]:
    """[user, assistant] pairs for the service. The standalone question is kept, as the
    command line does, so later follow-ups still know what "it" refers to."""
    return [(e.answer.standalone_question or e.question, e.answer.text)
            for e in session if e.answer is not None]


def growing_prefixes(text: str) -> Iterator[str]:
    """The text word by word, each prefix longer than the last."""
    for match in re.finditer(r"\s*\S+", text):
        yield text[: match.end()]


def latest_answered(session: Sequence[Exchange]) -> int:
    """Index of the last exchange that got an answer (not an error), or -1."""
    return next((i for i in range(len(session) - 1, -1, -1) if session[i].answer), -1)


# -- the browser's copy -----------------------------------------------------------------------
# What the browser keeps (Gradio's BrowserState, in localStorage) so that a reload finds the
# conversation: plain JSON, read back defensively (it comes from the browser).
def stored_conversation(session: Sequence[Exchange], user: str = "") -> dict[str, Any]:
    return {"version": STORAGE_VERSION, "user": user,
            "exchanges": [_exchange_record(e) for e in session[-STORED_EXCHANGES:]]}


def restored_conversation(stored: Any, user: str = "") -> list[Exchange]:
    """The exchanges of a stored conversation; none when it is missing, malformed, from an
    older format or another user's."""
    if not isinstance(stored, dict) or stored.get("version") != STORAGE_VERSION:
        return []
    if stored.get("user", "") != user:
        return []
    try:
        return [_exchange_from(record) for record in stored["exchanges"][-STORED_EXCHANGES:]]
    except (KeyError, TypeError, ValueError, AttributeError):
        return []


def _exchange_record(exchange: Exchange) -> dict[str, Any]:
    return {"question": exchange.question, "reply": exchange.reply,
            "answer": _answer_record(exchange.answer) if exchange.answer else None}


def _answer_record(answer: Answer) -> dict[str, Any]:
    passages: dict[str, Passage] = {p.chunk_id: p for p in answer.sources}
    for citation in answer.citations:
        passages.setdefault(citation.passage.chunk_id, citation.passage)
    return {
        "text": answer.text, "abstained": answer.abstained, "language": answer.language,
        "standalone_question": answer.standalone_question, "route": answer.route,
        "engine": answer.engine, "notice": answer.notice,
        "passages": {key: _passage_record(p) for key, p in passages.items()},
        "sources": [p.chunk_id for p in answer.sources],
        "citations": [[c.number, c.passage.chunk_id, c.unit_text] for c in answer.citations],
    }


_PASSAGE_TEXTS = ("chunk_id", "text", "title", "section", "source", "organisation", "language")


def _passage_record(passage: Passage) -> dict[str, Any]:
    record: dict[str, Any] = {name: getattr(passage, name) for name in _PASSAGE_TEXTS}
    return {**record, "score": float(passage.score), "rank": int(passage.rank)}


def _exchange_from(record: dict[str, Any]) -> Exchange:
    answer = record.get("answer")
    return Exchange(_text(record["question"]), _text(record["reply"]),
                    _answer_from(answer) if answer is not None else None)


def _answer_from(record: dict[str, Any]) -> Answer:
    passages = {str(key): _passage_from(value) for key, value in record["passages"].items()}
    return Answer(
        text=_text(record["text"]), abstained=bool(record["abstained"]),
        language=_text(record["language"]),
        sources=[passages[str(key)] for key in record["sources"]],
        citations=[Citation(int(number), passages[str(key)], _text(unit))
                   for number, key, unit in record["citations"]],
        standalone_question=_text(record.get("standalone_question", "")),
        route=_text(record.get("route", "passages")),
        engine=_text(record.get("engine", "extractive")), notice=_text(record.get("notice", "")),
    )


def _passage_from(record: dict[str, Any]) -> Passage:
    texts = {name: _text(record[name]) for name in _PASSAGE_TEXTS}
    return Passage(**texts, score=float(record["score"]), rank=int(record["rank"]))


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("not a text")
    return value

