"""django-axes' login contract: its documented answers, and the handlers held to it.

The contract tests (tests/test_contract_*.py) drive real logins and then look at what each
handler left in Redis. Where they claim parity with django-axes, they run once on our handler
and once on django-axes' own ``AxesCacheHandler``, with the cache on the same Redis; where the
two differ on purpose, the test names the difference from ``DIVERGENCES`` and asserts the
cache handler's answer as well as ours, so a difference that closes or widens is noticed.

The behaviours are the ones django-axes documents and its own suite checks for
``AxesCacheHandler`` (its tests/test_handlers.py and tests/test_login.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from axes.helpers import make_cache_key_list
from django.core.cache import caches
from django.test import Client

from axes_redis import keys
from tests.support.logins import NOT_BLOCKED, attempt

IP1 = "10.1.1.1"
IP2 = "10.2.2.2"
IP3 = "10.2.2.3"
UA2 = "test-browser-2"

COOLOFF_MESSAGE = "Account locked: too many login attempts. Please try again later."
PERMALOCK_MESSAGE = (
    "Account locked: too many login attempts. Contact an admin to unlock your account."
)
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
EXPIRY_GRAIN_MS = 10


@dataclass(frozen=True)
class Divergence:
    """A deliberate difference from ``AxesCacheHandler``, and why ours is that way."""

    name: str
    reason: str


WHOLE_SECOND_COOLOFF = Divergence(
    "whole-second cool-off",
    "AxesCacheHandler hands the cache int(AXES_COOLOFF_TIME in seconds): 1.5 s locks for 1 s "
    "and anything under a second never locks; ours keeps the cool-off to the millisecond.",
)
READABLE_RECORD = Divergence(
    "readable record",
    "AxesCacheHandler keeps a bare counter under a digest; ours keeps a hash that names the "
    "client (failures, limit, first and last failure, the latest request's metadata).",
)
EMPTY_VALUES_JOINED = Divergence(
    "empty values joined away",
    "AxesCacheHandler's key digests the non-empty values joined without a separator, so an "
    "empty username with IP1 is the very counter of IP1 alone; ours names every parameter.",
)
ADMIN_ONLY_SITE_LOCKED = Divergence(
    "AXES_ONLY_ADMIN_SITE locks the site's login",
    "AxesCacheHandler's user_login_failed never asks whether the login is the admin's: under "
    "AXES_ONLY_ADMIN_SITE it locks the site's own login at the limit. Ours counts those failures "
    "too (they are guesses, and operators see them) but locks the admin login only, as the "
    "setting says.",
)
GUARD_COUNTS_EVERY_EVALUATION = Divergence(
    "the parallel guard counts every evaluation",
    "our guard takes a slot before each password is evaluated, and a request that crashes keeps "
    "it for AXES_REDIS_GUARD_HOLD, so every evaluation counts towards the limit; "
    "AxesCacheHandler counts the failures user_login_failed reports, and a request that raises "
    "after the password check reports none.",
)
RETENTION = Divergence(
    "counts below the limit are retained, not kept",
    "with AXES_COOLOFF_TIME = None AxesCacheHandler keeps every count for ever, so a password "
    "spray fills Redis; ours lets a count below the limit expire after AXES_REDIS_RETENTION "
    "(a lockout still lasts until it is reset).",
)

DIVERGENCES = [
    WHOLE_SECOND_COOLOFF,
    READABLE_RECORD,
    EMPTY_VALUES_JOINED,
    ADMIN_ONLY_SITE_LOCKED,
    GUARD_COUNTS_EVERY_EVALUATION,
    RETENTION,
]


class HandlerUnderTest:
    """Our handler, as the contract tests see it: where it counts a client, and how much."""

    label = "axes-redis"
    dotted_path = "axes_redis.handler.AxesRedisHandler"
    logger = "axes_redis"
    divergences: frozenset[Divergence] = frozenset()

    def __init__(self, redis: Any) -> None:
        self.redis = redis

    def differs(self, divergence: Divergence) -> bool:
        """Whether this handler is the one that answers differently, for ``divergence``."""
        assert divergence in DIVERGENCES, divergence
        return divergence in self.divergences

    def key(self, **parameters: str) -> str:
        """The Redis key counting the client named by ``parameters``, in configuration order."""
        return keys.client_key("axes", parameters)

    def stored(self) -> set[str]:
        """Every key this handler keeps for clients."""
        return {k.decode() for k in self.redis.scan_iter(match="axes:*")}

    def failures(self, name: str) -> int:
        return int(self.redis.hget(name, "fails") or 0)

    def fields(self, name: str) -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in self.redis.hgetall(name).items()}


class CacheHandlerUnderTest(HandlerUnderTest):
    """django-axes' ``AxesCacheHandler`` on the same Redis, through the ``axes`` cache."""

    label = "AxesCacheHandler"
    dotted_path = "axes.handlers.cache.AxesCacheHandler"
    logger = "axes.handlers.cache"
    divergences = frozenset(DIVERGENCES)

    def key(self, **parameters: str) -> str:
        (name,) = make_cache_key_list([parameters])
        return str(caches["axes"].make_key(name))

    def stored(self) -> set[str]:
        return {k.decode() for k in self.redis.scan_iter(match="*axes-*")}

    def failures(self, name: str) -> int:
        return int(self.redis.get(name) or 0)

    def fields(self, name: str) -> dict[str, str]:
        raise AssertionError(f"{self.label} keeps no fields: see {READABLE_RECORD.name}")


HANDLERS = {handler.label: handler for handler in (HandlerUnderTest, CacheHandlerUnderTest)}


def assert_pttl(redis: Any, name: str, expected_ms: int, slack_ms: int = 1_000) -> None:
    pttl = redis.pttl(name)
    assert expected_ms - slack_ms < pttl <= expected_ms, (name, pttl, expected_ms)


def deadline(redis: Any, name: str) -> float:
    """The ``time.monotonic()`` by which ``name`` has expired, from its PTTL read now.

    Never early: the clock is read after the reply, and Redis, which rounds PTTL down to the
    millisecond, drops the key only once that millisecond is past (hence the few added).
    Waiting for it waits as long as the key has left, however loaded the machine, instead of a
    fixed sleep sized for the worst case.
    """
    pttl = int(redis.pttl(name))
    assert pttl > 0, (name, pttl)
    return time.monotonic() + (pttl + EXPIRY_GRAIN_MS) / 1000


def sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def lock_alice(browser: Client, **extra: Any) -> Any:
    """Three failures for alice; the response to the third (the lockout)."""
    for _ in range(2):
        assert attempt(browser, **extra).status_code == NOT_BLOCKED
    return attempt(browser, **extra)
