"""Our own settings, read lazily so ``override_settings`` works in tests and at runtime.

django-axes' settings (``AXES_FAILURE_LIMIT`` and friends) are read through
``axes.conf.settings`` and its helpers; only the ``AXES_REDIS_*`` names live here.
"""

from __future__ import annotations

from django.conf import settings

DEFAULT_KEY_PREFIX = "axes"
DEFAULT_CACHE_ALIAS = "default"
DEFAULT_TRAIL_MAXLEN = 100_000
HANDLER_PATH = "axes_redis.handler.AxesRedisHandler"


class AxesRedisSettings:
    """Typed accessors; each property reads Django settings at call time."""

    @property
    def key_prefix(self) -> str:
        """``AXES_REDIS_KEY_PREFIX``: first segment of every key we write."""
        return str(getattr(settings, "AXES_REDIS_KEY_PREFIX", DEFAULT_KEY_PREFIX))

    @property
    def cache_alias(self) -> str:
        """``AXES_CACHE``, the django-axes setting naming the Redis cache we borrow."""
        return str(getattr(settings, "AXES_CACHE", DEFAULT_CACHE_ALIAS))

    @property
    def parallel_guard(self) -> bool:
        """``AXES_REDIS_PARALLEL_GUARD``: count a guess when the check lets it through.

        On by default: at most ``AXES_FAILURE_LIMIT`` guesses per cool-off, however
        many attackers start together. ``False`` is django-axes' check-then-record.
        """
        return bool(getattr(settings, "AXES_REDIS_PARALLEL_GUARD", True))

    @property
    def fail_open(self) -> bool:
        """``AXES_REDIS_FAIL_OPEN``: allow logins while Redis fails (default: refuse).

        Closed is the default because an attacker who can slow or break Redis
        must not win unlimited guesses by doing so.
        """
        return bool(getattr(settings, "AXES_REDIS_FAIL_OPEN", False))

    @property
    def trail_maxlen(self) -> int:
        """``AXES_REDIS_TRAIL_MAXLEN``: entries the login trail keeps (``XADD MAXLEN ~``).

        The trail is one stream per site, capped so that a flood of failed logins
        bounds Redis memory instead of growing it like a database table.
        """
        return int(getattr(settings, "AXES_REDIS_TRAIL_MAXLEN", DEFAULT_TRAIL_MAXLEN))

    @property
    def metadata(self) -> bool:
        """``AXES_REDIS_METADATA``: store who and where of the last failure on each key.

        ``False`` keeps only ``failures``, ``first``, ``last`` and ``limit`` per
        tracked client, for sites that track many clients and want the smallest
        keys; who and where then live in the login trail only (when it is on).
        """
        return bool(getattr(settings, "AXES_REDIS_METADATA", True))

    @property
    def client_factory(self) -> str | None:
        """``AXES_REDIS_CLIENT``: dotted path to a callable returning the redis-py client.

        For Redis Cluster or Sentinel; when unset the ``AXES_CACHE`` client is borrowed.
        """
        value = getattr(settings, "AXES_REDIS_CLIENT", None)
        return str(value) if value else None

    @property
    def handler(self) -> str:
        return str(getattr(settings, "AXES_HANDLER", ""))


axes_redis_settings = AxesRedisSettings()
