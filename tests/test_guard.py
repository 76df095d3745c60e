"""The parallel guard for honest users: never refused because of each other or of
themselves, never locked out by a guess still in flight; and the outcomes that
never arrive (crashed requests) bounded.

Driven through Django's test client with the middleware in place;
``test_guard_server.py`` runs the concurrent cases through real servers.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from typing import Any

import django
import pytest
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.contrib.auth.models import User
from django.test import AsyncClient, Client, RequestFactory, override_settings
from django.utils.crypto import salted_hmac
from hypothesis import given
from hypothesis import strategies as st

from axes_redis import guard, keys
from axes_redis.handler import AxesRedisHandler
from axes_redis.middleware import BUSY_RETRY_AFTER_SECONDS
from axes_redis.store import ADMITTED, AttemptStore
from tests.backends import EVALUATIONS_KEY, CountingRaisingBackend

pytestmark = pytest.mark.django_db

LIMIT = 3
ALICE_KEY = keys.client_key("axes", {"username": "alice"})
ALICE_INFLIGHT = keys.inflight_key("axes", ALICE_KEY)
GUARDED = {
    "AXES_FAILURE_LIMIT": LIMIT,
    "AXES_LOCKOUT_PARAMETERS": ["username"],
    "AXES_REDIS_PARALLEL_GUARD": True,
}
RAISING = {
    **GUARDED,
    "AUTHENTICATION_BACKENDS": [
        "axes.backends.AxesStandaloneBackend",
        f"{CountingRaisingBackend.__module__}.CountingRaisingBackend",
    ],
}
ASYNC_BACKENDS = [
    "axes_redis.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]


@pytest.fixture
def alice() -> Any:
    return User.objects.create_user("alice", password="right")


@pytest.fixture
def lockouts() -> Iterator[list[dict[str, Any]]]:
    """Every ``user_locked_out`` signal sent while the test runs."""
    sent: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        sent.append(kwargs)

    user_locked_out.connect(receiver, dispatch_uid="test_guard")
    try:
        yield sent
    finally:
        user_locked_out.disconnect(dispatch_uid="test_guard")


def api(client: Client, password: str, path: str = "/api/auth/") -> Any:
    return client.post(path, {"username": "alice", "password": password})


def hold_slots(redis_db: Any, count: int, hold_ms: int = 60_000) -> None:
    """Guesses of other requests in flight on alice's key."""
    store = AttemptStore(redis_db, "axes")
    for number in range(count):
        verdict = store.admit([ALICE_KEY], limit=LIMIT, hold_ms=hold_ms, guess=f"other-{number}")
        assert verdict.code == ADMITTED


def test_page_loads_under_axes_dispatch_never_take_a_slot(redis_db, client):
    """django-allauth's integration checks page loads: a GET has no password to guess."""
    with override_settings(**GUARDED):
        statuses = [client.get("/page/", {"username": "alice"}).status_code for _ in range(16)]
    assert statuses == [200] * 16
    assert redis_db.keys("axes:*") == []


def test_back_to_back_correct_logins_after_limit_minus_one_failures(redis_db, client, alice):
    """One client fetching many URLs, each authenticated, right after L - 1 typos."""
    with override_settings(**GUARDED):
        assert [api(client, "typo").status_code for _ in range(LIMIT - 1)] == [401] * (LIMIT - 1)
        statuses = [api(client, "right").status_code for _ in range(40)]
    assert statuses == [200] * 40
    assert redis_db.hget(ALICE_KEY, "fails") == str(LIMIT - 1).encode()
    assert redis_db.exists(ALICE_INFLIGHT) == 0


@pytest.mark.django_db(transaction=True)  # the executor thread needs its own connection
def test_off_thread_authenticate_is_settled_by_the_middleware(redis_db, client, alice):
    """authenticate() on an executor thread: its guess lives on the request, not the thread."""
    with override_settings(**GUARDED):
        statuses = [api(client, "right", "/api/off-thread/").status_code for _ in range(10)]
    assert statuses == [200] * 10
    assert redis_db.exists(ALICE_KEY, ALICE_INFLIGHT) == 0


def test_successful_guesses_of_a_batch_free_their_slots(redis_db, client, alice):
    """A batch of correct logins in one request must not queue on its own slots."""
    items = [{"username": "alice", "password": "right"}] * 10 + [
        {"username": "alice", "password": f"not-{n}"} for n in range(LIMIT - 1)
    ]
    with override_settings(**GUARDED, AXES_REDIS_GUARD_WAIT=0.2):
        response = client.post("/api/batch/", items, content_type="application/json")
    assert response.json() == {"ok": 10}
    assert redis_db.hget(ALICE_KEY, "fails") == str(LIMIT - 1).encode()
    assert redis_db.exists(ALICE_INFLIGHT) == 0


