"""How long a lockout lasts: AXES_COOLOFF_TIME in every form, sliding, and expiry.

The cool-off becomes the keys' TTL, each failure restarts it, and with
``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT`` off a refused retry must not extend it. Each
test runs on our handler and on ``AxesCacheHandler`` (``handler``, tests/support/contract.py);
cool-offs under a second or with a fraction of one are where the two differ on purpose
(``WHOLE_SECOND_COOLOFF``). The expiry tests use sub-second cool-offs and wait for the key's own
deadline (its PTTL), not a fixed sleep sized for a loaded machine.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from axes.utils import reset
from django.http import HttpRequest

from tests.support.contract import (
    DAY_MS,
    HOUR_MS,
    PERMALOCK_MESSAGE,
    RETENTION,
    WHOLE_SECOND_COOLOFF,
    assert_pttl,
    deadline,
    lock_alice,
    sleep_until,
)
from tests.support.logins import (
    ALLOWED,
    BLOCKED,
    LOCAL,
    NOT_BLOCKED,
    RIGHT,
    WRONG,
    attempt,
    fail,
)

pytestmark = pytest.mark.django_db


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
def test_cooloff_time_becomes_the_key_ttl(handler, users, client, settings, cooloff, expected_ms):
    """Every documented AXES_COOLOFF_TIME form must lock for exactly that long."""
    settings.AXES_COOLOFF_TIME = cooloff
    settings.AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
    assert lock_alice(client).status_code == BLOCKED
    for name in (handler.key(username="alice"), handler.key(ip_address=LOCAL)):
        assert_pttl(handler.redis, name, expected_ms)


def test_cooloff_callable_receives_the_request(handler, users, client, settings):
    """A per-request cool-off must be computed from the request being locked out."""
    seen: list[Any] = []

    def cooloff(request: HttpRequest) -> timedelta:
        seen.append(request)
        return timedelta(minutes=3)

    settings.AXES_COOLOFF_TIME = cooloff
    attempt(client)
    assert seen
    assert all(isinstance(r, HttpRequest) and r.path == "/login/" for r in seen)
    assert_pttl(handler.redis, handler.key(ip_address=LOCAL), 180_000)


def test_no_cooloff_locks_until_reset(handler, users, client, settings):
    """AXES_COOLOFF_TIME=None must lock for good (no TTL) until an operator resets."""
    settings.AXES_COOLOFF_TIME = None
    response = lock_alice(client)
    assert response.status_code == BLOCKED
    assert response.content.decode() == PERMALOCK_MESSAGE
    assert handler.redis.pttl(handler.key(ip_address=LOCAL)) == -1
    assert attempt(client, "alice", RIGHT).status_code == BLOCKED
    assert handler.redis.pttl(handler.key(ip_address=LOCAL)) == -1

    assert reset(ip=LOCAL) == 1
    assert handler.stored() == set()
    assert attempt(client, "alice", RIGHT).status_code == ALLOWED


def test_a_count_below_the_limit_without_cooloff_is_not_kept_for_ever(
    handler, users, client, settings
):
    """AXES_COOLOFF_TIME=None: a sprayed client that never reaches the limit must not stay in
    Redis for ever (a password spray would fill it)."""
    settings.AXES_COOLOFF_TIME = None
    assert attempt(client).status_code == NOT_BLOCKED
    name = handler.key(ip_address=LOCAL)
    assert handler.failures(name) == 1
    if handler.differs(RETENTION):
        assert handler.redis.pttl(name) == -1
    else:
        assert_pttl(handler.redis, name, DAY_MS, slack_ms=5_000)


def test_lockout_expires_after_a_sub_minute_cooloff(handler, users, client, settings):
    """A 1.3 s cool-off must lock for 1.3 s: not 1 s (truncated) and not forever."""
    settings.AXES_COOLOFF_TIME = timedelta(milliseconds=1_300)
    # A refused attempt must not slide the cool-off here: we probe the original one.
    settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
    name = handler.key(ip_address=LOCAL)
    assert lock_alice(client).status_code == BLOCKED
    locked_at = time.monotonic()
    if handler.differs(WHOLE_SECOND_COOLOFF):
        # Truncated to one second: the lock is gone a third of a second early.
        assert_pttl(handler.redis, name, 1_000, slack_ms=300)
        sleep_until(locked_at + 1.0)
        assert attempt(client, "alice", RIGHT).status_code == ALLOWED
        return
    assert_pttl(handler.redis, name, 1_300, slack_ms=300)
    expired_at = deadline(handler.redis, name)

    # The key was written before locked_at: a lock truncated to 1 s would be over by now.
    sleep_until(locked_at + 1.0)
    assert attempt(client, "alice", RIGHT).status_code == BLOCKED

    sleep_until(expired_at)
    assert handler.stored() == set()
    assert attempt(client, "alice", RIGHT).status_code == ALLOWED


def test_half_second_cooloff_still_locks_then_expires(handler, users, client, settings):
    """A cool-off under one second must still lock (the cache handler truncates it to none)."""
    settings.AXES_COOLOFF_TIME = timedelta(milliseconds=500)
    name = handler.key(ip_address=LOCAL)
    if handler.differs(WHOLE_SECOND_COOLOFF):
        # Truncated to no cool-off at all: every failure expires as it is counted.
        assert lock_alice(client).status_code == NOT_BLOCKED
        assert handler.stored() == set()
        return
    assert lock_alice(client).status_code == BLOCKED
    assert 0 < handler.redis.pttl(name) <= 500
    assert attempt(client, "alice", RIGHT).status_code == BLOCKED
    # That refusal slid the cool-off (the default): its deadline is the one to wait for.
    sleep_until(deadline(handler.redis, name))
    assert attempt(client, "alice", RIGHT).status_code == ALLOWED


def test_a_later_failure_slides_the_cooloff(handler, users, client, settings):
    """Each failure must restart the cool-off on every key, so a slow attacker stays counted."""
    settings.AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
    names = (handler.key(username="alice"), handler.key(ip_address=LOCAL))
    attempt(client)
    for name in names:
        handler.redis.pexpire(name, 5_000)
    attempt(client)
    for name in names:
        assert handler.failures(name) == 2
        assert_pttl(handler.redis, name, HOUR_MS)


def test_failure_during_lockout_slides_the_cooloff_by_default(handler, users, client, lockouts):
    """AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT=True: hammering a lock must extend it."""
    ip_key = handler.key(ip_address=LOCAL)
    assert lock_alice(client).status_code == BLOCKED
    handler.redis.pexpire(ip_key, 5_000)
    assert attempt(client, "alice", RIGHT).status_code == BLOCKED
    assert handler.failures(ip_key) == 4
    assert_pttl(handler.redis, ip_key, HOUR_MS)
    assert len(lockouts) == 2


def test_refused_attempt_during_lockout_neither_counts_nor_slides(
    handler, users, client, settings, lockouts
):
    """Flag off: retries during a lockout must not extend it, yet each is still signalled."""
    settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
    ip_key = handler.key(ip_address=LOCAL)
    assert lock_alice(client).status_code == BLOCKED
    assert len(lockouts) == 1
    handler.redis.pexpire(ip_key, 5_000)

    assert attempt(client, "alice", RIGHT).status_code == BLOCKED
    assert attempt(client, "bob", WRONG).status_code == BLOCKED
    assert handler.failures(ip_key) == 3
    assert 0 < handler.redis.pttl(ip_key) <= 5_000
    assert [(s["sender"], s["username"], s["ip_address"]) for s in lockouts] == [
        ("axes", "alice", LOCAL),
        ("axes", "alice", LOCAL),
        ("axes", "bob", LOCAL),
    ]


def test_refused_attempt_during_lockout_does_not_extend_real_expiry(
    handler, users, client, settings
):
    """With the reset-on-failure flag off, the lock must end when first announced."""
    # The cache handler can only be given whole seconds (a shorter one never locks).
    whole_seconds = handler.differs(WHOLE_SECOND_COOLOFF)
    cooloff = timedelta(seconds=1) if whole_seconds else timedelta(milliseconds=800)
    settings.AXES_COOLOFF_TIME = cooloff
    settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
    settings.AXES_FAILURE_LIMIT = 2
    assert fail(client, 2) == [NOT_BLOCKED, BLOCKED]
    # The deadline the lockout announced, before any retry could move it.
    expired_at = deadline(handler.redis, handler.key(ip_address=LOCAL))
    # Halfway through: had this refusal slid the cool-off, the lock would outlast that deadline
    # by half a cool-off.
    sleep_until(expired_at - cooloff.total_seconds() / 2)
    assert attempt(client).status_code == BLOCKED
    sleep_until(expired_at)
    assert attempt(client, "alice", RIGHT).status_code == ALLOWED
