"""Redis down, slow, paused or restarted: a defined answer, and never a hung login.

Failing closed (the default), a login Redis failed gets the outage response (a 503
with ``Retry-After``, ``axes_redis.outage``), never django-axes' lockout page and
never ``user_locked_out``: nothing is locked, the user should just try again.

Each test runs its own throwaway redis-server (or a socket that never answers),
so stopping and restarting it cannot disturb the shared test server.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import django
import pytest
import redis
from asgiref.sync import async_to_sync
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client, override_settings

from axes_redis import keys, outage
from axes_redis.conf import MIDDLEWARE_PATH
from tests.support.caches import BACKENDS, cache_config
from testsupport.redis_server import free_port, throwaway_server

pytestmark = [pytest.mark.django_db, pytest.mark.real_redis_only]

TIMEOUT = 0.2
IP_KEY = keys.client_key("axes", {"ip_address": "127.0.0.1"})
LOCKOUT_TEXT = "Account locked"
"""django-axes' lockout message: an outage must never show it."""


def custom_outage(request: HttpRequest) -> HttpResponse:
    """A project's own outage response (AXES_REDIS_OUTAGE_RESPONSE_CALLABLE)."""
    return HttpResponse(f"maintenance for {request.path}", status=503)


def assert_outage_response(response: Any) -> None:
    """The default outage response: 503, Retry-After, its own text, no lockout."""
    assert response.status_code == 503
    assert response["Retry-After"] == str(outage.RETRY_AFTER_SECONDS)
    text = response.content.decode()
    assert "temporarily unavailable" in text
    assert LOCKOUT_TEXT not in text


@contextmanager
def lockouts_sent() -> Iterator[list[dict[str, Any]]]:
    """Every user_locked_out signal sent meanwhile."""
    sent: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        sent.append(kwargs)

    user_locked_out.connect(receiver)
    try:
        yield sent
    finally:
        user_locked_out.disconnect(receiver)


@contextmanager
def stopped_redis(backend: str) -> Iterator[str]:
    """The axes cache pointing at a port where a redis-server ran a moment ago."""
    with throwaway_server() as url:
        pass
    with axes_cache(backend, url):
        yield url


@contextmanager
def axes_cache(backend: str, url: str) -> Iterator[None]:
    caches_setting = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "axes": cache_config(backend, url, timeout=TIMEOUT),
    }
    with override_settings(CACHES=caches_setting):
        try:
            yield
        finally:
            caches["axes"].close()


@contextmanager
def black_hole() -> Iterator[str]:
    """A port that accepts connections (the kernel does) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"


def post_within(client: Client, seconds: int, **data: str) -> Any:
    """POST /login/; fail the test (SIGALRM) if it has not answered in time.

    In the main thread, because the test database lives in this thread's connection.
    """

    def hung(signum: int, frame: Any) -> None:
        raise AssertionError(f"login still hanging after {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        return client.post("/login/", data)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(params=list(BACKENDS))
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def alice(db: None) -> User:
    return User.objects.create_user("alice", password="right")


@pytest.mark.parametrize(("fail_open", "status"), [(False, 503), (True, 302)])
def test_unanswering_redis_neither_hangs_nor_guesses(backend, alice, client, fail_open, status):
    """A Redis that accepts and never answers must not hang logins (slowloris on the store)."""
    with (
        black_hole() as url,
        axes_cache(backend, url),
        override_settings(AXES_REDIS_FAIL_OPEN=fail_open),
    ):
        response = post_within(client, 10, username="alice", password="right")
    assert response.status_code == status
    if not fail_open:
        assert_outage_response(response)


@pytest.mark.parametrize(("fail_open", "status"), [(False, 503), (True, 302)])
def test_stopped_redis_follows_the_policy(backend, alice, client, fail_open, status):
    """With Redis down, fail closed refuses even the right password; fail open lets it in."""
    with stopped_redis(backend), override_settings(AXES_REDIS_FAIL_OPEN=fail_open):
        response = post_within(client, 10, username="alice", password="right")
    assert response.status_code == status
    if not fail_open:
        assert_outage_response(response)
        assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("reset_cooloff", [False, True])
@pytest.mark.parametrize("password", ["right", "wrong"])
def test_outage_is_never_a_lockout(backend, alice, client, reset_cooloff, password):
    """An outage must not tell users their account is locked, nor tell listeners of
    user_locked_out (alerts, account flags) that it is: for both values of
    AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT, which decides whether django-axes'
    backend flags the refused request locked out itself."""
    with (
        stopped_redis(backend),
        override_settings(AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT=reset_cooloff),
        lockouts_sent() as sent,
    ):
        responses = [post_within(client, 10, username="alice", password=password)]
        responses.append(post_within(client, 10, username="alice", password=password))
    for response in responses:
        assert_outage_response(response)
    assert sent == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/auth/",  # authenticate() without login(): an API token flow
        "/page/",  # django-axes' axes_dispatch decorator: its check, no credentials
    ],
)
def test_outage_response_on_every_login_path(backend, alice, client, path):
    """Views, decorators and the async path all get the same outage response."""
    with stopped_redis(backend), lockouts_sent() as sent:
        response = client.post(path, {"username": "alice", "password": "right"})
    assert_outage_response(response)
    assert sent == []


@pytest.mark.skipif(django.VERSION < (5, 0), reason="aauthenticate() came with Django 5.0")
def test_outage_response_on_the_async_path(backend, alice):
    """An ASGI server runs the middleware's async branch and aauthenticate(): same answer."""
    backends = ["axes_redis.backends.AxesStandaloneBackend", *settings.AUTHENTICATION_BACKENDS[1:]]

    async def login() -> Any:
        return await AsyncClient().post("/api/async/", {"username": "alice", "password": "right"})

    with (
        stopped_redis(backend),
        override_settings(AUTHENTICATION_BACKENDS=backends),
        lockouts_sent() as sent,
    ):
        response = async_to_sync(login)()
    assert_outage_response(response)
    assert sent == []