def test_guesses_in_flight_are_not_failures(redis_db, alice):
    """While other requests evaluate passwords, nobody counts them as failures."""
    hold_slots(redis_db, LIMIT)
    request = RequestFactory().post("/login/", {"username": "alice"})
    AxesProxyHandler.update_request(request)
    with override_settings(**GUARDED):
        assert AxesRedisHandler().get_failures(request, {"username": "alice"}) == 0
        assert AxesProxyHandler.is_allowed(request) is True  # no credentials: a read
    assert redis_db.exists(ALICE_KEY) == 0


@given(
    credentials=st.dictionaries(
        st.text(max_size=10), st.one_of(st.text(max_size=30), st.binary(max_size=10), st.integers())
    )
)
def test_guess_name_is_salted_hmac_of_the_credentials(credentials: dict[str, Any]) -> None:
    """Every worker must name one guess alike, across versions: the digest is Django's
    ``salted_hmac`` of the credentials, whatever keeps its key between calls."""
    material = "\0".join(f"{name}={value!r}" for name, value in sorted(credentials.items()))
    expected = salted_hmac("axes_redis.guard", material, algorithm="sha256").hexdigest()[:32]
    assert guard.credential_digest(credentials) == expected


def test_a_new_secret_key_renames_guesses() -> None:
    """The digest's key follows SECRET_KEY: a rotated secret never keeps the old key."""
    before = guard.credential_digest({"username": "alice"})
    with override_settings(SECRET_KEY="another secret key of a respectable length, 50+ ch"):
        after = guard.credential_digest({"username": "alice"})
    assert after != before
    assert guard.credential_digest({"username": "alice"}) == before


def test_identical_credentials_in_flight_share_one_slot(redis_db, client, alice):
    """Concurrent requests with the very same credentials reveal nothing new: no queue."""
    store = AttemptStore(redis_db, "axes")
    name = guard.credential_digest({"username": "alice", "password": "right"})
    with override_settings(**GUARDED, AXES_REDIS_GUARD_WAIT=0.05):
        hold_slots(redis_db, LIMIT - 1)
        assert store.admit([ALICE_KEY], limit=LIMIT, hold_ms=60_000, guess=name).code == ADMITTED
        assert api(client, "other").status_code == 429  # a new guess needs a slot of its own
        assert api(client, "right").status_code == 200
    assert redis_db.exists(ALICE_KEY) == 0


def test_a_refusal_caused_by_guesses_in_flight_is_not_a_lockout(redis_db, client, alice, lockouts):
    """Busy is not locked: no failure stored, no signal, no lockout page, a Retry-After."""
    hold_slots(redis_db, LIMIT)
    with override_settings(**GUARDED, AXES_REDIS_GUARD_WAIT=0.05):
        started = time.monotonic()
        for path in ("/api/auth/", "/login/"):
            response = api(client, "right", path)
            assert response.status_code == 429
            assert response["Retry-After"] == str(BUSY_RETRY_AFTER_SECONDS)
            assert b"being checked right now" in response.content
            assert b"locked" not in response.content.lower()
        waited = time.monotonic() - started
    assert waited >= 0.05  # each login waited for a slot before giving up
    assert lockouts == []
    assert redis_db.exists(ALICE_KEY) == 0
    assert redis_db.zcard(ALICE_INFLIGHT) == LIMIT


def test_a_login_waits_for_a_slot_and_gets_it(redis_db, client, alice):
    """Honest users queue behind guesses in flight instead of being refused."""
    hold_slots(redis_db, LIMIT, hold_ms=300)
    with override_settings(**GUARDED, AXES_REDIS_GUARD_WAIT=5):
        started = time.monotonic()
        assert api(client, "right").status_code == 200
        waited = time.monotonic() - started
    assert 0.2 < waited < 3
    assert redis_db.exists(ALICE_KEY) == 0


def test_a_crashing_view_holds_its_slot_for_the_hold_and_counts_nothing(redis_db, alice):
    """A request that raised after a correct password: unknown outcome, never a failure."""
    client = Client(raise_request_exception=False)
    with override_settings(**GUARDED, AXES_REDIS_GUARD_HOLD=0.3):
        assert api(client, "right", "/api/crash/").status_code == 500
        assert redis_db.zcard(ALICE_INFLIGHT) == 1
        assert redis_db.exists(ALICE_KEY) == 0
        time.sleep(0.4)
        assert api(client, "right").status_code == 200
    assert redis_db.exists(ALICE_KEY, ALICE_INFLIGHT) == 0


