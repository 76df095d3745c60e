"""django-axes 8.x' documented behaviour, through the real login path, on our handler.

The tests drive Django's ``LoginView`` at ``/login/`` (or the admin login) with
the test client, behind ``AxesMiddleware`` and ``AxesStandaloneBackend``, exactly
as a project would, and then look at what landed in Redis: keys, hash fields and
``PTTL``. ``redis_db`` runs each of them on django-redis and on Django's own
``RedisCache``. Three cases need another door: ``/api/auth/`` (tests/urls.py) when
the username must be missing or empty (the login form refuses those before
``authenticate()``), ``authenticate()`` on a GET request for
``AXES_NEVER_LOCKOUT_GET``, and a forked subprocess per deprecated flag, because
django-axes maps those only once, when ``axes.conf`` is first imported.

The behaviours are the ones django-axes documents and its own test suite checks
for ``AxesCacheHandler`` (tests/test_handlers.py, tests/test_login.py); where our
handler deliberately does better (millisecond cool-offs) the test says so.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from axes.handlers.proxy import AxesProxyHandler
from axes.signals import user_locked_out
from axes.utils import reset
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.test import Client, RequestFactory

from axes_redis import keys
from tests import callables

pytestmark = pytest.mark.django_db

RIGHT = "right-password"
WRONG = "wrong-password"
LOCAL = "127.0.0.1"
IP1 = "10.1.1.1"
IP2 = "10.2.2.2"
IP3 = "10.2.2.3"
UA = "test-browser"
UA2 = "test-browser-2"

ALLOWED = 302  # LoginView redirects after a successful login
NOT_BLOCKED = 200  # the form again: wrong password, not locked
BLOCKED = 429

COOLOFF_MESSAGE = "Account locked: too many login attempts. Please try again later."
PERMALOCK_MESSAGE = (
    "Account locked: too many login attempts. Contact an admin to unlock your account."
)
HOUR_MS = 3_600_000
PROJECT_ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------- helpers


def key(**parameters: object) -> str:
    return keys.client_key("axes", parameters)


def stored(redis: Any) -> set[str]:
    return {k.decode() for k in redis.scan_iter(match="axes:*")}


def fields(redis: Any, name: str) -> dict[str, str]:
    return {k.decode(): v.decode() for k, v in redis.hgetall(name).items()}


def failures(redis: Any, name: str) -> int:
    return int(redis.hget(name, "failures") or 0)


def assert_pttl(redis: Any, name: str, expected_ms: int, slack_ms: int = 1_000) -> None:
    pttl = redis.pttl(name)
    assert expected_ms - slack_ms < pttl <= expected_ms, (name, pttl, expected_ms)


def attempt(
    client: Client,
    username: str = "alice",
    password: str = WRONG,
    *,
    ip: str = LOCAL,
    ua: str = UA,
    path: str = "/login/",
    **extra: Any,
) -> Any:
    return client.post(
        path,
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
        HTTP_USER_AGENT=ua,
        **extra,
    )


def api_attempt(client: Client, data: dict[str, str], *, ip: str = LOCAL) -> Any:
    """``/api/auth/`` calls ``authenticate()`` with whatever was posted, ``None`` included."""
    return client.post("/api/auth/", data, REMOTE_ADDR=ip, HTTP_USER_AGENT=UA)


def fail(client: Client, times: int, username: str = "alice", **kwargs: Any) -> list[int]:
    return [attempt(client, username, WRONG, **kwargs).status_code for _ in range(times)]


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def users(db: Any) -> None:
    User.objects.create_user("alice", password=RIGHT, is_staff=True)
    for name in ("bob", "carol", callables.TRUSTED_USERNAME):
        User.objects.create_user(name, password=RIGHT)


@pytest.fixture
def lockouts() -> Iterator[list[dict[str, Any]]]:
    """Every ``user_locked_out`` signal sent during the test, with its sender."""
    sent: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        sent.append({"sender": sender, **kwargs})

    user_locked_out.connect(receiver, weak=False, dispatch_uid="contract-test")
    try:
        yield sent
    finally:
        user_locked_out.disconnect(dispatch_uid="contract-test")


# ---------------------------------------------------------- counting and lockout


def test_each_failure_counts_and_the_limit_locks(redis_db, users, client):
    """A password-guessing client must be stopped exactly at AXES_FAILURE_LIMIT, not later."""
    ip_key = key(ip_address=LOCAL)
    for count in (1, 2):
        response = attempt(client)
        assert response.status_code == NOT_BLOCKED
        assert failures(redis_db, ip_key) == count
    response = attempt(client)
    assert response.status_code == BLOCKED
    assert response.content.decode() == COOLOFF_MESSAGE
    assert stored(redis_db) == {ip_key}
    assert failures(redis_db, ip_key) == 3
    # And every further attempt is refused with the same answer.
    for _ in range(3):
        response = attempt(client)
        assert response.status_code == BLOCKED
        assert response.content.decode() == COOLOFF_MESSAGE


def test_correct_password_is_refused_while_locked(redis_db, users, client):
    """Guessing the right password after the lockout must not log the attacker in."""
    assert fail(client, 3) == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED]
    response = attempt(client, "alice", RIGHT)
    assert response.status_code == BLOCKED
    assert not logged_in(client)
    # Like AxesCacheHandler: a refused attempt is a failure too (it slides the cool-off).
    assert failures(redis_db, key(ip_address=LOCAL)) == 4


def test_hash_fields_describe_the_client(redis_db, users, client):
    """Operators must see who failed, from where, how often and when it locked; a client
    below the limit costs one field (its TTL tells when it failed last)."""
    attempt(client, "alice", ua="first-agent")
    assert fields(redis_db, key(ip_address=LOCAL)) == {"failures": "1"}
    before_ms = int(time.time() * 1000)
    attempt(client, "bob", ua="second-agent")
    attempt(client, "carol", ua="third-agent")
    after_ms = int(time.time() * 1000)

    stored_fields = fields(redis_db, key(ip_address=LOCAL))
    assert set(stored_fields) == {
        "failures",
        "limit",
        "locked",
        "username",
        "user_agent",
        "path_info",
    }
    assert stored_fields["failures"] == "3"
    assert stored_fields["limit"] == "3"
    # The metadata is that of the failure that locked; the key name holds the IP.
    assert stored_fields["username"] == "carol"
    assert stored_fields["user_agent"] == "third-agent"
    assert stored_fields["path_info"] == "/login/"
    assert before_ms - 2_000 <= int(stored_fields["locked"]) <= after_ms + 2_000


# ------------------------------------------------------------- lockout responses


def lock_alice(client: Client, **extra: Any) -> Any:
    """Three failures for alice; the response to the third (the lockout)."""
    for _ in range(2):
        assert attempt(client, **extra).status_code == NOT_BLOCKED
    return attempt(client, **extra)


def test_lockout_response_is_the_plain_cooloff_message(redis_db, users, client):
    """A lockout must answer with django-axes' documented message and status, not the form."""
    response = lock_alice(client)
    assert response.status_code == BLOCKED
    assert response.content.decode() == COOLOFF_MESSAGE


