"""Progressive lockouts (AXES_LOCKOUT_TIERS): the tier is chosen inside the call that
counts, so a client's TTL always matches its count, even under parallel failures."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import RequestFactory, override_settings

from axes_redis import keys, scripts, tiers
from axes_redis.guard import RequestState
from axes_redis.handler import AxesRedisHandler
from axes_redis.store import AttemptStore

pytestmark = pytest.mark.django_db

KEY = keys.client_key("axes", {"username": "alice"})
MINUTE = timedelta(minutes=1)
TIERS = [(3, 15 * MINUTE), (6, 120 * MINUTE), (10, 24 * 60 * MINUTE)]
BY_USERNAME = {"AXES_LOCKOUT_PARAMETERS": ["username"], "AXES_COOLOFF_TIME": None}


@dataclass(frozen=True, order=True)
class LockoutTier:
    """django-axes' ``axes.conf.LockoutTier`` (next release), field for field."""

    failures: int
    cooloff: timedelta


def post(client: Any, password: str = "wrong") -> int:
    return int(client.post("/login/", {"username": "alice", "password": password}).status_code)


def ttl_minutes(redis_db: Any) -> float:
    return float(redis_db.pttl(KEY)) / 60_000


def test_tier_forms_parse_to_the_same_tiers():
    """LockoutTier objects, timedelta pairs and hours pairs are one configuration."""
    objects = [LockoutTier(f, c) for f, c in TIERS]
    hours = [(f, c / timedelta(hours=1)) for f, c in TIERS]
    assert tiers.parse(objects) == tiers.parse(TIERS) == tiers.parse(list(reversed(hours)))
    assert tiers.script_argument(tiers.parse(TIERS)) == "3:900000,6:7200000,10:86400000"


@pytest.mark.parametrize(
    "bad",
    ["3:15m", [], [(0, MINUTE)], [(3, -MINUTE)], [(3, MINUTE), (3, 2 * MINUTE)], [(3, "x")]],
)
def test_unusable_tiers_are_e020_with_a_hint(bad):
    """A tier list that cannot work must be reported at check time, not at the first login."""
    with override_settings(AXES_LOCKOUT_TIERS=bad, AXES_COOLOFF_TIME=None):
        (error,) = tiers.check_tiers(None)
        assert error.id == tiers.E013
        assert error.hint
        assert tiers.configured() == ()


def test_tiers_beside_a_cooloff_is_w020():
    """As upstream: AXES_COOLOFF_TIME no longer decides a lockout's length."""
    with override_settings(AXES_LOCKOUT_TIERS=TIERS, AXES_COOLOFF_TIME=1):
        (warning,) = tiers.check_tiers(None)
    assert warning.id == tiers.W004
    with override_settings(AXES_LOCKOUT_TIERS=TIERS, AXES_COOLOFF_TIME=None):
        assert tiers.check_tiers(None) == []


def test_the_lockout_grows_tier_by_tier(redis_db, client):
    """3 failures lock for 15 min; failures during the lockout step up to 2 h, then 1 day."""
    with override_settings(
        **BY_USERNAME,
        AXES_LOCKOUT_TIERS=TIERS,
        AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT=True,
    ):
        assert [post(client) for _ in range(3)] == [200, 200, 429]
        assert 14.9 < ttl_minutes(redis_db) <= 15
        assert [post(client) for _ in range(3)] == [429] * 3
        assert redis_db.hget(KEY, "fails") == b"6"
        assert 119.9 < ttl_minutes(redis_db) <= 120
        assert [post(client) for _ in range(4)] == [429] * 4
        assert 24 * 60 - 0.1 < ttl_minutes(redis_db) <= 24 * 60


def test_below_the_first_tier_failures_keep_the_plain_cooloff(redis_db, client):
    """Until the first threshold, AXES_COOLOFF_TIME (here none) bounds the count, as upstream."""
    with override_settings(**BY_USERNAME, AXES_LOCKOUT_TIERS=TIERS, AXES_REDIS_RETENTION=None):
        post(client)
        assert redis_db.pttl(KEY) == -1
    with override_settings(
        **{**BY_USERNAME, "AXES_COOLOFF_TIME": MINUTE / 60 * 5}, AXES_LOCKOUT_TIERS=TIERS
    ):
        post(client)
        assert 0 < redis_db.pttl(KEY) <= 5000


def test_the_first_tier_is_the_failure_limit(redis_db, client):
    """With tiers, AXES_FAILURE_LIMIT gives way to the lowest threshold (upstream's rule)."""
    with override_settings(**BY_USERNAME, AXES_LOCKOUT_TIERS=[(2, MINUTE)], AXES_FAILURE_LIMIT=9):
        assert [post(client) for _ in range(3)] == [200, 429, 429]


def test_the_lockout_found_by_a_check_carries_its_exact_ttl(redis_db):
    """The check that finds the lockout already has its TTL: no second call for Retry-After."""
    with override_settings(**BY_USERNAME, AXES_LOCKOUT_TIERS=TIERS):
        handler = AxesRedisHandler()
        for _ in range(3):
            request = RequestFactory().post("/login/", {"username": "alice"})
            handler.user_login_failed(None, {"username": "alice"}, request)
        redis_db.pexpire(KEY, 61_500)
        request = RequestFactory().post("/login/", {"username": "alice"})
        assert handler.is_locked(request, None) is True
    ttl_ms = RequestState.of(request).lockout_ttl_ms
    assert ttl_ms is not None
    assert 61_000 < ttl_ms <= 61_500


def test_parallel_failures_leave_a_ttl_that_matches_the_count(redis_db):
    """Whatever order C failures land in, the last write's TTL is the tier of the final count."""
    store = AttemptStore(redis_db, "axes")
    argument = tiers.script_argument(tiers.parse(TIERS))
    threads = 12
    barrier = threading.Barrier(threads)

    def fail() -> None:
        barrier.wait()
        store.record_failure(
            [KEY], cooloff=None, limit=3, lock_out=True, metadata={}, tiers=argument
        )

    pool = [threading.Thread(target=fail) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=30)
    assert redis_db.hget(KEY, "fails") == str(threads).encode()
    assert 24 * 60 - 0.1 < ttl_minutes(redis_db) <= 24 * 60
    failures, ttl = scripts.run(redis_db, scripts.GET_FAILURES, [KEY], [])
    assert (failures, 0 < ttl <= 86_400_000) == (threads, True)