def test_requests_that_raise_after_the_password_check_get_the_limit_per_hold(redis_db, alice):
    """django-axes' handlers never hear of such a guess; here each holds a slot for the hold."""
    client = Client(raise_request_exception=False)
    with override_settings(**RAISING, AXES_REDIS_GUARD_HOLD=0.5, AXES_REDIS_GUARD_WAIT=0.01):
        first = [api(client, f"guess-{n}").status_code for n in range(10)]
        time.sleep(0.6)
        second = [api(client, f"again-{n}").status_code for n in range(10)]
    assert first == [500] * LIMIT + [429] * (10 - LIMIT)
    assert second == first
    assert int(redis_db.get(EVALUATIONS_KEY)) == 2 * LIMIT
    assert redis_db.exists(ALICE_KEY) == 0


@pytest.mark.skipif(django.VERSION < (5, 0), reason="aauthenticate() came with Django 5.0")
def test_async_login_checks_and_settles(redis_db, alice, settings):
    """await aauthenticate() with our backend: checked like the sync path, never a 500."""
    settings.AUTHENTICATION_BACKENDS = ASYNC_BACKENDS
    client = AsyncClient()

    async def run() -> list[int]:
        statuses = []
        for password in ["right"] * 5 + ["wrong"] * LIMIT + ["right"]:
            response = await client.post("/api/async/", {"username": "alice", "password": password})
            statuses.append(response.status_code)
        return statuses

    with override_settings(**GUARDED):
        from asgiref.sync import async_to_sync

        statuses = async_to_sync(run)()
    assert statuses == [200] * 5 + [401] * (LIMIT - 1) + [429, 429]
    # The refused attempt counts too (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT).
    assert redis_db.hget(ALICE_KEY, "fails") == str(LIMIT + 1).encode()
    assert redis_db.exists(ALICE_INFLIGHT) == 0


def test_access_attempt_rows_can_be_saved_and_deleted(redis_db):
    """django-axes' admin shows its AccessAttempt table by default: editing it must work."""
    with override_settings(**GUARDED):
        attempt = AccessAttempt.objects.create(
            username="alice", ip_address="203.0.113.9", user_agent="ua", failures_since_start=1
        )
        attempt.failures_since_start = 2
        attempt.save()
        attempt.delete()
    assert AccessAttempt.objects.count() == 0


@pytest.mark.real_redis_only
def test_a_full_redis_still_lets_right_passwords_in(private_redis, client, alice, caplog):
    """maxmemory with noeviction refuses the admitting write: fall back to the read-only check."""
    with override_settings(**GUARDED):
        assert api(client, "typo").status_code == 401
        private_redis.config_set("maxmemory", 1)
        try:
            assert [api(client, "right").status_code for _ in range(5)] == [200] * 5
            assert "refused the parallel guard's write" in caplog.text
            # A failure cannot be counted either: fail closed, as for any outage (503, not
            # a lockout: alice is one failure short of the limit).
            assert api(client, "wrong").status_code == 503
        finally:
            private_redis.config_set("maxmemory", 0)
        assert api(client, "right").status_code == 200
    assert private_redis.hget(ALICE_KEY, "fails") == b"1"
    assert private_redis.exists(ALICE_INFLIGHT) == 0


@pytest.mark.real_redis_only
def test_a_full_redis_still_enforces_confirmed_lockouts(private_redis, client, alice):
    """The read-only fallback keeps refusing a client that reached the limit."""
    with override_settings(**GUARDED):
        assert [api(client, "typo").status_code for _ in range(LIMIT)] == [401] * 2 + [429]
        private_redis.config_set("maxmemory", 1)
        try:
            assert api(client, "right").status_code == 429
        finally:
            private_redis.config_set("maxmemory", 0)


def test_drf_basic_auth_is_settled_on_the_django_request(redis_db, client, alice):
    """DRF calls authenticate() with its own Request: the slot must still be freed."""
    good = "Basic " + base64.b64encode(b"alice:right").decode()
    bad = "Basic " + base64.b64encode(b"alice:wrong").decode()
    with override_settings(**GUARDED, AXES_REDIS_GUARD_WAIT=0.05):
        statuses = [client.get("/api/drf/", HTTP_AUTHORIZATION=good).status_code for _ in range(8)]
        assert client.get("/api/drf/", HTTP_AUTHORIZATION=bad).status_code in (401, 403)
    assert statuses == [200] * 8
    assert redis_db.hget(ALICE_KEY, "fails") == b"1"
    assert redis_db.exists(ALICE_INFLIGHT) == 0