def test_lockout_response_status_follows_axes_http_response_code(redis_db, users, client, settings):
    """AXES_HTTP_RESPONSE_CODE must be honoured for every lockout response."""
    settings.AXES_HTTP_RESPONSE_CODE = 403
    response = lock_alice(client)
    assert response.status_code == 403
    assert response.content.decode() == COOLOFF_MESSAGE
    assert attempt(client, "alice", RIGHT).status_code == 403


def test_lockout_response_renders_axes_lockout_template(redis_db, users, client, settings):
    """AXES_LOCKOUT_TEMPLATE must be rendered with django-axes' context."""
    settings.AXES_LOCKOUT_TEMPLATE = "lockout.html"
    response = lock_alice(client)
    assert response.status_code == BLOCKED
    assert response.content.decode().strip() == (
        "Locked out: alice after 3 failures; try again in PT1H."
    )


def test_lockout_response_redirects_to_axes_lockout_url(redis_db, users, client, settings):
    """AXES_LOCKOUT_URL must redirect with the username in the query string."""
    settings.AXES_LOCKOUT_URL = "/locked/"
    response = lock_alice(client)
    assert response.status_code == 302
    assert response["Location"] == "/locked/?username=alice"
    assert client.get(response["Location"]).content == b"locked page for alice"


def test_lockout_response_is_json_for_xhr(redis_db, users, client):
    """An AJAX login must get django-axes' JSON lockout body, not HTML."""
    response = lock_alice(client, HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    assert response.status_code == BLOCKED
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["failure_limit"] == 3
    assert body["username"] == "alice"
    assert body["cooloff_time"] == "PT1H"
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "lockout_callable",
    [callables.lockout_response, "tests.callables.lockout_response"],
    ids=["callable", "dotted-path"],
)
def test_lockout_response_comes_from_axes_lockout_callable(
    redis_db, users, client, settings, lockout_callable
):
    """AXES_LOCKOUT_CALLABLE must build the lockout response, with the failed credentials."""
    settings.AXES_LOCKOUT_CALLABLE = lockout_callable
    response = lock_alice(client)
    assert response.status_code == 418
    assert response.content == b"custom lockout for alice"


# ------------------------------------------------------------------- cool-off


@pytest.mark.parametrize(
    ("cooloff", "expected_ms"),
    [
        (2, 2 * HOUR_MS),
        (0.5, 1_800_000),
        (timedelta(minutes=45), 2_700_000),
        (lambda request: timedelta(seconds=90), 90_000),
        ("tests.callables.cooloff_seven_minutes", 420_000),
    ],
    ids=["int-hours", "float-hours", "timedelta", "callable", "dotted-path"],
)
def test_cooloff_time_becomes_the_key_ttl(redis_db, users, client, settings, cooloff, expected_ms):
    """Every documented AXES_COOLOFF_TIME form must lock for exactly that long."""
    settings.AXES_COOLOFF_TIME = cooloff
    settings.AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
    assert lock_alice(client).status_code == BLOCKED
    for name in (key(username="alice"), key(ip_address=LOCAL)):
        assert_pttl(redis_db, name, expected_ms)


def test_cooloff_callable_receives_the_request(redis_db, users, client, settings):
    """A per-request cool-off must be computed from the request being locked out."""
    seen: list[Any] = []

    def cooloff(request: HttpRequest) -> timedelta:
        seen.append(request)
        return timedelta(minutes=3)

    settings.AXES_COOLOFF_TIME = cooloff
    attempt(client)
    assert seen
    assert all(isinstance(r, HttpRequest) and r.path == "/login/" for r in seen)
    assert_pttl(redis_db, key(ip_address=LOCAL), 180_000)


