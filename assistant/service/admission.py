"""A bounded, first-come first-served line for answers (issue 17): at most ``concurrency``
answers are worked on at once, at most ``size`` people wait, each knowing their place;
past that, a question is refused at once ("busy") instead of waiting unseen.

Gradio's own queue bounds and numbers its events too, but shows the place only as a
progress overlay and refuses past its bound with its own English error; the web chat
says both in the person's language, so the line is kept here (a semaphore that knows
the order of its waiters: ``threading.Semaphore`` does not tell a place).
"""

from __future__ import annotations

import threading
from collections import deque


class Ticket:
    """One question's place: admitted (being answered), or waiting."""

    def __init__(self, line: AnswerLine, admitted: bool) -> None:
        self.line = line
        self.admitted = admitted

    @property
    def position(self) -> int:
        """0 once admitted, else 1 for the first one waiting, 2 for the next..."""
        return self.line.position(self)

    def wait(self, timeout: float) -> int:
        """Wait until admitted or the line moves (at most ``timeout`` s); the position."""
        return self.line.wait(self, timeout)

    def leave(self) -> None:
        self.line.leave(self)


class AnswerLine:
    def __init__(self, concurrency: int, size: int) -> None:
        self.concurrency = concurrency
        self.size = size
        self._changed = threading.Condition()
        self._active = 0
        self._waiting: deque[Ticket] = deque()

    @property
    def full(self) -> bool:
        with self._changed:
            return self._active >= self.concurrency and len(self._waiting) >= self.size

    def enter(self) -> Ticket | None:
        """A ticket, admitted at once when there is room; None when the line is full."""
        with self._changed:  # a reentrant lock: full and join take it again
            return None if self.full else self.join()

    def join(self) -> Ticket:
        """A ticket whatever the bound (a question already accepted): admitted at once
        when there is room, else last in line."""
        with self._changed:
            if self._active < self.concurrency and not self._waiting:
                self._active += 1
                return Ticket(self, admitted=True)
            ticket = Ticket(self, admitted=False)
            self._waiting.append(ticket)
            return ticket

    def position(self, ticket: Ticket) -> int:
        with self._changed:
            return 0 if ticket.admitted else self._waiting.index(ticket) + 1

    def wait(self, ticket: Ticket, timeout: float) -> int:
        with self._changed:
            if not ticket.admitted:
                self._changed.wait(timeout)
            return 0 if ticket.admitted else self._waiting.index(ticket) + 1

    def leave(self, ticket: Ticket) -> None:
        """The answer is done (or the question dropped): the next one in line goes."""
        with self._changed:
            if ticket.admitted:
                self._active -= 1
                ticket.admitted = False
            elif ticket in self._waiting:
                self._waiting.remove(ticket)
            while self._active < self.concurrency and self._waiting:
                self._waiting.popleft().admitted = True
                self._active += 1
            self._changed.notify_all()

    @property
    def busy(self) -> tuple[int, int]:
        """(answers being worked on, people waiting)."""
        with self._changed:
            return self._active, len(self._waiting)
