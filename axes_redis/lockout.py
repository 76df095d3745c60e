"""What a lockout response can say about its end: the exact time left, from Redis.

django-axes' next release sends ``Retry-After`` (``AXES_ENABLE_RETRY_AFTER_HEADER``)
with the whole configured cool-off, however much of it has passed. The call that
found the lockout (the check) or made it (the failure) already brought the key's
TTL, so here the header and the template context say what is actually left,
rounded up to the second, with no extra round trip.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from axes_redis import tiers
from axes_redis.guard import RequestState


def seconds_left(request: HttpRequest) -> int | None:
    """Whole seconds until the lockout this request met ends; ``None`` when it met
    none, or one without a cool-off (it ends with a reset)."""
    state = RequestState.find(request)
    ttl_ms = None if state is None else state.lockout_ttl_ms
    if ttl_ms is None or ttl_ms <= 0:
        return None
    return math.ceil(ttl_ms / 1000)


def add_retry_after(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """``Retry-After`` on the response of a request refused for a lockout, when
    ``AXES_ENABLE_RETRY_AFTER_HEADER`` asks for it (replacing upstream's whole cool-off)."""
    if not getattr(settings, "AXES_ENABLE_RETRY_AFTER_HEADER", False):
        return response
    seconds = seconds_left(request)
    if seconds is not None:
        response["Retry-After"] = str(seconds)
    return response


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: the exact time left for ``AXES_LOCKOUT_TEMPLATE``.

    ``axes_redis_seconds_left`` (int), ``axes_redis_unlocks_in`` (timedelta) and,
    with ``AXES_LOCKOUT_TIERS``, ``axes_redis_tier`` (the tier in force: its
    ``failures`` threshold and ``cooloff``). Empty for requests that met no lockout.
    """
    seconds = seconds_left(request)
    if seconds is None:
        return {}
    found: dict[str, Any] = {
        "axes_redis_seconds_left": seconds,
        "axes_redis_unlocks_in": timedelta(seconds=seconds),
    }
    state = RequestState.find(request)
    failures = 0 if state is None else state.lockout_failures
    tier = tiers.in_force(tiers.configured(), failures)
    if tier is not None:
        found["axes_redis_tier"] = tier
    return found