def test_no_cooloff_locks_until_reset(redis_db, users, client, settings):
    """AXES_COOLOFF_TIME=None must lock for good (no TTL) until an operator resets."""
    settings.AXES_COOLOFF_TIME = None
    response = lock_alice(client)
    assert response.status_code == BLOCKED
    assert response.content.decode() == PERMALOCK_MESSAGE
    assert redis_db.pttl(key(ip_address=LOCAL)) == -1
    assert attempt(client, "alice", RIGHT).status_code == BLOCKED
    assert redis_db.pttl(key(ip_address=LOCAL)) == -1

    assert reset(ip=LOCAL) == 1
    assert stored(redis_db) == set()
    assert attempt(client, "alice", RIGHT).status_code == ALLOWED


def test_lockout_expires_after_a_sub_minute_cooloff(redis_db, users, client, settings):
    """A 1.5 s cool-off must lock for 1.5 s: not 1 s (truncated) and not forever."""
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1.5)
    # A refused attempt must not slide the cool-off here: we probe the original one.
    settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
    assert lock_alice(client).status_code == BLOCKED
    locked_at = time.monotonic()
    assert_pttl(redis_db, key(ip_address=LOCAL), 1_500, slack_ms=300)

    time.sleep(max(0.0, locked_at + 1.2 - time.monotonic()))
    assert attempt(client, "alice", RIGHT).status_code == BLOCKED

    time.sleep(max(0.0, locked_at + 1.6 - time.monotonic()))
    assert stored(redis_db) == set()
    assert attempt(client, "alice", RIGHT).status_code == ALLOWED


def test_half_second_cooloff_still_locks_then_expires(redis_db, users, client, settings):
    """A cool-off under one second must still lock (the cache handler truncates it to none)."""
    settings.AXES_COOLOFF_TIME = timedelta(milliseconds=500)
    assert lock_alice(client).status_code == BLOCKED
    assert 0 < redis_db.pttl(key(ip_address=LOCAL)) <= 500
    assert attempt(client, "alice", RIGHT).status_code == BLOCKED
    time.sleep(0.6)
    assert attempt(client, "alice", RIGHT).status_code == ALLOWED


def test_a_later_failure_slides_the_cooloff(redis_db, users, client, settings):
    """Each failure must restart the cool-off on every key, so a slow attacker stays counted."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
    names = (key(username="alice"), key(ip_address=LOCAL))
    attempt(client)
    for name in names:
        redis_db.pexpire(name, 5_000)
    attempt(client)
    for name in names:
        assert failures(redis_db, name) == 2
        assert_pttl(redis_db, name, HOUR_MS)


def test_failure_during_lockout_slides_the_cooloff_by_default(redis_db, users, client, lockouts):
    """AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT=True: hammering a lock must extend it."""
    ip_key = key(ip_address=LOCAL)
    assert lock_alice(client).status_code == BLOCKED
    redis_db.pexpire(ip_key, 5_000)
    assert attempt(client, "alice", RIGHT).status_code == BLOCKED
    assert failures(redis_db, ip_key) == 4
    assert_pttl(redis_db, ip_key, HOUR_MS)
    assert len(lockouts) == 2


def test_refused_attempt_during_lockout_neither_counts_nor_slides(
    redis_db, users, client, settings, lockouts
):
    """Flag off: retries during a lockout must not extend it, yet each is still signalled."""
    settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
    ip_key = key(ip_address=LOCAL)
    assert lock_alice(client).status_code == BLOCKED
    assert len(lockouts) == 1
    redis_db.pexpire(ip_key, 5_000)

    assert attempt(client, "alice", RIGHT).status_code == BLOCKED
    assert attempt(client, "bob", WRONG).status_code == BLOCKED
    assert failures(redis_db, ip_key) == 3
    assert 0 < redis_db.pttl(ip_key) <= 5_000
    assert [(s["sender"], s["username"], s["ip_address"]) for s in lockouts] == [
        ("axes", "alice", LOCAL),
        ("axes", "alice", LOCAL),
        ("axes", "bob", LOCAL),
    ]


def test_refused_attempt_during_lockout_does_not_extend_real_expiry(
    redis_db, users, client, settings
):
    """With the reset-on-failure flag off, the lock must end when first announced."""
    settings.AXES_COOLOFF_TIME = timedelta(seconds=1)
    settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
    settings.AXES_FAILURE_LIMIT = 2
    assert fail(client, 2) == [NOT_BLOCKED, BLOCKED]
    locked_at = time.monotonic()
    time.sleep(0.5)
    assert attempt(client).status_code == BLOCKED
    time.sleep(max(0.0, locked_at + 1.1 - time.monotonic()))
    assert attempt(client, "alice", RIGHT).status_code == ALLOWED


# ------------------------------------------------------------- reset on success


def test_reset_on_success_forgets_that_client_only(redis_db, users, client, settings):
    """AXES_RESET_ON_SUCCESS=True: a real login clears its own failures and nobody else's."""
    settings.AXES_RESET_ON_SUCCESS = True
    settings.AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
    assert fail(client, 2, ip=IP1) == [NOT_BLOCKED, NOT_BLOCKED]
    assert fail(Client(), 1, "bob", ip=IP2) == [NOT_BLOCKED]

    assert attempt(client, "alice", RIGHT, ip=IP1).status_code == ALLOWED
    assert stored(redis_db) == {key(username="bob"), key(ip_address=IP2)}
    # The full allowance is back: two failures pass, the third locks.
    assert fail(client, 3, ip=IP1) == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED]


