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

EVALUATIONS_KEY = "test:evaluations"
HASHING_SECONDS = 0.005


class CountingSlowBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        # Its own connection, so the tallies of what the handler sends stay exact.
        with redis.Redis.from_url(settings.CACHES["axes"]["LOCATION"]) as tally:
            tally.incr(EVALUATIONS_KEY)
        time.sleep(HASHING_SECONDS)
        return super().authenticate(request, username=username, password=password, **kwargs)
