"""Sign-in for the web chat: accounts from the settings, kept only as salted PBKDF2 hashes.

Gradio runs the sign-in form (``POST /login``), its session tokens and ``/logout``; this
module gives it the check (throttled, hashed in a worker thread, logged), makes its tokens
expire (``ExpiringTokens``) and guards what Gradio serves around it (``HttpGuard``).

Without accounts the app must stay on loopback: anyone who can reach the port could
otherwise read the documents through it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any

from fastapi import HTTPException
from starlette.requests import HTTPConnection

from assistant.core.errors import AssistantError
from assistant.core.messages import message
from assistant.service.ratelimit import SignInLocked, SignInThrottle

logger = logging.getLogger(__name__)

ITERATIONS = 200_000  # ~0.1 s a check: cheap for a sign-in, costly for guessing
SALT_BYTES = 16
BUSY_POLL = 0.05  # seconds between looks while other attempts on the same name are checked
# The address of the request being served, set by HttpGuard: Gradio hands the sign-in
# check only the user name and password.
CLIENT_ADDRESS: ContextVar[str] = ContextVar("client_address", default="unknown")


def hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, ITERATIONS)


class UserTable:
    """Hashed accounts; calling it checks a user name and password. ``sign_in`` is the
    check Gradio's sign-in form calls: throttled per user and per client address, hashed
    off the event loop, logged without the password."""

    def __init__(self, users: Mapping[str, str], throttle: SignInThrottle | None = None,
                 lang: str = "fr") -> None:
        self._hashes: dict[str, tuple[bytes, bytes]] = {}
        for name, password in users.items():
            salt = os.urandom(SALT_BYTES)
            self._hashes[name] = (salt, hash_password(password, salt))
        # Unknown names are checked against this too, so timing does not tell which exist.
        self._decoy = (os.urandom(SALT_BYTES), os.urandom(32))
        self.throttle = throttle or SignInThrottle()
        self.lang = lang
        # One hashing thread: a flood of sign-ins queues here instead of taking every core
        # (or the event loop) from signed-in users.
        self._hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sign-in")

    def __bool__(self) -> bool:
        return bool(self._hashes)

    def __len__(self) -> int:
        return len(self._hashes)

    def __call__(self, username: str, password: str) -> bool:
        salt, expected = self._hashes.get(username, self._decoy)
        matches = hmac.compare_digest(hash_password(password, salt), expected)
        return matches and username in self._hashes

    async def sign_in(self, username: str, password: str) -> bool:
        """Gradio's auth hook (a coroutine, so Gradio awaits it instead of running it on
        the event loop). A locked user or address is refused at once, without hashing."""
        address = CLIENT_ADDRESS.get()
        keys = (f"user:{username}", f"address:{address}")
        try:
            delay = await self._begin(keys)
        except SignInLocked as exc:
            logger.warning("sign-in refused (locked): user %r from %s", username, address)
            raise HTTPException(status_code=400, detail=exc.render(self.lang)) from None
        matches = False
        try:
            loop = asyncio.get_running_loop()
            matches = await loop.run_in_executor(self._hasher, self, username, password)
            await asyncio.sleep(delay)  # grows with the recent failures, right or not
        finally:
            self.throttle.finish(keys, matches)
        if matches:
            logger.info("sign-in: user %r from %s", username, address)
        else:
            logger.warning("failed sign-in: user %r from %s (%d wrong for this user, %d for "
                           "this address in the last minute)", username, address,
                           self.throttle.failures(keys[0]), self.throttle.failures(keys[1]))
        return matches


    async def _begin(self, keys: tuple[str, ...]) -> float:
        """The throttle's go-ahead, waiting (off the event loop's back) while attempts in
        progress fill the count; SignInLocked when locked."""
        while (delay := self.throttle.begin(keys)) is None:
            await asyncio.sleep(BUSY_POLL)
        return delay


class ExpiringTokens(dict[str, str]):
    """Gradio's session tokens (token -> user name) that lapse ``seconds`` after sign-in.
    Gradio keeps them in a plain dict forever; it only reads them through ``get``, ``in``,
    ``keys`` and item access, which forget lapsed ones first."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.seconds = seconds
        self._clock = clock
        self._issued: dict[str, float] = {}

    def __setitem__(self, token: str, user: str) -> None:
        self._sweep()
        self._issued[token] = self._clock()
        super().__setitem__(token, user)

    def __delitem__(self, token: str) -> None:
        self._issued.pop(token, None)
        super().__delitem__(token)

    def __contains__(self, token: object) -> bool:
        self._sweep()
        return super().__contains__(token)

    def get(self, token: str, default: Any = None) -> Any:  # type: ignore[override]
        self._sweep()
        return super().get(token, default)

    def keys(self) -> Any:
        self._sweep()
        return super().keys()

    def _sweep(self) -> None:
        limit = self._clock() - self.seconds
        for token in [t for t, at in self._issued.items() if at <= limit]:
            del self[token]