def test_success_keeps_failures_by_default(redis_db, users, client):
    """AXES_RESET_ON_SUCCESS=False: logging in between guesses must not reset the count."""
    assert fail(client, 2) == [NOT_BLOCKED, NOT_BLOCKED]
    assert attempt(client, "alice", RIGHT).status_code == ALLOWED
    assert failures(redis_db, key(ip_address=LOCAL)) == 2
    response = attempt(client)
    assert response.status_code == BLOCKED
    assert response.content.decode() == COOLOFF_MESSAGE


def test_logout_leaves_the_counters_alone(redis_db, users, client):
    """Logging out must neither clear nor add failures (only a login may reset them)."""
    assert fail(client, 2) == [NOT_BLOCKED, NOT_BLOCKED]
    assert attempt(client, "alice", RIGHT, path="/admin/login/").status_code == ALLOWED
    response = client.post("/admin/logout/", REMOTE_ADDR=LOCAL, HTTP_USER_AGENT=UA)
    assert response.status_code == 200
    assert not logged_in(client)
    assert stored(redis_db) == {key(ip_address=LOCAL)}
    assert failures(redis_db, key(ip_address=LOCAL)) == 2


def test_axes_disabled_records_nothing(redis_db, users, client, settings):
    """AXES_ENABLED=False must switch the handler off entirely: no keys, no lockout."""
    settings.AXES_ENABLED = False
    assert fail(client, 5) == [NOT_BLOCKED] * 5
    assert stored(redis_db) == set()
    assert attempt(client, "alice", RIGHT).status_code == ALLOWED


def test_failure_without_a_request_is_logged_and_ignored(redis_db, caplog):
    """A user_login_failed sent without a request (some API flows) must not crash nor write."""
    AxesProxyHandler.user_login_failed(sender=None, credentials={}, request=None)
    assert stored(redis_db) == set()
    assert (
        "AXES: AxesRedisHandler.user_login_failed does not function without a request."
        in caplog.messages
    )


def test_lock_out_at_failure_false_counts_but_never_locks(
    redis_db, users, client, settings, lockouts
):
    """AXES_LOCK_OUT_AT_FAILURE=False: monitoring only, every failure recorded, no lockout."""
    settings.AXES_LOCK_OUT_AT_FAILURE = False
    assert fail(client, 5) == [NOT_BLOCKED] * 5
    assert failures(redis_db, key(ip_address=LOCAL)) == 5
    assert_pttl(redis_db, key(ip_address=LOCAL), HOUR_MS)
    assert attempt(client, "alice", RIGHT).status_code == ALLOWED
    assert lockouts == []


# ----------------------------------------------------- whitelists and blacklists


def test_ip_whitelist_with_never_lockout_is_never_counted(
    redis_db, users, client, settings, caplog
):
    """AXES_NEVER_LOCKOUT_WHITELIST: a whitelisted office IP must never be locked nor tracked."""
    caplog.set_level(logging.INFO, logger="axes_redis")
    settings.AXES_IP_WHITELIST = [IP1]
    settings.AXES_NEVER_LOCKOUT_WHITELIST = True
    assert fail(client, 5, ip=IP1) == [NOT_BLOCKED] * 5
    assert stored(redis_db) == set()
    whitelisted = [
        m for m in caplog.messages if m.startswith("AXES: Login failed from whitelisted")
    ]
    assert len(whitelisted) == 5
    assert attempt(client, "alice", RIGHT, ip=IP1).status_code == ALLOWED
    # Everyone else is still locked out.
    assert fail(Client(), 3, ip=IP2) == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED]


def test_ip_whitelist_alone_protects_nobody(redis_db, users, client, settings):
    """AXES_IP_WHITELIST without a mode flag must not exempt anyone from lockout."""
    settings.AXES_IP_WHITELIST = [IP1]
    assert fail(client, 3, ip=IP1) == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED]
    assert failures(redis_db, key(ip_address=IP1)) == 3


def test_only_whitelist_refuses_every_other_ip(redis_db, users, client, settings):
    """AXES_ONLY_WHITELIST: a login from outside the whitelist must fail, right password or not."""
    settings.AXES_IP_WHITELIST = [IP1]
    settings.AXES_ONLY_WHITELIST = True
    outsider = Client()
    response = attempt(outsider, "alice", RIGHT, ip=IP2)
    assert response.status_code != ALLOWED
    assert not logged_in(outsider)

    assert fail(client, 5, ip=IP1) == [NOT_BLOCKED] * 5
    assert key(ip_address=IP1) not in stored(redis_db)
    assert attempt(client, "alice", RIGHT, ip=IP1).status_code == ALLOWED


def test_ip_blacklist_refuses_the_right_password(redis_db, users, client, settings):
    """AXES_IP_BLACKLIST: a blacklisted IP must never log in, whatever it sends."""
    settings.AXES_IP_BLACKLIST = [IP1]
    response = attempt(client, "alice", RIGHT, ip=IP1)
    assert response.status_code != ALLOWED
    assert not logged_in(client)
    other = Client()
    assert attempt(other, "alice", RIGHT, ip=IP2).status_code == ALLOWED
    assert key(ip_address=IP2) not in stored(redis_db)


