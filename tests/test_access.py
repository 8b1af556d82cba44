"""Sign-in, session and limits of the web chat, attacked as an outsider would (issues 17
and 19): throttled sign-in, hashing off the event loop, sign-out and expiring tokens, the
question limit per user or address whatever the session, the page and cookies Gradio
serves. The fast tests call the pieces; the slow ones a real server over HTTP."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import free_tcp_port, ingested_copy

from assistant.core.errors import AssistantError
from assistant.core.messages import message
from assistant.core.settings import Settings
from assistant.service.assistant_service import AssistantService
from assistant.service.feedback import FeedbackStore
from assistant.service.ratelimit import SessionRateLimiter, SignInLocked, SignInThrottle
from ui import auth
from ui.auth import CLIENT_ADDRESS, ExpiringTokens, UserTable, cookie_flags
from ui.handlers import ChatUI, limit_key

ANSWERED = "Qui soutient les collectifs de sans-papiers ?"
PASSWORD = "correct horse battery staple"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def sign_in(users: UserTable, name: str, password: str, address: str = "10.0.0.1") -> Any:
    """One sign-in attempt as Gradio makes it (awaited), from ``address``: True, False,
    or the HTTPException that refuses it."""
    async def attempt() -> bool:
        CLIENT_ADDRESS.set(address)
        return await users.sign_in(name, password)
    try:
        return asyncio.run(attempt())
    except Exception as exc:  # noqa: BLE001 - the refusal is the result under test
        return exc


def table(clock: Clock, **throttle: Any) -> UserTable:
    return UserTable({"alice": PASSWORD, "bob": PASSWORD},
                     SignInThrottle(clock=clock, base_delay=0.0, **throttle), lang="en")


# -- sign-in throttling ------------------------------------------------------------------------
def test_at_most_ten_wrong_sign_ins_a_minute_per_user_then_locked_even_with_the_password() -> None:
    clock = Clock()
    users = table(clock)
    answers = [sign_in(users, "alice", f"guess {i}", f"10.0.1.{i}") for i in range(30)]
    assert answers[:10] == [False] * 10  # checked, wrong
    refused = answers[10:]
    assert all(getattr(r, "status_code", None) == 400 for r in refused)
    assert refused[0].detail == message("ui_sign_in_locked", "en", seconds=300)
    locked = sign_in(users, "alice", PASSWORD, "10.0.2.1")
    assert getattr(locked, "status_code", None) == 400  # the right password waits too
    assert sign_in(users, "bob", PASSWORD, "10.0.2.2") is True  # other users unaffected
    clock.now += 301
    assert sign_in(users, "alice", PASSWORD, "10.0.2.3") is True


def test_at_most_ten_wrong_sign_ins_a_minute_per_address_whatever_the_name() -> None:
    clock = Clock()
    users = table(clock)
    answers = [sign_in(users, f"user{i}", "guess", "192.0.2.7") for i in range(30)]
    assert answers.count(False) == 10
    assert all(getattr(a, "status_code", None) == 400 for a in answers[10:])
    assert sign_in(users, "alice", PASSWORD, "192.0.2.7") is not True  # the address is locked
    assert sign_in(users, "alice", PASSWORD, "192.0.2.8") is True


def test_a_right_sign_in_does_not_count_as_a_failure() -> None:
    users = table(Clock())
    for _ in range(25):
        assert sign_in(users, "alice", PASSWORD) is True
    assert users.throttle.failures("user:alice") == 0


def test_parallel_attempts_cannot_all_pass_the_count() -> None:
    """Counted before the hash: of 30 attempts at once, 10 go on to be checked, the others
    wait; once those 10 are found wrong, the rest are refused unhashed."""
    throttle = SignInThrottle(clock=Clock())
    keys = ("user:alice", "address:x")
    started = [throttle.begin(keys) for _ in range(30)]
    assert sum(s is not None for s in started) == 10
    for _ in range(10):
        throttle.finish(keys, succeeded=False)
    with pytest.raises(SignInLocked):
        throttle.begin(keys)


def test_a_burst_of_right_sign_ins_from_one_address_is_not_locked_out() -> None:
    """Twenty people behind one address signing in at once wait their turn, none locked."""
    users = table(Clock())

    async def burst() -> list[bool]:
        CLIENT_ADDRESS.set("192.0.2.50")
        return list(await asyncio.gather(*(users.sign_in("alice", PASSWORD)
                                           for _ in range(20))))
    assert asyncio.run(burst()) == [True] * 20


def test_the_delay_grows_with_the_failures_up_to_a_bound() -> None:
    clock = Clock()
    throttle = SignInThrottle(max_failures=100, clock=clock)
    delays = []
    for _ in range(12):
        delays.append(throttle.begin(("user:alice",)))
        throttle.finish(("user:alice",), succeeded=False)
    assert delays[0] == 0.0 and delays[1] == 0.25 and delays[2] == 0.5
    assert all(a <= b for a, b in zip(delays, delays[1:], strict=False))
    assert max(delays) == SignInThrottle.MAX_DELAY
    clock.now += 61  # a minute later the failures are forgotten
    assert throttle.begin(("user:alice",)) == 0.0


def test_sign_ins_are_logged_without_the_password(caplog: pytest.LogCaptureFixture) -> None:
    users = table(Clock(), max_failures=2)
    with caplog.at_level(logging.INFO, logger="ui.auth"):
        sign_in(users, "alice", "hunter2-wrong", "203.0.113.5")
        sign_in(users, "alice", PASSWORD, "203.0.113.5")
        sign_in(users, "carol", "hunter3-wrong", "203.0.113.6")
        sign_in(users, "carol", "hunter4-wrong", "203.0.113.6")
        sign_in(users, "carol", "hunter5-wrong", "203.0.113.6")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 5
    assert lines[0].startswith("failed sign-in: user 'alice' from 203.0.113.5")
    assert lines[1] == "sign-in: user 'alice' from 203.0.113.5"
    assert lines[4] == "sign-in refused (locked): user 'carol' from 203.0.113.6"
    assert not any(secret in line for line in lines
                   for secret in ("hunter", PASSWORD))


def test_passwords_are_hashed_in_a_worker_thread_not_on_the_event_loop(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    real = auth.hash_password

    def recording(password: str, salt: bytes) -> bytes:
        threads.append(threading.current_thread().name)
        return real(password, salt)

    users = table(Clock())  # the accounts are hashed once at start, on this thread
    monkeypatch.setattr(auth, "hash_password", recording)
    assert sign_in(users, "alice", PASSWORD) is True
    assert sign_in(users, "nobody", PASSWORD) is False  # unknown names hash the decoy
    assert len(threads) == 2 and all(t.startswith("sign-in") for t in threads)
    assert threading.main_thread().name not in threads


# -- tokens and cookies ------------------------------------------------------------------------
def test_tokens_expire_after_their_lifetime() -> None:
    clock = Clock()
    tokens = ExpiringTokens(3600, clock=clock)
    tokens["t1"] = "alice"
    clock.now += 1800
    tokens["t2"] = "bob"
    assert tokens.get("t1") == "alice" and "t1" in tokens
    clock.now += 1801
    assert tokens.get("t1") is None and "t1" not in tokens
    assert tokens.get("t2") == "bob" and list(tokens.keys()) == ["t2"]
    del tokens["t2"]  # sign-out removes a token (Gradio's /logout)
    assert tokens.get("t2") is None


def test_session_cookies_get_samesite_lax_and_a_lifetime() -> None:
    gradio_secure = b"access-token-x=tok; HttpOnly; Path=/; SameSite=none; Secure"
    out = cookie_flags(gradio_secure, 7200)
    assert out == b"access-token-x=tok; HttpOnly; Path=/; SameSite=Lax; Secure; Max-Age=7200"
    twin = cookie_flags(b"access-token-unsecure-x=tok; HttpOnly; Path=/", 60)
    assert twin == b"access-token-unsecure-x=tok; HttpOnly; Path=/; SameSite=Lax; Max-Age=60"


# -- the question limit: per user or address, never per session --------------------------------
def request(session: str, user: str | None = None, host: str = "127.0.0.1") -> Any:
    """What a gr.Request tells the handlers: the session hash is the client's choice."""
    return SimpleNamespace(session_hash=session, username=user, client=SimpleNamespace(host=host))


