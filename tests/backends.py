"""Authentication backends that make password evaluations observable.

``CountingSlowBackend`` stands in for a real password hasher (about 5 ms per
check) and counts every password it is asked to evaluate in Redis, outside our
key prefix, so separate processes can be tallied.
"""

from __future__ import annotations

import time
from typing import Any

import redis
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from axes_redis.connection import get_client

EVALUATIONS_KEY = "test:evaluations"
HASHING_SECONDS = 0.005


def count_evaluation() -> None:
    """INCR on a connection of its own, so the tallies of what the handler sends stay exact."""
    if getattr(settings, "AXES_REDIS_CLIENT", None):
        get_client().incr(EVALUATIONS_KEY)
        return
    with redis.Redis.from_url(settings.CACHES["axes"]["LOCATION"]) as tally:
        tally.incr(EVALUATIONS_KEY)


class CountingSlowBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        count_evaluation()
        time.sleep(HASHING_SECONDS)
        return super().authenticate(request, username=username, password=password, **kwargs)


class CountingRaisingBackend(CountingSlowBackend):
    """Evaluates the password, then raises whatever the outcome: ``authenticate()``
    propagates the error, so no ``user_login_failed`` tells anyone how it went.

    The attacker who can make requests raise after the password check.
    """

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> Any:  # type: ignore[override]
        super().authenticate(request, **credentials)
        raise RuntimeError("the backend failed after the password check")