@pytest.mark.parametrize(
    "whitelist",
    [callables.whitelist_trusted, "tests.callables.whitelist_trusted"],
    ids=["callable", "dotted-path"],
)
def test_whitelist_callable_exempts_that_user_only(redis_db, users, client, settings, whitelist):
    """AXES_WHITELIST_CALLABLE: an exempt account is never tracked; others are, same IP."""
    settings.AXES_WHITELIST_CALLABLE = whitelist
    trusted = callables.TRUSTED_USERNAME
    assert fail(client, 5, trusted) == [NOT_BLOCKED] * 5
    assert stored(redis_db) == set()

    assert fail(client, 3, "alice") == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED]
    assert failures(redis_db, key(ip_address=LOCAL)) == 3
    # The locked IP still lets the exempt account in.
    assert attempt(client, trusted, RIGHT).status_code == ALLOWED


def authenticate_with(method: str, password: str) -> Any:
    """The real ``authenticate()`` (Axes backend, signals, our handler) on a GET or POST."""
    factory = RequestFactory()
    request = factory.get("/login/") if method == "GET" else factory.post("/login/")
    return authenticate(request, username="alice", password=password)


def test_never_lockout_get_exempts_get_logins(redis_db, users, settings):
    """AXES_NEVER_LOCKOUT_GET: GET-based authentication is never counted or locked."""
    settings.AXES_NEVER_LOCKOUT_GET = True
    for _ in range(5):
        assert authenticate_with("GET", WRONG) is None
    assert stored(redis_db) == set()
    assert authenticate_with("GET", RIGHT) is not None
    # POST logins are still counted and locked.
    for _ in range(3):
        assert authenticate_with("POST", WRONG) is None
    assert failures(redis_db, key(ip_address=LOCAL)) == 3
    assert authenticate_with("POST", RIGHT) is None
    assert authenticate_with("GET", RIGHT) is not None


def test_get_logins_are_locked_without_never_lockout_get(redis_db, users):
    """Without AXES_NEVER_LOCKOUT_GET a GET-based login must be locked like any other."""
    for _ in range(3):
        assert authenticate_with("GET", WRONG) is None
    assert failures(redis_db, key(ip_address=LOCAL)) == 3
    assert authenticate_with("GET", RIGHT) is None


def test_only_admin_site_locks_the_admin_login_only(redis_db, users, client, settings):
    """AXES_ONLY_ADMIN_SITE: the admin login is protected, the site's own login never locks."""
    settings.AXES_ONLY_ADMIN_SITE = True
    assert fail(client, 5, ip=IP1) == [NOT_BLOCKED] * 5
    assert attempt(client, "alice", RIGHT, ip=IP1).status_code == ALLOWED
    # Our handler's documented choice: those failures still count (they are guesses).
    assert failures(redis_db, key(ip_address=IP1)) == 5

    admin = Client()
    statuses = [
        attempt(admin, "alice", WRONG, ip=IP2, path="/admin/login/").status_code for _ in range(3)
    ]
    assert statuses == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED]
    assert failures(redis_db, key(ip_address=IP2)) == 3
    response = attempt(admin, "alice", RIGHT, ip=IP2, path="/admin/login/")
    assert response.status_code == BLOCKED
    assert not logged_in(admin)


def test_admin_login_is_locked_by_default(redis_db, users, client):
    """The admin login must be protected like any other login (AXES_ONLY_ADMIN_SITE off)."""
    statuses = [attempt(client, path="/admin/login/").status_code for _ in range(3)]
    assert statuses == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED]
    assert fields(redis_db, key(ip_address=LOCAL))["path_info"] == "/admin/login/"
    assert attempt(client, "alice", RIGHT, path="/admin/login/").status_code == BLOCKED


# ------------------------------------------------------------ lockout parameters