def test_limit_key_is_the_user_or_the_address_never_the_session() -> None:
    assert limit_key(request("a", "alice")) == limit_key(request("b", "alice", "10.0.0.9"))
    assert limit_key(request("a", None, "10.0.0.1")) == limit_key(request("z", None, "10.0.0.1"))
    assert limit_key(request("a", None, "10.0.0.1")) != limit_key(request("a", None, "10.0.0.2"))
    assert limit_key(request("a", "alice")) != limit_key(request("a", "bob"))


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return ingested_copy(tmp_path_factory, "access")


def test_a_new_session_per_question_is_limited_like_one_session(indexed: Settings,
                                                                tmp_path: Path) -> None:
    ui = ChatUI(AssistantService(indexed), FeedbackStore(tmp_path / "f.sqlite3"), stream_delay=0)
    ui.limiter = SessionRateLimiter(3)
    notices = [list(ui.respond(ANSWERED, [], "en", request(f"fresh-{i}", "alice")))[-1].notice
               for i in range(5)]
    limited = message("rate_limited", "en", limit=3, seconds=60)
    assert notices[3] == notices[4] == limited
    assert limited not in notices[:3]
    other = list(ui.respond(ANSWERED, [], "en", request("fresh-9", "bob")))[-1]
    assert other.notice != limited  # another user is not affected


