"""Counting and lockout at AXES_FAILURE_LIMIT, through the real login path.

Each failed login through Django's ``LoginView`` (behind ``AxesMiddleware`` and
``AxesStandaloneBackend``, as a project has them) must count once, lock at exactly the limit in
every documented form of ``AXES_FAILURE_LIMIT``, and keep refusing, the right password included.
The tests claiming parity with django-axes run on our handler and on ``AxesCacheHandler``
(``handler``, tests/support/contract.py); the record our keys keep is ours alone.
"""

from __future__ import annotations

import time

import pytest
from axes.handlers.proxy import AxesProxyHandler
from django.test import Client

from tests.backends import EVALUATIONS_KEY, CountingRaisingBackend
from tests.support.contract import (
    COOLOFF_MESSAGE,
    GUARD_COUNTS_EVERY_EVALUATION,
    HOUR_MS,
    READABLE_RECORD,
    assert_pttl,
)
from tests.support.logins import (
    ALLOWED,
    BLOCKED,
    LOCAL,
    NOT_BLOCKED,
    RIGHT,
    api_attempt,
    attempt,
    fail,
    logged_in,
)

pytestmark = pytest.mark.django_db


def test_each_failure_counts_and_the_limit_locks(handler, users, client):
    """A password-guessing client must be stopped exactly at AXES_FAILURE_LIMIT, not later."""
    ip_key = handler.key(ip_address=LOCAL)
    for count in (1, 2):
        response = attempt(client)
        assert response.status_code == NOT_BLOCKED
        assert handler.failures(ip_key) == count
    response = attempt(client)
    assert response.status_code == BLOCKED
    assert response.content.decode() == COOLOFF_MESSAGE
    assert handler.stored() == {ip_key}
    assert handler.failures(ip_key) == 3
    # And every further attempt is refused with the same answer.
    for _ in range(3):
        response = attempt(client)
        assert response.status_code == BLOCKED
        assert response.content.decode() == COOLOFF_MESSAGE


def test_correct_password_is_refused_while_locked(handler, users, client):
    """Guessing the right password after the lockout must not log the attacker in."""
    assert fail(client, 3) == [NOT_BLOCKED, NOT_BLOCKED, BLOCKED]
    response = attempt(client, "alice", RIGHT)
    assert response.status_code == BLOCKED
    assert not logged_in(client)
    # Like AxesCacheHandler: a refused attempt is a failure too (it slides the cool-off).
    assert handler.failures(handler.key(ip_address=LOCAL)) == 4


def test_hash_fields_describe_the_client(handler, users, client):
    """Operators must see who failed, from where, how often and when it locked; a client
    below the limit costs one field (its TTL tells when it failed last)."""
    name = handler.key(ip_address=LOCAL)
    attempt(client, "alice", ua="first-agent")
    if handler.differs(READABLE_RECORD):
        attempt(client, "bob", ua="second-agent")
        # A bare counter: who failed, from where and since when are nowhere to be read.
        assert handler.redis.type(name) == b"string"
        assert handler.redis.get(name) == b"2"
        return
    assert handler.fields(name) == {"fails": "1"}
    before_ms = int(time.time() * 1000)
    attempt(client, "bob", ua="second-agent")
    attempt(client, "carol", ua="third-agent")
    after_ms = int(time.time() * 1000)

    stored_fields = handler.fields(name)
    assert set(stored_fields) == {
        "fails",
        "limit",
        "locked",
        "username",
        "user_agent",
        "path_info",
    }
    assert stored_fields["fails"] == "3"
    assert stored_fields["limit"] == "3"
    # The metadata is that of the failure that locked; the key name holds the IP.
    assert stored_fields["username"] == "carol"
    assert stored_fields["user_agent"] == "third-agent"
    assert stored_fields["path_info"] == "/login/"
    assert before_ms - 2_000 <= int(stored_fields["locked"]) <= after_ms + 2_000


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (5, 5),
        (lambda request, credentials: 2, 2),
        ("tests.callables.failure_limit_two", 2),
    ],
    ids=["int", "callable", "dotted-path"],
)
def test_failure_limit_forms(handler, users, client, settings, limit, expected):
    """Every documented AXES_FAILURE_LIMIT form must lock at exactly that many failures."""
    settings.AXES_FAILURE_LIMIT = limit
    statuses = fail(client, expected)
    assert statuses == [NOT_BLOCKED] * (expected - 1) + [BLOCKED]
    name = handler.key(ip_address=LOCAL)
    assert handler.failures(name) == expected
    if handler.differs(READABLE_RECORD):
        assert handler.redis.type(name) == b"string"
        return
    stored_fields = handler.fields(name)
    assert stored_fields["fails"] == str(expected)
    assert stored_fields["limit"] == str(expected)