# (AXES_LOCKOUT_PARAMETERS, keys after alice fails 3 times from IP1 with UA,
#  probes: (username, ip, user agent, locked?) each with the right password)
PARAMETER_SCENARIOS: dict[str, tuple[Any, set[str], list[tuple[str, str, str, bool]]]] = {
    "ip": (
        ["ip_address"],
        {key(ip_address=IP1)},
        [
            ("alice", IP1, UA, True),
            ("bob", IP1, UA, True),
            ("alice", IP2, UA, False),
            ("bob", IP2, UA, False),
        ],
    ),
    "username": (
        ["username"],
        {key(username="alice")},
        [
            ("alice", IP1, UA, True),
            ("alice", IP2, UA, True),
            ("bob", IP1, UA, False),
            ("bob", IP2, UA, False),
        ],
    ),
    "username-or-ip": (
        ["username", "ip_address"],
        {key(username="alice"), key(ip_address=IP1)},
        [
            ("alice", IP1, UA, True),
            ("alice", IP2, UA, True),
            ("bob", IP1, UA, True),
            ("bob", IP2, UA, False),
        ],
    ),
    "username-and-ip": (
        [["username", "ip_address"]],
        {key(username="alice", ip_address=IP1)},
        [
            ("alice", IP1, UA, True),
            ("alice", IP2, UA, False),
            ("bob", IP1, UA, False),
            ("bob", IP2, UA, False),
        ],
    ),
    "ip-and-user-agent": (
        [["ip_address", "user_agent"]],
        {key(ip_address=IP1, user_agent=UA)},
        [
            ("alice", IP1, UA, True),
            ("bob", IP1, UA, True),
            ("alice", IP1, UA2, False),
            ("alice", IP2, UA, False),
        ],
    ),
    "user-agent": (
        ["user_agent"],
        {key(user_agent=UA)},
        [
            ("alice", IP1, UA, True),
            ("bob", IP1, UA, True),
            ("alice", IP2, UA, True),
            ("alice", IP1, UA2, False),
        ],
    ),
    "all-separately": (
        ["ip_address", "username", "user_agent"],
        {key(ip_address=IP1), key(username="alice"), key(user_agent=UA)},
        [
            ("alice", IP1, UA, True),
            ("alice", IP2, UA2, True),
            ("bob", IP1, UA2, True),
            ("bob", IP2, UA, True),
            ("bob", IP2, UA2, False),
        ],
    ),
    "all-combined": (
        [["ip_address", "username", "user_agent"]],
        {key(ip_address=IP1, username="alice", user_agent=UA)},
        [
            ("alice", IP1, UA, True),
            ("bob", IP1, UA, False),
            ("alice", IP2, UA, False),
            ("alice", IP1, UA2, False),
        ],
    ),
    "ip-or-username-and-user-agent": (
        ["ip_address", ["username", "user_agent"]],
        {key(ip_address=IP1), key(username="alice", user_agent=UA)},
        [
            ("alice", IP1, UA, True),
            ("bob", IP1, UA2, True),
            ("alice", IP2, UA, True),
            ("bob", IP2, UA, False),
            ("alice", IP2, UA2, False),
        ],
    ),
    "ip-and-ua-or-username-and-ua": (
        [["ip_address", "user_agent"], ["username", "user_agent"]],
        {key(ip_address=IP1, user_agent=UA), key(username="alice", user_agent=UA)},
        [
            ("alice", IP1, UA, True),
            ("bob", IP1, UA, True),
            ("alice", IP2, UA, True),
            ("bob", IP2, UA, False),
            ("alice", IP1, UA2, False),
        ],
    ),
    "callable": (
        lambda request, credentials: ["username"],
        {key(username="alice")},
        [("alice", IP2, UA2, True), ("bob", IP1, UA, False)],
    ),
    "dotted-path": (
        "tests.callables.username_only",
        {key(username="alice")},
        [("alice", IP2, UA2, True), ("bob", IP1, UA, False)],
    ),
}


@pytest.mark.parametrize("scenario", list(PARAMETER_SCENARIOS))
def test_lockout_parameters_choose_keys_and_who_is_locked(
    redis_db, users, client, settings, scenario
):
    """Each AXES_LOCKOUT_PARAMETERS form must lock exactly the clients it names, no one else."""
    parameters, expected_keys, probes = PARAMETER_SCENARIOS[scenario]
    settings.AXES_LOCKOUT_PARAMETERS = parameters
    assert fail(client, 3, ip=IP1, ua=UA) == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED]
    assert stored(redis_db) == expected_keys
    assert all(failures(redis_db, name) == 3 for name in expected_keys)

    # Allowed probes first: a refused probe counts a failure on its own keys.
    for username, ip, ua, locked in sorted(probes, key=lambda probe: probe[3]):
        probe = Client()
        status = attempt(probe, username, RIGHT, ip=ip, ua=ua).status_code
        assert status == (BLOCKED if locked else ALLOWED), (username, ip, ua)
        assert logged_in(probe) is not locked


# Sequences from django-axes' test_login.py: (username, password, ip, expected status).
SEQUENCES: dict[str, tuple[Any, int, list[tuple[str, str, str, int]]]] = {
    "username-and-ip-limit-2": (
        [["username", "ip_address"]],
        2,
        [
            ("alice", WRONG, IP1, NOT_BLOCKED),
            ("alice", WRONG, IP2, NOT_BLOCKED),
            ("bob", WRONG, IP1, NOT_BLOCKED),
            ("alice", WRONG, IP1, BLOCKED),
            ("alice", WRONG, IP2, BLOCKED),
            ("bob", RIGHT, IP2, ALLOWED),
        ],
    ),
    "username-or-ip-limit-3": (
        ["username", "ip_address"],
        3,
        [
            ("alice", WRONG, IP1, NOT_BLOCKED),
            ("alice", WRONG, IP2, NOT_BLOCKED),
            ("alice", WRONG, IP2, BLOCKED),
            ("alice", WRONG, IP3, BLOCKED),
            ("bob", WRONG, IP1, NOT_BLOCKED),
            ("alice", WRONG, IP1, BLOCKED),
            ("bob", WRONG, IP1, BLOCKED),
            ("carol", WRONG, IP1, BLOCKED),
        ],
    ),
    "username-or-ip-mixed-failures": (
        ["username", "ip_address"],
        3,
        [
            ("alice", WRONG, IP1, NOT_BLOCKED),
            ("alice", WRONG, IP2, NOT_BLOCKED),
            ("bob", WRONG, IP1, NOT_BLOCKED),
            ("alice", WRONG, IP2, BLOCKED),
            ("bob", RIGHT, IP2, ALLOWED),
        ],
    ),
}


@pytest.mark.parametrize("sequence", list(SEQUENCES))
def test_failures_across_users_and_ips_add_up_per_key(redis_db, users, client, settings, sequence):
    """Failures spread over users and IPs must add up on exactly the keys they share."""
    parameters, limit, steps = SEQUENCES[sequence]
    settings.AXES_LOCKOUT_PARAMETERS = parameters
    settings.AXES_FAILURE_LIMIT = limit
    for step, (username, password, ip, expected) in enumerate(steps):
        status = attempt(Client(), username, password, ip=ip).status_code
        assert status == expected, (step, username, ip)