def test_without_accounts_the_limit_holds_per_client_address(indexed: Settings,
                                                            tmp_path: Path) -> None:
    ui = ChatUI(AssistantService(indexed), FeedbackStore(tmp_path / "f.sqlite3"), stream_delay=0)
    ui.limiter = SessionRateLimiter(2)
    limited = message("rate_limited", "fr", limit=2, seconds=60)
    notices = [list(ui.respond(ANSWERED, [], "fr", request(f"s{i}", None, "10.1.1.1")))[-1].notice
               for i in range(3)]
    assert notices[2] == limited and limited not in notices[:2]
    elsewhere = list(ui.respond(ANSWERED, [], "fr", request("s9", None, "10.1.1.2")))[-1]
    assert elsewhere.notice != limited


def test_a_long_question_is_refused_whatever_path_it_takes(indexed: Settings,
                                                          tmp_path: Path) -> None:
    """The input box has no length limit the server trusts: the handler and the service
    both refuse, the example buttons' path included (their value comes from the client)."""
    service = AssistantService(indexed)
    ui = ChatUI(service, FeedbackStore(tmp_path / "f.sqlite3"), stream_delay=0)
    long = "Que fait le CIEP ? " * 200
    with pytest.raises(AssistantError) as refused:
        service.ask(long)
    assert refused.value.key == "question_too_long"
    view = list(ui.respond(long, [], "fr", request("s", "alice")))[-1]
    assert view.notice == refused.value.render("fr") and view.session == []