def test_failure_limit_callable_sees_the_credentials(handler, users, client, settings):
    """A per-account limit must apply to the account being attacked."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    settings.AXES_FAILURE_LIMIT = lambda request, credentials: (
        1 if (credentials or {}).get("username") == "alice" else 4
    )
    assert fail(client, 1, "alice") == [BLOCKED]
    assert fail(client, 4, "bob") == [NOT_BLOCKED] * 3 + [BLOCKED]
    if handler.differs(READABLE_RECORD):
        # Each account's limit is applied, and remembered nowhere.
        assert handler.failures(handler.key(username="alice")) == 1
        assert handler.failures(handler.key(username="bob")) == 4
        return
    assert handler.fields(handler.key(username="alice"))["limit"] == "1"
    assert handler.fields(handler.key(username="bob"))["limit"] == "4"


def test_lock_out_at_failure_false_counts_but_never_locks(
    handler, users, client, settings, lockouts
):
    """AXES_LOCK_OUT_AT_FAILURE=False: monitoring only, every failure recorded, no lockout."""
    settings.AXES_LOCK_OUT_AT_FAILURE = False
    assert fail(client, 5) == [NOT_BLOCKED] * 5
    assert handler.failures(handler.key(ip_address=LOCAL)) == 5
    assert_pttl(handler.redis, handler.key(ip_address=LOCAL), HOUR_MS)
    assert attempt(client, "alice", RIGHT).status_code == ALLOWED
    assert lockouts == []


def test_axes_disabled_records_nothing(handler, users, client, settings):
    """AXES_ENABLED=False must switch the handler off entirely: no keys, no lockout."""
    settings.AXES_ENABLED = False
    assert fail(client, 5) == [NOT_BLOCKED] * 5
    assert handler.stored() == set()
    assert attempt(client, "alice", RIGHT).status_code == ALLOWED


def test_failure_without_a_request_is_logged_and_ignored(handler, caplog):
    """A user_login_failed sent without a request (some API flows) must not crash nor write."""
    AxesProxyHandler.user_login_failed(sender=None, credentials={}, request=None)
    assert handler.stored() == set()
    class_name = handler.dotted_path.rpartition(".")[2]
    assert (
        f"AXES: {class_name}.user_login_failed does not function without a request."
        in caplog.messages
    )


def test_guesses_that_crash_after_the_password_check_are_limited(handler, users, settings):
    """The attacker who can make a login raise after the password check (so no
    user_login_failed is sent) must still get no more than AXES_FAILURE_LIMIT evaluations."""
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        f"{CountingRaisingBackend.__module__}.CountingRaisingBackend",
    ]
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    settings.AXES_REDIS_GUARD_WAIT = 0.01  # refused at once while the crashed guesses hold
    browser = Client(raise_request_exception=False)
    guesses = [{"username": "alice", "password": f"guess-{n}"} for n in range(5)]
    statuses = [api_attempt(browser, guess).status_code for guess in guesses]
    evaluations = int(handler.redis.get(EVALUATIONS_KEY))
    if handler.differs(GUARD_COUNTS_EVERY_EVALUATION):
        assert statuses == [500] * 5
        assert evaluations == 5
        assert handler.stored() == set()
        return
    # Refused as busy: each crashed guess holds its slot for AXES_REDIS_GUARD_HOLD.
    assert statuses == [500] * 3 + [429] * 2
    assert evaluations == 3