def test_username_only_reset_by_username_unlocks(redis_db, users, client, settings):
    """With username lockout, resetting that username must let the user back in from any IP."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    assert fail(client, 3) == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED]
    assert reset(username="alice") == 1
    assert attempt(client, "alice", RIGHT).status_code == ALLOWED
    # Successful logins never count towards a lockout.
    for _ in range(4):
        assert attempt(client, "alice", RIGHT).status_code == ALLOWED
    assert stored(redis_db) == set()


def set_up_four_clients() -> None:
    """alice and bob each fail once from IP1 and once from IP2 (django-axes' reset fixture)."""
    for username in ("alice", "bob"):
        for ip in (IP1, IP2):
            assert attempt(Client(), username, ip=ip).status_code == NOT_BLOCKED


def failures_of(username: str | None = None, ip: str = LOCAL) -> int:
    request = RequestFactory().post("/login/", REMOTE_ADDR=ip, HTTP_USER_AGENT=UA)
    credentials = {"username": username} if username else {}
    return int(AxesProxyHandler.get_failures(request, credentials=credentials))


def test_reset_by_username_clears_that_username_only(redis_db, users, settings):
    """Unlocking one account must not unlock the others."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    set_up_four_clients()
    assert (failures_of("alice"), failures_of("bob")) == (2, 2)
    assert reset(username="alice") == 1
    assert (failures_of("alice"), failures_of("bob")) == (0, 2)


def test_reset_by_ip_clears_that_ip_only(redis_db, users):
    """Unlocking one address must not unlock the others."""
    set_up_four_clients()
    assert (failures_of(ip=IP1), failures_of(ip=IP2)) == (2, 2)
    assert reset(ip=IP1) == 1
    assert (failures_of(ip=IP1), failures_of(ip=IP2)) == (0, 2)


def test_reset_by_ip_and_username_clears_that_combination_only(redis_db, users, settings):
    """Unlocking alice at IP1 must leave bob at IP1 and alice at IP2 counted."""
    settings.AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
    set_up_four_clients()
    assert reset(ip=IP1, username="alice") == 1
    assert failures_of("alice", IP1) == 0
    assert failures_of("bob", IP1) == 1
    assert failures_of("alice", IP2) == 1


def test_missing_username_with_username_lockout_records_nothing(
    redis_db, users, client, settings, caplog
):
    """A login without any username must not create a shared "no username" lock (["username"])."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    statuses = [api_attempt(client, {"password": WRONG}).status_code for _ in range(5)]
    assert statuses == [401] * 5
    assert stored(redis_db) == set()
    assert (
        caplog.messages.count(
            "AXES: Username is None and username is the only one lockout parameter, "
            "new record will NOT be created."
        )
        == 5
    )


def test_missing_username_still_counts_against_the_ip(redis_db, users, client):
    """Omitting the username must not dodge the IP counter."""
    statuses = [api_attempt(client, {"password": WRONG}).status_code for _ in range(3)]
    assert statuses == [401, 401, BLOCKED]
    stored_fields = fields(redis_db, key(ip_address=LOCAL))
    assert stored_fields["failures"] == "3"
    assert "username" not in stored_fields  # none given: nothing to describe


@pytest.mark.parametrize(
    ("parameters", "expected_key", "alice_status"),
    [
        (["username"], key(username=""), ALLOWED),
        ([["username", "ip_address"]], key(username="", ip_address=IP1), ALLOWED),
        (["username", "ip_address"], key(username=""), BLOCKED),
    ],
    ids=["username", "username-and-ip", "username-or-ip"],
)
def test_empty_username_lockout_does_not_lock_real_users(
    redis_db, users, client, settings, parameters, expected_key, alice_status
):
    """Locking out the empty username must not lock out named users (beyond a shared IP)."""
    settings.AXES_LOCKOUT_PARAMETERS = parameters
    data = {"username": "", "password": WRONG}
    statuses = [api_attempt(client, data, ip=IP1).status_code for _ in range(3)]
    assert statuses == [401, 401, BLOCKED]
    assert failures(redis_db, expected_key) == 3
    assert client.get("/login/", REMOTE_ADDR=IP1).status_code == 200
    assert attempt(Client(), "alice", RIGHT, ip=IP1).status_code == alice_status


# -------------------------------------------------------------- failure limit


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (5, 5),
        (lambda request, credentials: 2, 2),
        ("tests.callables.failure_limit_two", 2),
    ],
    ids=["int", "callable", "dotted-path"],
)
def test_failure_limit_forms(redis_db, users, client, settings, limit, expected):
    """Every documented AXES_FAILURE_LIMIT form must lock at exactly that many failures."""
    settings.AXES_FAILURE_LIMIT = limit
    statuses = fail(client, expected)
    assert statuses == [NOT_BLOCKED] * (expected - 1) + [BLOCKED]
    stored_fields = fields(redis_db, key(ip_address=LOCAL))
    assert stored_fields["failures"] == str(expected)
    assert stored_fields["limit"] == str(expected)