# -- what Gradio serves around the sign-in --------------------------------------------------
ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]
API_INFO = re.compile(rb"window\.gradio_api_info = .*?;</script>", re.S)
NO_API_INFO = b'window.gradio_api_info = {"named_endpoints": {}, "unnamed_endpoints": {}};</script>'


class HttpGuard:
    """ASGI middleware in front of Gradio (no Gradio option does these):

    - records the client address for the sign-in throttle (``CLIENT_ADDRESS``);
    - the session cookies Gradio sets at sign-in get ``SameSite=Lax`` (Gradio sets
      ``None``, which sends them with other sites' requests) and a ``Max-Age`` equal to
      the token's life; over HTTPS the twin cookie without ``Secure`` is not set;
    - the sign-in page no longer embeds the API schema, which ``/gradio_api/info``
      refuses to anyone not signed in."""

    def __init__(self, app: ASGIApp, token_seconds: float) -> None:
        self.app = app
        self.token_seconds = token_seconds

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        CLIENT_ADDRESS.set(client[0] if client else "unknown")
        path = local_path(scope)
        if path.rstrip("/") == "/login":
            await self.app(scope, receive, self._cookie_rewriter(scope, send))
        elif path == "/" and scope["method"] == "GET" and not signed_in(scope):
            await self.app(scope, receive, _body_rewriter(send))
        else:
            await self.app(scope, receive, send)

    def _cookie_rewriter(self, scope: MutableMapping[str, Any], send: Any) -> Any:
        https = scope.get("scheme") == "https"

        async def rewritten(event: dict[str, Any]) -> None:
            if event["type"] == "http.response.start":
                event["headers"] = [
                    (name, cookie_flags(value, self.token_seconds) if name == b"set-cookie"
                     else value)
                    for name, value in event.get("headers", [])
                    if not (https and name == b"set-cookie" and b"-unsecure-" in value)
                ]
            await send(event)
        return rewritten


def cookie_flags(cookie: bytes, seconds: float) -> bytes:
    """A Set-Cookie value with SameSite=Lax and, unless it deletes the cookie, a Max-Age."""
    cookie = re.sub(rb"(?i);\s*samesite=\w+", b"; SameSite=Lax", cookie)
    if b"samesite=" not in cookie.lower():
        cookie += b"; SameSite=Lax"
    if b"max-age=" not in cookie.lower():
        cookie += b"; Max-Age=%d" % int(seconds)
    return cookie


def _body_rewriter(send: Any) -> Any:
    """Holds the page back until it is whole, then sends it without the API schema."""
    start: dict[str, Any] = {}
    body = bytearray()

    async def rewritten(event: dict[str, Any]) -> None:
        if event["type"] == "http.response.start":
            start.update(event)
            return
        if event["type"] != "http.response.body":
            await send(event)
            return
        body.extend(event.get("body", b""))
        if event.get("more_body"):
            return
        page = API_INFO.sub(lambda _: NO_API_INFO, bytes(body), count=1)
        start["headers"] = [(n, str(len(page)).encode() if n == b"content-length" else v)
                            for n, v in start.get("headers", [])]
        await send(start)
        await send({"type": "http.response.body", "body": page})
    return rewritten


def local_path(scope: MutableMapping[str, Any]) -> str:
    """The request's path below the app's mount point."""
    path, root = scope.get("path", ""), scope.get("root_path", "")
    return path[len(root):] or "/" if root and path.startswith(root) else path or "/"


def signed_in(scope: MutableMapping[str, Any]) -> bool:
    """Whether the request carries a live session token of Gradio's (or needs none)."""
    app = scope.get("app")
    if getattr(app, "auth", None) is None:
        return True
    cookies = HTTPConnection(scope).cookies
    cookie_id = getattr(app, "cookie_id", "")
    token = cookies.get(f"access-token-{cookie_id}") or cookies.get(
        f"access-token-unsecure-{cookie_id}")
    return bool(token) and getattr(app, "tokens", {}).get(token) is not None


# -- exposure ------------------------------------------------------------------------------
def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_exposure(host: str, share: bool, users: UserTable) -> None:
    """Refuse to serve beyond this machine (other host, public link) without sign-in."""
    if users:
        return
    if share:
        raise AssistantError("ui_refuse_share")
    if not is_loopback(host):
        raise AssistantError("ui_refuse_public_host", host=host)


def sign_in_note(users: UserTable, lang: str) -> str:
    """The sign-in page's text: what to do, and the lock-out rule (the form itself only
    says "Incorrect Credentials")."""
    throttle = users.throttle
    return message("ui_auth", lang, failures=throttle.max_failures,
                   minutes=max(1, round(throttle.lockout_seconds / 60)))
