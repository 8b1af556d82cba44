"""Per-session request rate limit for the web chat: at most N questions in any 60 s.

A sliding window of timestamps per session key, kept in memory: sessions are the web
chat's own (gradio session hashes), so nothing needs to survive a restart.
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