def test_failure_limit_callable_sees_the_credentials(redis_db, users, client, settings):
    """A per-account limit must apply to the account being attacked."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    settings.AXES_FAILURE_LIMIT = lambda request, credentials: (
        1 if (credentials or {}).get("username") == "alice" else 4
    )
    assert fail(client, 1, "alice") == [BLOCKED]
    assert fail(client, 4, "bob") == [NOT_BLOCKED] * 3 + [BLOCKED]
    assert fields(redis_db, key(username="alice"))["limit"] == "1"
    assert fields(redis_db, key(username="bob"))["limit"] == "4"


# ------------------------------------------------------------------- signals


def test_user_locked_out_signal_at_and_after_the_limit(redis_db, users, client, lockouts):
    """user_locked_out must fire at the limit-th failure and every one after, never before."""
    sent_after = []
    for _ in range(5):
        attempt(client)
        sent_after.append(len(lockouts))
    assert sent_after == [0, 0, 1, 2, 3]
    for sent in lockouts:
        assert sent["sender"] == "axes"
        assert sent["username"] == "alice"
        assert sent["ip_address"] == LOCAL
        assert isinstance(sent["request"], HttpRequest)
        assert sent["request"].path == "/login/"


def test_no_signal_without_lockout(redis_db, users, client, lockouts):
    """Failures below the limit and successful logins must not report a lockout."""
    fail(client, 2)
    attempt(client, "alice", RIGHT)
    assert lockouts == []


# ----------------------------------------- deprecated flags (mapped at import time)

LEGACY_SCRIPT = """
import json
import os
import sys
import traceback
from pathlib import Path

import django
from django.conf import settings
from django.test import RequestFactory  # needs no settings: imported once, shared by the forks

cases = json.loads(sys.argv[1])
out = Path(sys.argv[2])
children = []
for name, flags in cases.items():
    pid = os.fork()
    if pid:
        children.append(pid)
        continue
    # A fresh child per case: axes.conf maps the flags once, at its first import.
    try:
        settings.configure(
            SECRET_KEY="legacy",
            INSTALLED_APPS=[
                "django.contrib.auth",
                "django.contrib.contenttypes",
                "axes",
                "axes_redis",
            ],
            DATABASES={},
            AXES_HANDLER="axes_redis.handler.AxesRedisHandler",
            AXES_CACHE="axes",
            **flags,
        )
        django.setup()
        from axes.conf import settings as axes_settings

        from axes_redis.handler import AxesRedisHandler

        request = RequestFactory().post(
            "/login/", {"username": "alice"}, REMOTE_ADDR="10.1.1.1", HTTP_USER_AGENT="test-browser"
        )
        result = {
            "parameters": axes_settings.AXES_LOCKOUT_PARAMETERS,
            "keys": AxesRedisHandler().client_keys(request, {"username": "alice"}),
        }
    except BaseException:
        result = {"error": traceback.format_exc()}
    (out / f"{name}.json").write_text(json.dumps(result))
    os._exit(0)
for pid in children:
    os.waitpid(pid, 0)
"""

USER, IP, AGENT = {"username": "alice"}, {"ip_address": IP1}, {"user_agent": UA}
LEGACY_CASES: dict[str, tuple[dict[str, Any], Any, list[dict[str, str]]]] = {
    "none": ({}, ["ip_address"], [IP]),
    "only-user-failures": ({"AXES_ONLY_USER_FAILURES": True}, ["username"], [USER]),
    "user-or-ip": (
        {"AXES_LOCK_OUT_BY_USER_OR_IP": True},
        ["username", "ip_address"],
        [USER, IP],
    ),
    "combination": (
        {"AXES_LOCK_OUT_BY_COMBINATION_USER_AND_IP": True},
        [["username", "ip_address"]],
        [USER | IP],
    ),
    "user-agent": ({"AXES_USE_USER_AGENT": True}, [["ip_address", "user_agent"]], [IP | AGENT]),
    "only-user-failures+user-agent": (
        {"AXES_ONLY_USER_FAILURES": True, "AXES_USE_USER_AGENT": True},
        [["username", "user_agent"]],
        [USER | AGENT],
    ),
    "user-or-ip+user-agent": (
        {"AXES_LOCK_OUT_BY_USER_OR_IP": True, "AXES_USE_USER_AGENT": True},
        [["username", "user_agent"], "ip_address"],
        [USER | AGENT, IP],
    ),
    "combination+user-agent": (
        {"AXES_LOCK_OUT_BY_COMBINATION_USER_AND_IP": True, "AXES_USE_USER_AGENT": True},
        [["username", "ip_address", "user_agent"]],
        [USER | IP | AGENT],
    ),
    "only-user-failures-wins": (
        {"AXES_ONLY_USER_FAILURES": True, "AXES_LOCK_OUT_BY_USER_OR_IP": True},
        ["username"],
        [USER],
    ),
    "explicit-parameters-win": (
        {"AXES_ONLY_USER_FAILURES": True, "AXES_LOCKOUT_PARAMETERS": [["ip_address"]]},
        [["ip_address"]],
        [IP],
    ),
}


def test_deprecated_lockout_flags_map_to_the_same_keys(tmp_path):
    """Projects still on the pre-8 flags must be locked out by the parameters axes maps them to."""
    cases = {name: flags for name, (flags, _, _) in LEGACY_CASES.items()}
    completed = subprocess.run(
        [sys.executable, "-c", LEGACY_SCRIPT, json.dumps(cases), str(tmp_path)],
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    for name, (_, parameters, key_parameters) in LEGACY_CASES.items():
        result = json.loads((tmp_path / f"{name}.json").read_text())
        assert "error" not in result, (name, result.get("error"))
        assert result["parameters"] == parameters, name
        assert result["keys"] == [keys.client_key("axes", p) for p in key_parameters], name
