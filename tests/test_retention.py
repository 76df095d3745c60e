"""Bounded growth without a cool-off: django-axes' default AXES_COOLOFF_TIME = None
would keep every sprayed client in Redis for ever; counts below the limit expire
after AXES_REDIS_RETENTION, lockouts still last until they are reset."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings

from axes_redis import keys

pytestmark = pytest.mark.django_db

KEY = keys.client_key("axes", {"username": "alice"})
NO_COOLOFF = {
    "AXES_LOCKOUT_PARAMETERS": ["username"],
    "AXES_FAILURE_LIMIT": 3,
    "AXES_COOLOFF_TIME": None,
}
DAY_MS = 86_400_000


def post(client: Any) -> int:
    return int(client.post("/login/", {"username": "alice", "password": "x"}).status_code)


def test_a_count_below_the_limit_expires_after_the_retention(redis_db, client):
    """A sprayed client that never locks anything must not stay for ever."""
    with override_settings(**NO_COOLOFF):
        post(client)
        assert DAY_MS - 5000 < redis_db.pttl(KEY) <= DAY_MS
        post(client)
        assert DAY_MS - 5000 < redis_db.pttl(KEY) <= DAY_MS  # sliding from the last failure


def test_a_lockout_without_cooloff_still_lasts_until_reset(redis_db, client):
    """django-axes' promise for AXES_COOLOFF_TIME = None: locked until an admin resets."""
    with override_settings(**NO_COOLOFF):
        assert [post(client) for _ in range(3)] == [200, 200, 429]
        assert redis_db.pttl(KEY) == -1
        assert post(client) == 429
        assert redis_db.pttl(KEY) == -1


@pytest.mark.parametrize(
    ("retention", "expected"), [(None, -1), (60, 60_000), (timedelta(minutes=2), 120_000)]
)
def test_retention_is_a_setting(redis_db, client, retention, expected):
    """None keeps every count for ever (the old behaviour); seconds or a timedelta bound it."""
    with override_settings(**NO_COOLOFF, AXES_REDIS_RETENTION=retention):
        post(client)
    ttl = redis_db.pttl(KEY)
    assert ttl == -1 if expected == -1 else expected - 5000 < ttl <= expected


def test_a_cooloff_is_never_replaced_by_the_retention(redis_db, client):
    """With a cool-off, the cool-off alone decides how long a count lives."""
    with override_settings(**{**NO_COOLOFF, "AXES_COOLOFF_TIME": timedelta(seconds=30)}):
        post(client)
    assert 25_000 < redis_db.pttl(KEY) <= 30_000
