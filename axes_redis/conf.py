"""Our own settings, read lazily so ``override_settings`` works in tests and at runtime.

django-axes' settings (``AXES_FAILURE_LIMIT`` and friends) are read through
``axes.conf.settings`` and its helpers; only the ``AXES_REDIS_*`` names live here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.signals import setting_changed

from axes_redis.tiers import Tier, usable

T = TypeVar("T")

DEFAULT_KEY_PREFIX = "axes"
DEFAULT_CACHE_ALIAS = "default"
DEFAULT_TRAIL_MAXLEN = 100_000
DEFAULT_GUARD_HOLD = 30.0
DEFAULT_GUARD_WAIT = 10.0
DEFAULT_RETENTION = 86_400
HANDLER_PATH = "axes_redis.handler.AxesRedisHandler"
MIDDLEWARE_PATH = "axes_redis.middleware.AxesRedisMiddleware"


def _seconds_or_none(value: Any) -> timedelta | None:
    if value is None:
        return None
    return value if isinstance(value, timedelta) else timedelta(seconds=float(value))


class AxesRedisSettings:
    """Typed accessors, read from Django settings on first use and after every change.

    A setting left at its default is the expensive case for ``getattr(settings,
    name, default)``: Django's ``LazySettings`` raises and catches AttributeError,
    some 2 us per read, and a failed login reads half a dozen of them. So each
    value is kept once read, and forgotten when ``setting_changed`` (sent by
    ``override_settings`` and pytest-django's ``settings``) names an ``AXES_``
    setting. A change Django does not announce (assigning to ``settings``
    outside ``override_settings``) is seen after the next announced one.
    """

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def _read(self, name: str, default: object, convert: Callable[[Any], T]) -> T:
        try:
            return self._values[name]  # type: ignore[no-any-return]
        except KeyError:
            generation = self._generation
            value = convert(getattr(settings, name, default))
            with self._lock:
                # A change announced while this thread was reading wins.
                if generation == self._generation:
                    self._values[name] = value
            return value

    def forget(self, *, setting: str = "", **kwargs: Any) -> None:
        """``setting_changed`` receiver: drop what was read, if it may be stale."""
        if setting.startswith("AXES_"):
            with self._lock:
                self._generation += 1
                self._values.clear()

    @property
    def key_prefix(self) -> str:
        """``AXES_REDIS_KEY_PREFIX``: first segment of every key we write."""
        return self._read("AXES_REDIS_KEY_PREFIX", DEFAULT_KEY_PREFIX, str)

    @property
    def cache_alias(self) -> str:
        """``AXES_CACHE``, the django-axes setting naming the Redis cache we borrow."""
        return self._read("AXES_CACHE", DEFAULT_CACHE_ALIAS, str)

    @property
    def parallel_guard(self) -> bool:
        """``AXES_REDIS_PARALLEL_GUARD``: count a guess when the check lets it through.

        On by default: at most ``AXES_FAILURE_LIMIT`` guesses per cool-off, however
        many attackers start together. ``False`` is django-axes' check-then-record.
        """
        return self._read("AXES_REDIS_PARALLEL_GUARD", True, bool)

    @property
    def guard_hold(self) -> float:
        """``AXES_REDIS_GUARD_HOLD``: seconds a guess keeps its slot if nothing settles it.

        A guess is settled as soon as its outcome is known (a failure, a login, or
        the view returning). Only a guess whose request crashed, or whose
        ``authenticate()`` ran where no outcome reaches us, waits this long; it
        never becomes a failure. So an attacker who can make requests raise after
        the password check gets at most ``AXES_FAILURE_LIMIT`` guesses per hold.
        """
        return self._read("AXES_REDIS_GUARD_HOLD", DEFAULT_GUARD_HOLD, float)

    @property
    def guard_wait(self) -> float:
        """``AXES_REDIS_GUARD_WAIT``: seconds a login waits for a slot held by guesses in flight.

        Past it the login is refused as busy (never as a lockout, never counted).
        Long enough for a few rounds of a real password hasher.
        """
        return self._read("AXES_REDIS_GUARD_WAIT", DEFAULT_GUARD_WAIT, float)

    @property
    def retention(self) -> timedelta | None:
        """``AXES_REDIS_RETENTION``: seconds a count below the limit is kept when
        ``AXES_COOLOFF_TIME`` is ``None`` (default one day; ``None``: for ever).

        django-axes' default cool-off is none, so without this every sprayed client
        would stay in Redis for ever. A client that reached the limit stays locked
        until it is reset, as django-axes documents; only counts that never locked
        anything expire, a day after their last failure.
        """
        return self._read("AXES_REDIS_RETENTION", DEFAULT_RETENTION, _seconds_or_none)

    @property
    def lockout_tiers(self) -> tuple[Tier, ...]:
        """django-axes' ``AXES_LOCKOUT_TIERS``, parsed (see :mod:`axes_redis.tiers`)."""
        return self._read("AXES_LOCKOUT_TIERS", None, usable)

    @property
    def fail_open(self) -> bool:
        """``AXES_REDIS_FAIL_OPEN``: allow logins while Redis fails (default: refuse).

        Closed is the default because an attacker who can slow or break Redis
        must not win unlimited guesses by doing so.
        """
        return self._read("AXES_REDIS_FAIL_OPEN", False, bool)

    @property
    def outage_response_callable(self) -> Any:
        """``AXES_REDIS_OUTAGE_RESPONSE_CALLABLE``: what a login refused because Redis
        failed gets, a callable (or its dotted path) taking the request and returning a
        response; ``None`` (the default) is :func:`axes_redis.outage.default_response`,
        a 503 with ``Retry-After``. Checked by ``axes_redis.E012``.
        """
        return self._read("AXES_REDIS_OUTAGE_RESPONSE_CALLABLE", None, lambda value: value or None)

    @property
    def trail_maxlen(self) -> int:
        """``AXES_REDIS_TRAIL_MAXLEN``: entries the login trail keeps (``XADD MAXLEN ~``).

        The trail is one stream per site, capped so that a flood of failed logins
        bounds Redis memory instead of growing it like a database table.
        """
        return self._read("AXES_REDIS_TRAIL_MAXLEN", DEFAULT_TRAIL_MAXLEN, int)

    @property
    def metadata(self) -> bool:
        """``AXES_REDIS_METADATA``: describe a client (who and where) on its key when
        it reaches the limit, once per client.

        ``False`` keeps only the count and the lock record, for sites that want no
        personal data on keys; who and where then live in the login trail only
        (when it is on). Below the limit a key holds the count alone either way.
        """
        return self._read("AXES_REDIS_METADATA", True, bool)

    @property
    def client_factory(self) -> str | None:
        """``AXES_REDIS_CLIENT``: dotted path to a callable returning the redis-py client.

        For Redis Cluster or Sentinel; when unset the ``AXES_CACHE`` client is borrowed.
        """
        return self._read("AXES_REDIS_CLIENT", None, lambda value: str(value) if value else None)

    @property
    def handler(self) -> str:
        return self._read("AXES_HANDLER", "", str)


axes_redis_settings = AxesRedisSettings()
setting_changed.connect(axes_redis_settings.forget, dispatch_uid="axes_redis.conf")
