"""Borrow the redis-py client of the ``AXES_CACHE`` cache instead of opening a second pool."""

from __future__ import annotations

import functools
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from axes_redis.conf import axes_redis_settings


def is_django_redis(cache: object) -> bool:
    """True for django-redis' ``RedisCache`` (and subclasses), without importing it."""
    return any(
        klass.__module__.startswith("django_redis.") and klass.__name__ == "RedisCache"
        for klass in type(cache).__mro__
    )


@functools.cache
def _client_from_factory(path: str) -> Any:
    """One client per process and factory: the factory may build pools and sockets."""
    return import_string(path)()


def get_client(alias: str | None = None) -> Any:
    """The redis-py client: from ``AXES_REDIS_CLIENT`` if set, else the cache's.

    ``AXES_REDIS_CLIENT`` (a dotted path to a no-argument callable) is for what no
    Django cache backend offers, such as a ``RedisCluster`` or a Sentinel
    ``master_for`` client. Otherwise the client behind the cache ``alias`` (default
    ``AXES_CACHE``) is borrowed: django-redis through its own
    ``get_redis_connection``, Django's ``RedisCache`` through its client factory,
    asked for the primary as Django's own ``set`` would be. Either way the pool is
    shared, never duplicated.
    """
    if alias is None and axes_redis_settings.client_factory:
        return _client_from_factory(axes_redis_settings.client_factory)
    alias = alias or axes_redis_settings.cache_alias
    cache = caches[alias]
    if is_django_redis(cache):
        from django_redis import get_redis_connection

        return get_redis_connection(alias, write=True)
    if isinstance(cache, RedisCache):
        return cache._cache.get_client(write=True)
    raise ImproperlyConfigured(
        f"AXES_CACHE={alias!r} is a {type(cache).__module__}.{type(cache).__name__}; "
        "axes-redis needs django_redis.cache.RedisCache or "
        "django.core.cache.backends.redis.RedisCache (see check axes_redis.E002)."
    )