# -- the sign-in page ----------------------------------------------------------------------------
def test_the_sign_in_page_is_a_form_password_managers_know_in_the_apps_language() -> None:
    from ui.sign_in import sign_in_page

    page = sign_in_page("fr", "Connectez-vous.", "Refusé <b>", 'al"ice').decode()
    assert '<html lang="fr">' in page and '<form id="sign-in" method="post"' in page
    assert '<label for="username">Nom d\'utilisateur</label>' in page
    assert '<label for="password">Mot de passe</label>' in page
    assert 'name="username" type="text" autocomplete="username"' in page
    assert 'name="password" type="password" autocomplete="current-password"' in page
    assert '<button type="submit">Se connecter</button>' in page
    assert "Refusé &lt;b&gt;" in page and 'value="al&quot;ice"' in page  # escaped
    assert "<script" not in page and "http" not in page  # nothing fetched, no script
    assert '<meta name="viewport" content="width=device-width' in page
    assert "role=\"alert\"" not in sign_in_page("en", "Sign in.").decode()


def test_a_refused_sign_in_is_told_in_one_line_of_ours() -> None:
    from ui.auth import refusal

    wrong = message("ui_sign_in_wrong", "en")
    assert refusal(b'{"detail": "Incorrect credentials."}', "en") == wrong
    assert refusal(b'{"detail": [{"loc": ["body", "password"]}]}', "en") == wrong
    assert refusal(b"not json", "en") == wrong
    locked = message("ui_sign_in_locked", "fr", seconds=42)
    assert refusal(json.dumps({"detail": locked}).encode(), "en") == locked


# -- a real server over HTTP -------------------------------------------------------------------
@dataclass
class Served:
    url: str
    port: int