def test_outage_response_is_overridable(backend, alice, client):
    """AXES_REDIS_OUTAGE_RESPONSE_CALLABLE (a dotted path, or the callable) makes the answer."""
    for value in (f"{__name__}.custom_outage", custom_outage):
        with stopped_redis(backend), override_settings(AXES_REDIS_OUTAGE_RESPONSE_CALLABLE=value):
            response = post_within(client, 10, username="alice", password="right")
        assert (response.status_code, response.content) == (503, b"maintenance for /login/")


def test_without_the_middleware_an_outage_falls_back_to_the_lockout_response(
    backend, alice, client
):
    """Nothing else could answer with the 503 (check W003): refusing is what matters, and
    django-axes' lockout response refuses, as before the outage response existed."""
    without = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE_PATH]
    with (
        stopped_redis(backend),
        override_settings(MIDDLEWARE=without, AXES_REDIS_PARALLEL_GUARD=False),
        lockouts_sent() as sent,
    ):
        response = post_within(client, 10, username="alice", password="right")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert sent == []


def test_a_failure_redis_refuses_to_count_is_an_outage_unless_already_locked(
    private_server_url, alice, client
):
    """Reads work, writes fail (maxmemory, noeviction): the check still sees confirmed
    lockouts, so a locked client keeps getting the lockout; a failure below the limit
    cannot be counted, so its outcome is hidden behind the outage response (an attacker
    must not learn passwords for free while counting is down)."""
    with (
        axes_cache("django-redis", private_server_url),
        override_settings(AXES_REDIS_PARALLEL_GUARD=False, AXES_LOCKOUT_PARAMETERS=["username"]),
    ):
        admin = redis.Redis.from_url(private_server_url)
        admin.flushdb()
        bob_fails = [Client().post("/login/", {"username": "bob", "password": "x"})]
        bob_fails += [Client().post("/login/", {"username": "bob", "password": "x"}) for _ in "ab"]
        assert [r.status_code for r in bob_fails] == [200, 200, 429]
        admin.config_set("maxmemory", 1)
        try:
            locked = post_within(client, 10, username="bob", password="x")
            unlucky = post_within(client, 10, username="alice", password="wrong")
        finally:
            admin.config_set("maxmemory", 0)
            admin.flushdb()
    assert locked.status_code == 429
    assert_outage_response(unlucky)


def test_django_redis_options_on_djangos_cache_are_an_outage_not_a_500(alice, client, caplog):
    """SOCKET_TIMEOUT (django-redis' spelling) on Django's RedisCache makes redis-py raise a
    TypeError: check E010 says so, and until it is fixed a login follows the outage policy."""
    config = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "axes": {
            "BACKEND": BACKENDS["django"],
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.25, "SOCKET_TIMEOUT": 0.25},
        },
    }
    with override_settings(CACHES=config):
        response = post_within(client, 10, username="alice", password="right")
        with override_settings(AXES_REDIS_FAIL_OPEN=True):
            allowed = post_within(Client(), 10, username="alice", password="right")
        caches["axes"].close()
    assert_outage_response(response)
    assert allowed.status_code == 302
    assert "axes_redis.E010" in caplog.text


def test_restarted_redis_works_without_a_django_restart(backend, client):
    """After a Redis restart (stale pooled sockets, no data, no scripts) the next failure counts."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with axes_cache(backend, url):
        with throwaway_server(port=port):
            for _ in range(2):
                client.post("/login/", {"username": "alice", "password": "wrong"})
            before = redis.Redis.from_url(url).hget(IP_KEY, "fails")
        with throwaway_server(port=port):
            response = client.post("/login/", {"username": "alice", "password": "wrong"})
            after = redis.Redis.from_url(url).hget(IP_KEY, "fails")
    assert (before, after, response.status_code) == (b"2", b"1", 200)


def test_paused_redis_times_out_into_the_policy(backend, alice, client):
    """CLIENT PAUSE longer than the socket timeout: the login is refused, not hung."""
    with throwaway_server() as url, axes_cache(backend, url):
        redis.Redis.from_url(url).client_pause(3000, all=True)
        response = post_within(client, 10, username="alice", password="right")
    assert_outage_response(response)


def test_brief_pause_is_waited_out(backend, alice, client):
    """A pause shorter than the socket timeout is invisible to the user."""
    with throwaway_server() as url, axes_cache(backend, url):
        client.post("/login/", {"username": "alice", "password": "wrong"})
        redis.Redis.from_url(url).client_pause(50, all=True)
        response = post_within(client, 10, username="alice", password="right")
    assert response.status_code == 302


def test_outage_is_logged_loudly(backend, alice, client, caplog):
    """Operators must see that logins are being refused because of Redis."""
    with black_hole() as url, axes_cache(backend, url):
        post_within(client, 10, username="alice", password="wrong")
    errors = [r.getMessage() for r in caplog.records if r.name == "axes_redis.handler"]
    assert any("failing closed" in message for message in errors)


def test_connections_killed_between_requests_are_replaced(backend, client):
    """A proxy or failover that resets pooled connections must not cost a login."""
    with throwaway_server() as url, axes_cache(backend, url):
        admin = redis.Redis.from_url(url)
        client.post("/login/", {"username": "alice", "password": "wrong"})
        assert admin.client_kill_filter(_type="normal", skipme=True) >= 1
        response = client.post("/login/", {"username": "alice", "password": "wrong"})
        assert (response.status_code, admin.hget(IP_KEY, "fails")) == (200, b"2")
