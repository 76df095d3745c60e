"""Borrow the redis-py object of the ``AXES_CACHE`` cache instead of opening a second pool."""

from __future__ import annotations

import functools
import weakref
from typing import Any, TypeAlias

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError
from django.utils.module_loading import import_string
from redis import Redis
from redis.cluster import RedisCluster
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from axes_redis.conf import axes_redis_settings

RedisClient: TypeAlias = Redis | RedisCluster
"""The redis-py object we talk to: one server (direct, Sentinel) or a Redis Cluster."""

_DJANGO_REDIS_ONLY = frozenset(
    {
        "CLIENT_CLASS",
        "CLOSE_CONNECTION",
        "COMPRESSOR",
        "CONNECTION_POOL_CLASS",
        "CONNECTION_POOL_KWARGS",
        "IGNORE_EXCEPTIONS",
        "LOG_IGNORED_EXCEPTIONS",
        "REDIS_CLIENT_CLASS",
        "REDIS_CLIENT_KWARGS",
        "SENTINELS",
        "SENTINEL_KWARGS",
    }
)
"""django-redis options with no counterpart among redis-py's connection arguments."""


class UnusableCacheOptions(RedisConnectionError):
    """The ``AXES_CACHE`` options cannot make a connection (check ``axes_redis.E010``).

    A ``ConnectionError``, so that the login path treats it as Redis being
    unusable (``AXES_REDIS_FAIL_OPEN`` decides) instead of answering a 500.
    """


class RedisCommandError(CommandError, RedisError):
    """Redis failed under a management command: Django prints this as one line.

    Also a ``RedisError``, so callers outside a command (the admin) still see what it is.
    """


def uppercase_options(alias: str) -> dict[str, str]:
    """django-redis' uppercase ``OPTIONS`` names on a cache, with their redis-py spelling.

    Django's own ``RedisCache`` hands ``OPTIONS`` to redis-py unchanged, and redis-py
    refuses ``SOCKET_TIMEOUT`` with a ``TypeError`` at the first connection. The value
    is ``""`` for the django-redis options redis-py has no counterpart for.
    """
    config = getattr(settings, "CACHES", {}).get(alias) or {}
    options = config.get("OPTIONS") or {}
    return {
        name: "" if name in _DJANGO_REDIS_ONLY else name.lower()
        for name in sorted(options)
        if isinstance(name, str) and name.isupper()
    }


def describe(redis: RedisClient) -> str:
    """Where ``redis`` connects, for one-line error messages (never a password)."""
    if isinstance(redis, RedisCluster):
        cluster: Any = redis  # redis-py's cluster API is untyped
        node = cluster.get_default_node()
        return f"Redis Cluster at {node.host}:{node.port}"
    pool = getattr(redis, "connection_pool", None)
    options: dict[str, Any] = getattr(pool, "connection_kwargs", {})
    if options.get("path"):
        return f"Redis at unix://{options['path']}"
    if options.get("host"):
        host, port, db = options["host"], options.get("port", 6379), options.get("db") or 0
        return f"Redis at {host}:{port}/{db}"
    return "Redis"


def command_error(exc: RedisError, during: str) -> RedisCommandError:
    """The one line a management command prints when Redis fails ``during`` something."""
    try:
        where = describe(get_client())
    except RedisError:
        where = "Redis"
    text = str(exc).strip().splitlines()[0].rstrip(".") if str(exc).strip() else type(exc).__name__
    return RedisCommandError(
        f"{where} failed during {during}: {text}. `manage.py check --deploy` checks the connection."
    )


_django_redis_classes: dict[type, bool] = {}
"""Answers of :func:`is_django_redis` per cache class: it is asked on every login."""


def is_django_redis(cache: object) -> bool:
    """True for django-redis' ``RedisCache`` (and subclasses), without importing it."""
    cls = type(cache)
    found = _django_redis_classes.get(cls)
    if found is None:
        found = _django_redis_classes[cls] = any(
            klass.__module__.startswith("django_redis.") and klass.__name__ == "RedisCache"
            for klass in cls.__mro__
        )
    return found


_django_write_clients: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
"""Django ``RedisCache``'s primary client, per cache client object (so per pool).

Django builds a new ``redis.Redis`` around the same pool on every ``get_client``
call, which costs a login more Python than the round trip it is then used for
(the benchmarks measure it). The write pool of one cache client never changes
(always its first server), so one ``redis.Redis`` per cache client is the same
thing, built once. A new cache object (another thread's, or after
``override_settings(CACHES=...)``) gets its own.
"""


def _django_write_client(cache: RedisCache, alias: str) -> Any:
    cache_client = cache._cache
    redis = _django_write_clients.get(cache_client)
    if redis is None:
        refused = uppercase_options(alias)
        if refused:
            # redis-py would raise a TypeError (a 500) at the first command.
            raise UnusableCacheOptions(
                f"CACHES[{alias!r}] is Django's RedisCache with django-redis' uppercase OPTIONS "
                f"{', '.join(refused)}, which redis-py refuses (see check axes_redis.E010)."
            )
        redis = _django_write_clients[cache_client] = cache_client.get_client(write=True)
    return redis


@functools.cache
def _client_from_factory(path: str) -> Any:
    """One client per process and factory: the factory may build pools and sockets."""
    return import_string(path)()


def get_client(alias: str | None = None) -> Any:
    """The redis-py object: from ``AXES_REDIS_CLIENT`` if set, else the cache's.

    ``AXES_REDIS_CLIENT`` (a dotted path to a no-argument callable) is for what no
    Django cache backend offers, such as a ``RedisCluster`` or a Sentinel
    ``master_for`` client. Otherwise the redis-py object behind the cache ``alias`` (default
    ``AXES_CACHE``) is borrowed: django-redis as its ``get_redis_connection`` does,
    Django's ``RedisCache`` through its client factory (built once per pool),
    asked for the primary as Django's own ``set`` would be. Either way the pool is
    shared, never duplicated.
    """
    if alias is None and axes_redis_settings.client_factory:
        return _client_from_factory(axes_redis_settings.client_factory)
    alias = alias or axes_redis_settings.cache_alias
    cache = caches[alias]
    if is_django_redis(cache):
        # What django_redis.get_redis_connection(alias, write=True) returns,
        # without looking the cache up a second time.
        return cache.client.get_client(True)  # type: ignore[attr-defined]
    if isinstance(cache, RedisCache):
        return _django_write_client(cache, alias)
    raise ImproperlyConfigured(
        f"AXES_CACHE={alias!r} is a {type(cache).__module__}.{type(cache).__name__}; "
        "axes-redis needs django_redis.cache.RedisCache or "
        "django.core.cache.backends.redis.RedisCache (see check axes_redis.E002)."
    )
