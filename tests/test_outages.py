"""Redis down, slow, paused or restarted: a defined answer, and never a hung login.

Each test runs its own throwaway redis-server (or a socket that never answers),
so stopping and restarting it cannot disturb the shared test server.
"""

from __future__ import annotations

import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import redis
from django.contrib.auth.models import User
from django.core.cache import caches
from django.test import Client, override_settings

from axes_redis import keys
from tests.conftest import BACKENDS, cache_config
from tests.redis_server import free_port, throwaway_server

pytestmark = [pytest.mark.django_db, pytest.mark.real_redis_only]

TIMEOUT = 0.2
IP_KEY = keys.client_key("axes", {"ip_address": "127.0.0.1"})


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


@pytest.mark.parametrize(("fail_open", "status"), [(False, 429), (True, 302)])
def test_unanswering_redis_neither_hangs_nor_guesses(backend, alice, client, fail_open, status):
    """A Redis that accepts and never answers must not hang logins (slowloris on the store)."""
    with (
        black_hole() as url,
        axes_cache(backend, url),
        override_settings(AXES_REDIS_FAIL_OPEN=fail_open),
    ):
        response = post_within(client, 10, username="alice", password="right")
    assert response.status_code == status


@pytest.mark.parametrize(("fail_open", "status"), [(False, 429), (True, 302)])
def test_stopped_redis_follows_the_policy(backend, alice, client, fail_open, status):
    """With Redis down, fail closed refuses even the right password; fail open lets it in."""
    with throwaway_server() as url:
        pass
    with axes_cache(backend, url), override_settings(AXES_REDIS_FAIL_OPEN=fail_open):
        response = post_within(client, 10, username="alice", password="right")
    assert response.status_code == status


def test_restarted_redis_works_without_a_django_restart(backend, client):
    """After a Redis restart (stale pooled sockets, no data, no scripts) the next failure counts."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with axes_cache(backend, url):
        with throwaway_server(port=port):
            for _ in range(2):
                client.post("/login/", {"username": "alice", "password": "wrong"})
            before = redis.Redis.from_url(url).hget(IP_KEY, "failures")
        with throwaway_server(port=port):
            response = client.post("/login/", {"username": "alice", "password": "wrong"})
            after = redis.Redis.from_url(url).hget(IP_KEY, "failures")
    assert (before, after, response.status_code) == (b"2", b"1", 200)


def test_paused_redis_times_out_into_the_policy(backend, alice, client):
    """CLIENT PAUSE longer than the socket timeout: the login is refused, not hung."""
    with throwaway_server() as url, axes_cache(backend, url):
        redis.Redis.from_url(url).client_pause(3000, all=True)
        response = post_within(client, 10, username="alice", password="right")
    assert response.status_code == 429


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
        assert (response.status_code, admin.hget(IP_KEY, "failures")) == (200, b"2")
