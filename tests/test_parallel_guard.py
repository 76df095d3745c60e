"""The parallel guard, from both sides: at most AXES_FAILURE_LIMIT passwords are
evaluated, and honest users are never refused because of each other.

django-axes checks and records in two steps, so attackers that start together
all pass the check before any failure lands. With the guard the check takes a
slot for the evaluation it precedes; the outcome settles it. These tests drive
the handler through Django's test client and ``authenticate()``;
``test_guard_server.py`` does the same through real servers.
"""

from __future__ import annotations

import multiprocessing
import os

import pytest
from axes.backends import AxesStandaloneBackend
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.cache import caches
from django.test import RequestFactory, override_settings

from axes_redis import keys
from tests.backends import EVALUATIONS_KEY, CountingSlowBackend
from testsupport.counting import TALLY

pytestmark = pytest.mark.django_db

LIMIT = 5
VICTIM_KEY = keys.client_key("axes", {"username": "victim"})
VICTIM_INFLIGHT = keys.inflight_key("axes", VICTIM_KEY)
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
        password = f"guess-{os.getpid()}-{attempt}"
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
    assert int(redis_db.hget(VICTIM_KEY, "fails")) >= LIMIT


def test_thousand_successful_logins_never_lock_out(redis_db, client):
    """Admitted guesses that succeed must be released, or a user locks themself out."""
    User.objects.create_user("victim", password="right")
    with override_settings(**GUARDED):
        for _ in range(1000):
            response = client.post("/login/", {"username": "victim", "password": "right"})
            assert response.status_code == 302
    assert redis_db.exists(VICTIM_KEY, VICTIM_INFLIGHT) == 0


def test_api_flow_without_login_signal_is_settled_when_the_view_returns(redis_db, client):
    """authenticate() without login() (token/API flows) must free its slot, count nothing."""
    User.objects.create_user("victim", password="right")
    with override_settings(**GUARDED):
        for _ in range(3 * LIMIT):
            response = client.post("/api/auth/", {"username": "victim", "password": "right"})
            assert response.status_code == 200
    assert redis_db.exists(VICTIM_KEY, VICTIM_INFLIGHT) == 0


@pytest.mark.single_node
def test_failed_guess_is_the_check_and_the_record_that_settles_it(redis_db, client):
    """A failed login costs the admitting check and one record: two calls, one count."""
    with override_settings(**GUARDED):
        client.post("/login/", {"username": "victim", "password": "warm-up"})
        TALLY.reset()
        client.post("/login/", {"username": "victim", "password": "wrong"})
    assert TALLY.commands == ["EVALSHA", "EVALSHA"]
    assert TALLY.round_trips == 2
    assert int(redis_db.hget(VICTIM_KEY, "fails")) == 2
    assert redis_db.exists(VICTIM_INFLIGHT) == 0


def test_every_authenticate_in_one_request_is_a_guess(redis_db, client):
    """A decorator check plus two authenticate() calls: two evaluations, two failures."""
    with override_settings(**GUARDED):
        response = client.post("/api/double/", {"username": "victim", "password": "wrong"})
    assert response.status_code == 401
    assert int(redis_db.hget(VICTIM_KEY, "fails")) == 2


@pytest.mark.parametrize("batch", [2, 50])
def test_a_batch_of_guesses_in_one_request_gets_exactly_the_limit(redis_db, client, batch):
    """A JSON batch or GraphQL aliases: N authenticate() calls must not give L x N guesses."""
    items = [{"username": "victim", "password": f"guess-{n}"} for n in range(batch)]
    with override_settings(**SLOW_HASHING):
        for _ in range(3):
            response = client.post("/api/batch/", items, content_type="application/json")
            assert response.status_code in (200, 429)
    assert int(redis_db.get(EVALUATIONS_KEY)) == min(LIMIT, 3 * batch)
    # Refusals during the lockout count too (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT).
    assert int(redis_db.hget(VICTIM_KEY, "fails")) >= min(LIMIT, 3 * batch)


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
    assert int(redis_db.hget(VICTIM_KEY, "fails")) == 2
