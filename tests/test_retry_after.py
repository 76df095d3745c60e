"""Exact Retry-After: every lockout response says how long the lockout actually has
left, from the TTL that the call which found or made it brought back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from axes_redis import keys
from testsupport.counting import TALLY

pytestmark = pytest.mark.django_db

KEY = keys.client_key("axes", {"username": "alice"})
BASE = {
    "AXES_LOCKOUT_PARAMETERS": ["username"],
    "AXES_FAILURE_LIMIT": 3,
    "AXES_COOLOFF_TIME": 1,
    "AXES_ENABLE_RETRY_AFTER_HEADER": True,
    # Refused attempts do not slide the cool-off, so time left really runs down.
    "AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT": False,
}
TEMPLATE: dict[str, Any] = settings.TEMPLATES[0]
TEMPLATES_WITH_CONTEXT = [
    {
        **TEMPLATE,
        "OPTIONS": {
            "context_processors": [
                *TEMPLATE["OPTIONS"]["context_processors"],
                "axes_redis.lockout.context",
            ]
        },
    }
]


def post(client: Any, **headers: str) -> Any:
    return client.post("/login/", {"username": "alice", "password": "wrong"}, **headers)


def lock(client: Any, status: int = 429) -> Any:
    responses = [post(client) for _ in range(3)]
    assert [r.status_code for r in responses] == [200, 200, status]
    return responses[-1]


@pytest.mark.parametrize(
    ("extra", "headers", "status"),
    [
        ({}, {}, 429),
        ({"AXES_LOCKOUT_TEMPLATE": "lockout.html"}, {}, 429),
        ({"AXES_LOCKOUT_URL": "/locked/"}, {}, 302),
        ({}, {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest"}, 429),
    ],
    ids=["status", "template", "url", "json"],
)
def test_every_lockout_response_carries_the_time_actually_left(
    redis_db, client, extra, headers, status
):
    """Not the whole cool-off: what is left of it, rounded up, in every response kind."""
    with override_settings(**BASE, **extra):
        assert lock(client, status)["Retry-After"] == "3600"
        redis_db.pexpire(KEY, 61_500)
        TALLY.reset()
        response = post(client, **headers)
    assert response.status_code == status
    assert 61 <= int(response["Retry-After"]) <= 62
    assert TALLY.commands.count("EVALSHA") <= 2  # the check and the record: no extra call


def test_no_header_without_a_cooloff_or_when_not_asked(redis_db, client):
    """A lockout without cool-off ends with a reset: there is no time to announce."""
    with override_settings(**{**BASE, "AXES_COOLOFF_TIME": None}):
        assert "Retry-After" not in lock(client)
    redis_db.flushdb()
    with override_settings(**{**BASE, "AXES_ENABLE_RETRY_AFTER_HEADER": False}):
        assert "Retry-After" not in lock(client)


def test_a_view_refused_by_axes_dispatch_gets_it_too(redis_db, client):
    """The decorator's read-only check found the lockout: it has the TTL as well."""
    with override_settings(**BASE):
        lock(client)
        response = client.post("/page/", {"username": "alice"})
    assert response.status_code == 429
    assert 3598 <= int(response["Retry-After"]) <= 3600


def test_the_lockout_template_gets_the_exact_time_and_tier(redis_db, client):
    """AXES_LOCKOUT_TEMPLATE can show what is left and which tier is in force."""
    tiers = [(3, timedelta(minutes=15)), (6, timedelta(hours=2))]
    with override_settings(
        **{**BASE, "AXES_COOLOFF_TIME": None},
        AXES_LOCKOUT_TIERS=tiers,
        AXES_LOCKOUT_TEMPLATE="lockout_left.html",
        TEMPLATES=TEMPLATES_WITH_CONTEXT,
    ):
        text = lock(client).content.decode()
    assert "locked for 900 s (0:15:00), tier of 3 failures" in text
