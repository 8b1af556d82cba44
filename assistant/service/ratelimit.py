"""Rate limits of the web chat, kept in memory (nothing needs to survive a restart):

- ``SessionRateLimiter``: at most N questions in any 60 s per key. The web chat keys it on
  the signed-in user, or the client address without accounts: never on a value the
  client picks (a session hash), or a new session per question would escape it.
- ``SignInThrottle``: wrong sign-ins per user and per client address, a growing delay,
  then a temporary lock-out.

The standard library has no rate limiter and Gradio none for sign-in: a sliding window
of timestamps per key is a few lines.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from assistant.core.errors import AssistantError

WINDOW_SECONDS = 60.0
PRUNE_ABOVE = 1000  # sessions remembered before idle ones are forgotten


class RateLimited(AssistantError):
    """A session asked more than its share; the message says how long to wait."""

    exit_code = 3


class SessionRateLimiter:
    """``check(key)`` records one request, or raises RateLimited when the key's window is
    full. A limit of 0 lets everything through."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()  # gradio calls handlers from many threads

    def check(self, key: str) -> None:
        if self.per_minute <= 0:
            return
        with self._lock:
            now = self._clock()
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - WINDOW_SECONDS:
                hits.popleft()
            if len(hits) >= self.per_minute:
                wait = max(1, math.ceil(hits[0] + WINDOW_SECONDS - now))
                raise RateLimited("rate_limited", limit=self.per_minute, seconds=wait)
            hits.append(now)
            if len(self._hits) > PRUNE_ABOVE:
                self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        """Drop sessions with no request in the window, so memory stays bounded."""
        for key in [k for k, h in self._hits.items() if not h or h[-1] <= now - WINDOW_SECONDS]:
            del self._hits[key]


BASE_DELAY = 0.25  # seconds before answering after one wrong sign-in; doubles with each


class SignInLocked(AssistantError):
    """Too many wrong sign-ins for this user or address: refused without checking."""


class SignInThrottle:
    """Wrong sign-ins per key (a user name, a client address): at most ``max_failures`` in
    any 60 s; the next attempt locks the key out for ``lockout_seconds``.

    Attempts being checked count too (``begin`` .. ``finish``): while a key's failures
    plus its attempts in progress reach the bound, ``begin`` answers None and the caller
    waits, so that parallel attempts cannot all slip past the count, and a burst of right
    sign-ins (people behind one address) waits a moment instead of being locked out. The
    delay ``begin`` gives grows with the key's recent failures."""

    MAX_DELAY = 4.0

    def __init__(self, max_failures: int = 10, lockout_seconds: float = 300.0,
                 clock: Callable[[], float] = time.monotonic,
                 base_delay: float = BASE_DELAY) -> None:
        self.max_failures = max_failures
        self.lockout_seconds = lockout_seconds
        self.base_delay = base_delay
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._checking: dict[str, int] = {}  # attempts begun and not finished, per key
        self._locked: dict[str, float] = {}  # key -> end of its lock-out
        self._lock = threading.Lock()

    def begin(self, keys: tuple[str, ...]) -> float | None:
        """Start an attempt for every key: the delay to wait before answering it, or None
        when attempts in progress fill the count (try again shortly). Raises SignInLocked
        when a key is locked out, or has just reached the bound and is locked now."""
        with self._lock:
            now = self._clock()
            for key in keys:
                until = self._locked.get(key, 0.0)
                if until <= now and len(self._recent(key, now)) >= self.max_failures:
                    until = self._locked[key] = now + self.lockout_seconds
                if until > now:
                    raise SignInLocked("ui_sign_in_locked", seconds=max(1, math.ceil(until - now)))
            failures = [len(self._recent(key, now)) for key in keys]
            if any(f + self._checking.get(key, 0) >= self.max_failures
                   for key, f in zip(keys, failures, strict=True)):
                return None
            for key in keys:
                self._checking[key] = self._checking.get(key, 0) + 1
            return self.delay(max(failures))

    def finish(self, keys: tuple[str, ...], succeeded: bool) -> None:
        """End an attempt ``begin`` started; a wrong one counts against every key."""
        with self._lock:
            now = self._clock()
            for key in keys:
                left = self._checking.get(key, 0) - 1
                if left > 0:
                    self._checking[key] = left
                else:
                    self._checking.pop(key, None)
                if not succeeded:
                    self._failures.setdefault(key, deque()).append(now)
            if len(self._failures) > PRUNE_ABOVE:
                self._forget_idle(now)

    def failures(self, key: str) -> int:
        with self._lock:
            return len(self._recent(key, self._clock()))

    def delay(self, failures: int) -> float:
        """Seconds to wait before answering an attempt after ``failures`` wrong ones."""
        if failures <= 0:
            return 0.0
        return float(min(self.MAX_DELAY, self.base_delay * 2 ** (failures - 1)))

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._failures.get(key, deque())
        while hits and hits[0] <= now - WINDOW_SECONDS:
            hits.popleft()
        return hits

    def _forget_idle(self, now: float) -> None:
        for key in [k for k in self._failures if not self._recent(k, now)]:
            if self._locked.get(key, 0.0) <= now:
                del self._failures[key]
                self._locked.pop(key, None)
