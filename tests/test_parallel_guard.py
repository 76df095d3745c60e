"""The parallel-guess guard: at most AXES_FAILURE_LIMIT passwords are evaluated.

django-axes checks and records in two steps, so attackers that start together
all pass the check before any failure lands. With the guard the check counts the
guess it admits, atomically, and takes it back when the request shows no failure.
"""

from __future__ import annotations

import multiprocessing

import pytest
from axes.backends import AxesStandaloneBackend
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.cache import caches
from django.test import RequestFactory, override_settings

from axes_redis import keys
from tests.backends import EVALUATIONS_KEY, CountingSlowBackend
from tests.counting import TALLY

pytestmark = pytest.mark.django_db

LIMIT = 5
VICTIM_KEY = keys.client_key("axes", {"username": "victim"})
GUARDED = {
    "AXES_FAILURE_LIMIT": LIMIT,
    "AXES_LOCKOUT_PARAMETERS": ["username"],
    "AXES_REDIS_PARALLEL_GUARD": True,
}
SLOW_HASHING = {
    **GUARDED,
    "AUTHENTICATION_BACKENDS": [
        f"{AxesStandaloneBackend.__module__}.AxesStandaloneBackend",
        f"{CountingSlowBackend.__module__}.CountingSlowBackend",
    ],
}


def _attacker(barrier: multiprocessing.synchronize.Barrier, attempts: int) -> None:
    barrier.wait()
    for attempt in range(attempts):
        password = f"guess-{attempt}"
        request = RequestFactory().post("/login/", {"username": "victim", "password": password})
        authenticate(request, username="victim", password=password)


def _race(concurrency: int, attempts: int = 2) -> None:
    caches["axes"].close()  # children open their own connections
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(concurrency)
    workers = [
        context.Process(target=_attacker, args=(barrier, attempts)) for _ in range(concurrency)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [worker.exitcode for worker in workers] == [0] * concurrency


@pytest.mark.parametrize("concurrency", [8, 32, 64])
def test_parallel_attackers_get_exactly_the_limit(redis_db, concurrency):
    """C processes released together by a barrier must not get L + C - 1 guesses."""
    with override_settings(**SLOW_HASHING):
        _race(concurrency)
    assert int(redis_db.get(EVALUATIONS_KEY)) == LIMIT
    assert int(redis_db.hget(VICTIM_KEY, "failures")) >= LIMIT


def test_thousand_successful_logins_never_lock_out(redis_db, client):
    """Admitted guesses that succeed must be released, or a user locks themself out."""
    User.objects.create_user("victim", password="right")
    with override_settings(**GUARDED):
        for _ in range(1000):
            response = client.post("/login/", {"username": "victim", "password": "right"})
            assert response.status_code == 302
    assert redis_db.exists(VICTIM_KEY) == 0


def test_api_flow_without_login_signal_is_released_at_request_end(redis_db, client):
    """authenticate() without login() (token/API flows) must not leave stale counts."""
    User.objects.create_user("victim", password="right")
    with override_settings(**GUARDED):
        for _ in range(3 * LIMIT):
            response = client.post("/api/auth/", {"username": "victim", "password": "right"})
            assert response.status_code == 200
    assert redis_db.exists(VICTIM_KEY) == 0


@pytest.mark.single_node
def test_failed_guess_is_counted_once_at_the_check(redis_db, client):
    """A failed login must be one count and one round trip, not check plus record."""
    with override_settings(**GUARDED):
        client.post("/login/", {"username": "victim", "password": "warm-up"})
        TALLY.reset()
        client.post("/login/", {"username": "victim", "password": "wrong"})
    assert TALLY.commands == ["EVALSHA"]
    assert TALLY.round_trips == 1
    assert int(redis_db.hget(VICTIM_KEY, "failures")) == 2


def test_several_checks_in_one_request_count_once(redis_db, client):
    """A decorator check plus two authenticate() calls in one request are one guess."""
    with override_settings(**GUARDED):
        response = client.post("/api/double/", {"username": "victim", "password": "wrong"})
    assert response.status_code == 401
    assert int(redis_db.hget(VICTIM_KEY, "failures")) == 1


def test_limit_reached_locks_and_refuses_without_evaluating(redis_db, client):
    """After L failures the next guess is refused before any password is evaluated."""
    with override_settings(**SLOW_HASHING):
        statuses = [
            client.post("/login/", {"username": "victim", "password": "wrong"}).status_code
            for _ in range(LIMIT + 2)
        ]
    assert statuses == [200] * (LIMIT - 1) + [429] * 3
    assert int(redis_db.get(EVALUATIONS_KEY)) == LIMIT


@pytest.mark.single_node
def test_classic_mode_checks_then_records(redis_db, client):
    """AXES_REDIS_PARALLEL_GUARD=False restores django-axes' check-then-record calls."""
    with override_settings(**{**GUARDED, "AXES_REDIS_PARALLEL_GUARD": False}):
        client.post("/login/", {"username": "victim", "password": "warm-up"})
        TALLY.reset()
        client.post("/login/", {"username": "victim", "password": "wrong"})
    assert TALLY.commands == ["EVALSHA", "EVALSHA"]
    assert int(redis_db.hget(VICTIM_KEY, "failures")) == 2