@pytest.fixture(scope="module")
def served(indexed: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from ui.app import build_app, launch_app

    settings = indexed.model_copy(update={"upload_max_bytes": 4096, "ui_session_hours": 1.0,
                                          "rate_limit_per_minute": 3})
    service = AssistantService(settings)
    ui = ChatUI(service, FeedbackStore(tmp_path_factory.mktemp("fb") / "f.sqlite3"),
                stream_delay=0)
    app = build_app(service, settings, ui=ui)
    names = ("alice", "bob", "carol", "dave", "erin", "frank")
    users = UserTable({name: PASSWORD for name in names},
                      SignInThrottle(), lang="en")
    port = free_tcp_port()
    launch_app(app, users, host="127.0.0.1", port=port, prevent_thread_lock=True,
               settings=settings, lang="en")
    try:
        yield Served(f"http://127.0.0.1:{port}", port)
    finally:
        app.close()


def http_sign_in(url: str, name: str, password: str, address: str = "") -> Any:
    import httpx

    headers = {"X-Forwarded-For": address} if address else {}
    return httpx.post(f"{url}/login", data={"username": name, "password": password},
                      headers=headers, timeout=30)


@pytest.mark.slow
@pytest.mark.integration
def test_http_brute_force_is_throttled_and_signed_in_users_still_served(served: Served) -> None:
    import httpx

    ok = http_sign_in(served.url, "bob", PASSWORD, "198.51.100.1")
    assert ok.status_code == 200
    cookies = ok.cookies
    answers = [http_sign_in(served.url, "alice", f"guess{i}", "198.51.100.2") for i in range(30)]
    codes = [r.status_code for r in answers]
    assert codes == [400] * 30
    wrong = [r for r in answers if r.json()["detail"] == "Incorrect credentials."]
    assert len(wrong) == 10  # checked; the other 20 were refused without hashing
    locked = http_sign_in(served.url, "alice", PASSWORD, "198.51.100.3")
    assert locked.status_code == 400 and "locked" in locked.json()["detail"]
    page = httpx.get(f"{served.url}/config", cookies=cookies, timeout=10)
    assert page.status_code == 200 and "chat-input" in page.text


@pytest.mark.slow
@pytest.mark.integration
def test_http_sign_out_ends_the_session_on_the_server(served: Served) -> None:
    import httpx

    signed = http_sign_in(served.url, "bob", PASSWORD, "198.51.100.20")
    assert signed.status_code == 200
    cookies = dict(signed.cookies)
    assert httpx.get(f"{served.url}/config", cookies=cookies, timeout=10).status_code == 200
    httpx.get(f"{served.url}/logout", cookies=cookies, timeout=10)
    # The browser would drop its cookie; a copy of it is refused all the same.
    assert httpx.get(f"{served.url}/config", cookies=cookies, timeout=10).status_code == 401


@pytest.mark.slow
@pytest.mark.integration
def test_http_cookies_page_schema_openapi_and_upload_size(served: Served) -> None:
    import httpx

    signed = http_sign_in(served.url, "bob", PASSWORD, "198.51.100.30")
    set_cookies = signed.headers.get_list("set-cookie")
    assert len(set_cookies) == 2
    assert all("SameSite=Lax" in c and "Max-Age=3600" in c and "HttpOnly" in c
               for c in set_cookies)
    # Behind a TLS proxy (X-Forwarded-Proto, trusted from loopback) no cookie without Secure.
    tls = httpx.post(f"{served.url}/login", data={"username": "bob", "password": PASSWORD},
                     headers={"X-Forwarded-For": "198.51.100.31", "X-Forwarded-Proto": "https"},
                     timeout=30)
    assert [("Secure" in c) for c in tls.headers.get_list("set-cookie")] == [True]
    # The sign-in page is ours: no API schema, no Gradio script (/gradio_api/info refuses
    # the schema to the same visitor).
    page = httpx.get(f"{served.url}/", timeout=10)
    assert page.status_code == 200 and '<form id="sign-in"' in page.text
    assert '"/ask"' not in page.text and "gradio" not in page.text.lower()
    assert httpx.get(f"{served.url}/gradio_api/info", timeout=10).status_code == 401
    signed_page = httpx.get(f"{served.url}/", cookies=dict(signed.cookies), timeout=10)
    assert '"/ask"' in signed_page.text  # signed in, the schema is there as before
    assert httpx.get(f"{served.url}/openapi.json", timeout=10).status_code == 404
    # Uploads over the limit are refused while they arrive, signed in or not.
    big = {"files": ("big.txt", b"x" * 5000, "text/plain")}
    refused = httpx.post(f"{served.url}/gradio_api/upload", files=big,
                         cookies=dict(signed.cookies), timeout=30)
    assert refused.status_code == 413
    small = {"files": ("small.txt", b"x" * 1000, "text/plain")}
    assert httpx.post(f"{served.url}/gradio_api/upload", files=small,
                      cookies=dict(signed.cookies), timeout=30).status_code == 200


@pytest.mark.slow
@pytest.mark.integration
def test_http_the_sign_in_form_posts_to_gradio_and_answers_with_a_page_or_the_app(
        served: Served) -> None:
    """Where a visitor lands: our form (not Gradio's script); its post goes to Gradio's
    /login and comes back as the form with our one-line reason, or a redirect to the app
    with the session cookies. API clients posting to /login still get Gradio's JSON."""
    import httpx

    page = httpx.get(f"{served.url}/", timeout=10)
    form = re.search(r'<form id="sign-in" method="post" action="([^"]+)">(.*?)</form>',
                     page.text, re.S)
    assert form and form.group(1) == "login?form=1"
    assert re.search(r'<input id="username" name="username" type="text" '
                     r'autocomplete="username"', form.group(2))
    assert re.search(r'<input id="password" name="password" type="password" '
                     r'autocomplete="current-password"', form.group(2))
    assert '<label for="username">User name</label>' in form.group(2)  # the app's language
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert httpx.head(f"{served.url}/", timeout=10).status_code == 200

    def post(name: str, password: str, address: str) -> Any:
        return httpx.post(f"{served.url}/{form.group(1)}",
                          data={"username": name, "password": password},
                          headers={"X-Forwarded-For": address}, timeout=30)

    wrong = post("dave", "wrong", "198.51.100.70")
    assert wrong.status_code == 400 and wrong.headers["content-type"].startswith("text/html")
    assert message("ui_sign_in_wrong", "en") in wrong.text
    assert "Incorrect" not in wrong.text and not wrong.cookies
    assert 'autocomplete="username" autocapitalize="none"\n spellcheck="false" required ' \
           'value="dave"' in wrong.text  # the name stays filled in
    right = post("dave", PASSWORD, "198.51.100.71")
    assert right.status_code == 303 and right.headers["location"] == "./"
    assert all("SameSite=Lax" in c for c in right.headers.get_list("set-cookie"))
    app_page = httpx.get(f"{served.url}/", cookies=dict(right.cookies), timeout=10)
    assert '"/ask"' in app_page.text and '<form id="sign-in"' not in app_page.text
    # Locked out: our lock-out message, in the page, not "Incorrect Credentials".
    for i in range(12):
        post("frank", f"guess{i}", "198.51.100.72")
    locked = post("frank", PASSWORD, "198.51.100.73")
    assert locked.status_code == 400 and not locked.cookies
    assert message("ui_sign_in_locked", "en", seconds=300)[:40] in locked.text
    # After sign-out the copied cookie lands on the form again.
    httpx.get(f"{served.url}/logout", cookies=dict(right.cookies), timeout=10)
    again = httpx.get(f"{served.url}/", cookies=dict(right.cookies), timeout=10)
    assert '<form id="sign-in"' in again.text and '"/ask"' not in again.text


@pytest.mark.slow
@pytest.mark.integration
def test_http_a_new_client_session_per_question_is_limited_like_one(served: Served) -> None:
    from gradio_client import Client

    signed = http_sign_in(served.url, "alice", PASSWORD, "198.51.100.40")
    if signed.status_code != 200:  # alice was locked by the brute-force test: bob then
        signed = http_sign_in(served.url, "bob", PASSWORD, "198.51.100.41")
    assert signed.status_code == 200
    limited = message("rate_limited", "en", limit=3, seconds=60)[:40]
    cookie_header = "; ".join(f"{k}={v}" for k, v in signed.cookies.items())
    notices = []
    for _ in range(5):
        client = Client(served.url + "/", verbose=False, analytics_enabled=False,
                        download_files=False, headers={"Cookie": cookie_header})
        result = client.predict(ANSWERED, "en", api_name="/ask")
        notices.append(any(isinstance(x, str) and x.startswith(limited) for x in result))
        client.close()
    assert notices == [False, False, False, True, True]


# -- the answer line: bounded, each waiting person shown a place, "busy" past it ---------------
def test_the_line_admits_in_order_numbers_the_waiting_and_refuses_past_its_size() -> None:
    from assistant.service.admission import AnswerLine

    line = AnswerLine(concurrency=2, size=2)
    tickets = [line.enter() for _ in range(4)]
    assert [t.position for t in tickets if t] == [0, 0, 1, 2]
    assert line.enter() is None  # full: refused at once
    assert tickets[0] is not None and tickets[3] is not None
    tickets[0].leave()
    assert [t.position for t in tickets[1:] if t] == [0, 0, 1]
    tickets[3].leave()  # a waiting question dropped: the line just shortens
    assert line.busy == (2, 0) and line.enter() is not None


class BlockingService(AssistantService):
    """The real service, whose answers wait for ``release`` (an answer being worked on)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.release = threading.Event()
        self.started = threading.Event()

    def ask(self, question: str, history: Any = None) -> Any:
        self.started.set()
        assert self.release.wait(30)
        return super().ask(question, history)


def test_a_waiting_person_sees_their_place_at_once_and_past_the_line_is_told_busy(
    indexed: Settings, tmp_path: Path
) -> None:
    settings = indexed.model_copy(update={"ui_concurrency": 1, "ui_queue_size": 1})
    service = BlockingService(settings)
    ui = ChatUI(service, FeedbackStore(tmp_path / "f.sqlite3"), stream_delay=0)
    first: list[Any] = []
    answering = threading.Thread(target=lambda: first.extend(
        ui.respond(ANSWERED, [], "en", request("a", "alice"))))
    answering.start()
    assert service.started.wait(30)  # the only answer slot is taken
    second = ui.respond(ANSWERED, [], "en", request("b", "bob"))
    views = [next(second), next(second)]  # while the first answer is still blocked
    assert views[1].notice == message("ui_queue_position", "en", position=1)
    busy = list(ui.respond(ANSWERED, [], "en", request("c", "carol")))
    assert len(busy) == 1 and busy[0].question == ANSWERED  # kept in the box
    assert busy[0].notice == message("ui_busy", "en", waiting=1)
    service.release.set()
    rest = list(second)
    answering.join(30)
    assert first[-1].session[-1].answer is not None
    assert rest[0].notice == ""  # its turn came: the place is no longer shown
    assert rest[-1].session[-1].answer is not None
    assert ui.line.busy == (0, 0)


# -- the conversation belongs to its user ------------------------------------------------------
def test_a_conversation_is_claimed_by_its_first_user_and_hidden_from_others() -> None:
    from ui.views import Conversation, Exchange

    conversation = Conversation()
    assert conversation.owned_by("alice") is conversation
    conversation.append(Exchange("secret question", "secret answer"))
    other = conversation.owned_by("bob")
    assert other is not conversation and list(other) == [] and other.owner == "bob"
    other.reset()  # bob clearing "his" conversation leaves alice's alone
    assert conversation.owned_by("alice") is conversation and len(conversation) == 1


@pytest.mark.slow
@pytest.mark.integration
def test_http_a_reused_session_id_shows_nothing_of_the_first_users_conversation(
    served: Served
) -> None:
    from gradio_client import Client

    def client_of(name: str, address: str) -> Any:
        signed = http_sign_in(served.url, name, PASSWORD, address)
        assert signed.status_code == 200
        cookie = "; ".join(f"{k}={v}" for k, v in signed.cookies.items())
        return Client(served.url + "/", verbose=False, analytics_enabled=False,
                      download_files=False, headers={"Cookie": cookie})

    def user_turns(result: Any) -> list[str]:
        return [m["content"][0]["text"] for m in result[1] if m["role"] == "user"]

    # Users no other test asks with (the fixture's limit is 3 questions a minute).
    first, second = client_of("carol", "198.51.100.50"), client_of("dave", "198.51.100.51")
    try:
        mine_before = first.predict("Que fait le CIEP ?", "fr", api_name="/ask")
        assert user_turns(mine_before) == ["Que fait le CIEP ?"]
        second.session_hash = first.session_hash  # dave sends carol's session id
        theirs = second.predict("Et ses formations ?", "fr", api_name="/ask")
        assert user_turns(theirs) == ["Et ses formations ?"]  # carol's turn is not shown
        second.predict("fr", api_name="/clear")  # nor cleared by dave
        mine_after = first.predict("Et ses formations ?", "fr", api_name="/ask")
        assert user_turns(mine_after) == ["Que fait le CIEP ?", "Et ses formations ?"]
    finally:
        first.close()
        second.close()


@pytest.mark.slow
@pytest.mark.integration
def test_http_a_long_question_sent_to_the_api_is_refused(served: Served,
                                                        indexed: Settings) -> None:
    """The API takes any text (no input box to cut it): the server refuses it, once."""
    from gradio_client import Client

    signed = http_sign_in(served.url, "erin", PASSWORD, "198.51.100.60")
    cookie = "; ".join(f"{k}={v}" for k, v in signed.cookies.items())
    client = Client(served.url + "/", verbose=False, analytics_enabled=False,
                    download_files=False, headers={"Cookie": cookie})
    try:
        long = "Que fait le CIEP ? " * 300
        result = client.predict(long, "fr", api_name="/ask")
    finally:
        client.close()
    with pytest.raises(AssistantError) as refused:
        AssistantService(indexed).validate(long)
    assert refused.value.render("fr") in result and result[1] == []  # told why; nothing kept
