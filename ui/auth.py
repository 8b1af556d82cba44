"""Sign-in for the web chat: accounts from the settings, kept only as salted PBKDF2 hashes.

Gradio runs the sign-in (``POST /login``), its session tokens and ``/logout``; this module
gives it the check (throttled, hashed in a worker thread, logged), makes its tokens expire
(``ExpiringTokens``) and guards what Gradio serves around it (``HttpGuard``), our sign-in
page (``ui/sign_in.py``) included.

Without accounts the app must stay on loopback: anyone who can reach the port could
otherwise read the documents through it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any
from urllib.parse import parse_qs

from fastapi import HTTPException
from starlette.requests import HTTPConnection

from assistant.core.errors import AssistantError
from assistant.core.messages import message
from assistant.service.ratelimit import SignInLocked, SignInThrottle
from ui.sign_in import CSP, FORM_QUERY, sign_in_page

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
# Gradio's answer to a wrong password (anything else it refuses with is ours: the lock-out).
GRADIO_REFUSAL = "Incorrect credentials."


class HttpGuard:
    """ASGI middleware in front of Gradio (no Gradio option or hook does these):

    - records the client address for the sign-in throttle (``CLIENT_ADDRESS``);
    - serves our sign-in page (``ui/sign_in.py``: a real form) where Gradio would serve
      its own to a visitor not signed in (``GET /``), and answers that form's posts to
      Gradio's ``/login`` with a redirect to the app, or the page again with the reason
      (Gradio answers JSON, meant for its script);
    - the session cookies Gradio sets at sign-in get ``SameSite=Lax`` (Gradio sets
      ``None``, which sends them with other sites' requests) and a ``Max-Age`` equal to
      the token's life; over HTTPS the twin cookie without ``Secure`` is not set."""

    def __init__(self, app: ASGIApp, token_seconds: float, lang: str = "fr",
                 note: str = "") -> None:
        self.app = app
        self.token_seconds = token_seconds
        self.lang = lang
        self.note = note

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        CLIENT_ADDRESS.set(client[0] if client else "unknown")
        path = local_path(scope)
        if path.rstrip("/") == "/login":
            if scope["method"] == "POST" and FORM_QUERY in scope.get("query_string", b"").decode(
                    "latin-1").split("&"):
                posted = bytearray()
                await self.app(scope, _recording(receive, posted),
                               self._cookie_rewriter(scope, self._form_answer(send, posted)))
            else:
                await self.app(scope, receive, self._cookie_rewriter(scope, send))
        elif path == "/" and scope["method"] in ("GET", "HEAD") and not signed_in(scope):
            await self._page(send, 200, sign_in_page(self.lang, self.note),
                             body=scope["method"] == "GET")
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

    def _form_answer(self, send: Any, posted: bytearray) -> Any:
        """Gradio's JSON answer to the form's post, held back until whole, turned into a
        303 to the app (with its session cookies) or the form again with the reason."""
        start: dict[str, Any] = {}
        body = bytearray()

        async def answered(event: dict[str, Any]) -> None:
            if event["type"] == "http.response.start":
                start.update(event)
                return
            if event["type"] != "http.response.body":
                await send(event)
                return
            body.extend(event.get("body", b""))
            if event.get("more_body"):
                return
            status = start.get("status", 500)
            if status == 200:
                cookies = [(n, v) for n, v in start.get("headers", []) if n == b"set-cookie"]
                await send({"type": "http.response.start", "status": 303,
                            "headers": [(b"location", b"./"), (b"content-length", b"0"),
                                        (b"cache-control", b"no-store"), *cookies]})
                await send({"type": "http.response.body", "body": b""})
                return
            fields = parse_qs(bytes(posted).decode("utf-8", "replace"))
            page = sign_in_page(self.lang, self.note, refusal(bytes(body), self.lang),
                                fields.get("username", [""])[0])
            await self._page(send, status if 400 <= status < 500 else 400, page)
        return answered

    @staticmethod
    async def _page(send: Any, status: int, page: bytes, body: bool = True) -> None:
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(page)).encode()),
            (b"cache-control", b"no-store"),
            (b"content-security-policy", CSP.encode()),
            (b"x-content-type-options", b"nosniff"),
        ]})
        await send({"type": "http.response.body", "body": page if body else b""})


def _recording(receive: Any, into: bytearray) -> Any:
    """``receive`` that keeps a copy of the request body (the form's fields)."""
    async def recorded() -> Any:
        event = await receive()
        if event["type"] == "http.request" and len(into) < 64 * 1024:
            into.extend(event.get("body", b""))
        return event
    return recorded


def refusal(answer: bytes, lang: str) -> str:
    """Why Gradio refused a sign-in, in one line of ours: the lock-out message
    ``UserTable.sign_in`` raised, else (a wrong password, a malformed post) "wrong name or
    password"."""
    try:
        detail = json.loads(answer).get("detail")
    except (ValueError, AttributeError):
        detail = None
    if isinstance(detail, str) and detail and detail != GRADIO_REFUSAL:
        return detail
    return message("ui_sign_in_wrong", lang)


def cookie_flags(cookie: bytes, seconds: float) -> bytes:
    """A Set-Cookie value with SameSite=Lax and, unless it deletes the cookie, a Max-Age."""
    cookie = re.sub(rb"(?i);\s*samesite=\w+", b"; SameSite=Lax", cookie)
    if b"samesite=" not in cookie.lower():
        cookie += b"; SameSite=Lax"
    if b"max-age=" not in cookie.lower():
        cookie += b"; Max-Age=%d" % int(seconds)
    return cookie


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
    """The sign-in page's text: what to do, and the lock-out rule."""
    throttle = users.throttle
    return message("ui_auth", lang, failures=throttle.max_failures,
                   minutes=max(1, round(throttle.lockout_seconds / 60)))
