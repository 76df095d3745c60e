"""Checks of the settings, without I/O: middleware, cache, client factory, key prefix.

They run only while ``AXES_HANDLER`` points at our handler (E001-E003, E008-E010,
E012, W002, W003).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.utils.module_loading import import_string

from axes_redis.checks.ids import E001, E002, E003, E008, E009, E010, E012, W002, W003
from axes_redis.conf import HANDLER_PATH, MIDDLEWARE_PATH, axes_redis_settings
from axes_redis.connection import get_client, uppercase_options

DJANGO_REDIS = "django.core.cache.backends.redis.RedisCache"
DJANGO_REDIS_PKG = "django_redis.cache.RedisCache"
_PREFIX_RE = re.compile(r"[A-Za-z0-9_.:-]+")

MAX_TIMEOUT_SECONDS = 1.0
"""Longest socket timeout W002 accepts: a login must not wait on Redis for longer."""


def _is_redis_backend(path: str) -> bool:
    """True for either supported backend or a subclass of one."""
    if path in (DJANGO_REDIS, DJANGO_REDIS_PKG):
        return True
    try:
        backend = import_string(path)
    except ImportError:
        return False
    names = {f"{klass.__module__}.{klass.__name__}" for klass in backend.__mro__}
    return bool(names & {DJANGO_REDIS, DJANGO_REDIS_PKG})


def check_configuration(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    if axes_redis_settings.handler != HANDLER_PATH:
        return []
    errors: list[CheckMessage] = []
    middleware = MIDDLEWARE_PATH in settings.MIDDLEWARE
    if axes_redis_settings.parallel_guard and not middleware:
        errors.append(
            Error(
                "The parallel guard (AXES_REDIS_PARALLEL_GUARD, on by default) needs "
                f"{MIDDLEWARE_PATH!r} in MIDDLEWARE: without it a login that succeeds "
                "without login() (an API token, HTTP Basic auth) holds one of the client's "
                "AXES_FAILURE_LIMIT slots until AXES_REDIS_GUARD_HOLD runs out.",
                hint=(
                    f"Add {MIDDLEWARE_PATH!r} to MIDDLEWARE, before "
                    "'axes.middleware.AxesMiddleware', or set AXES_REDIS_PARALLEL_GUARD = False."
                ),
                id=E009,
            )
        )
    elif not axes_redis_settings.fail_open and not middleware:
        errors.append(
            Warning(
                f"Without {MIDDLEWARE_PATH!r} in MIDDLEWARE a login refused because Redis "
                "failed (AXES_REDIS_FAIL_OPEN = False) gets django-axes' lockout page, "
                "which tells the user their account is locked.",
                hint=(
                    f"Add {MIDDLEWARE_PATH!r} to MIDDLEWARE, before "
                    "'axes.middleware.AxesMiddleware': it answers such logins with a 503 and "
                    "Retry-After (AXES_REDIS_OUTAGE_RESPONSE_CALLABLE overrides it)."
                ),
                id=W003,
            )
        )
    errors.extend(_check_outage_response())

    factory = axes_redis_settings.client_factory
    errors.extend(_check_factory(factory) if factory else _check_cache())

    prefix = getattr(settings, "AXES_REDIS_KEY_PREFIX", "axes")
    if not isinstance(prefix, str) or not _PREFIX_RE.fullmatch(prefix):
        errors.append(
            Error(
                f"AXES_REDIS_KEY_PREFIX={prefix!r} is not a usable key prefix.",
                hint=(
                    "Use a non-empty string of letters, digits, '_', '.', ':' or '-' "
                    "(braces would break the Cluster hash tag, spaces the redis-cli examples)."
                ),
                id=E003,
            )
        )
    return errors


def _check_cache() -> list[CheckMessage]:
    alias = axes_redis_settings.cache_alias
    errors: list[CheckMessage] = []
    cache = getattr(settings, "CACHES", {}).get(alias)
    if cache is None:
        errors.append(
            Error(
                f"AXES_CACHE is {alias!r} but CACHES has no such alias.",
                hint=(
                    f"Add CACHES[{alias!r}] with BACKEND {DJANGO_REDIS_PKG!r} or "
                    f"{DJANGO_REDIS!r}, or point AXES_CACHE at an existing Redis cache."
                ),
                id=E001,
            )
        )
    elif not _is_redis_backend(str(cache.get("BACKEND", ""))):
        errors.append(
            Error(
                f"CACHES[{alias!r}] uses {cache.get('BACKEND')!r}; axes-redis needs Redis "
                "(scripts, TTLs and SCAN are what make its counting atomic).",
                hint=f"Use {DJANGO_REDIS_PKG!r} or {DJANGO_REDIS!r} for the AXES_CACHE alias.",
                id=E002,
            )
        )
    elif not _is_django_redis_package(str(cache.get("BACKEND", ""))):
        errors.extend(_check_uppercase_options(alias))

    return errors or _check_timeouts(alias)


def _is_django_redis_package(path: str) -> bool:
    """True for django-redis' backend (or a subclass): it takes uppercase OPTIONS."""
    if path == DJANGO_REDIS_PKG:
        return True
    try:
        backend = import_string(path)
    except ImportError:
        return False
    return any(
        f"{klass.__module__}.{klass.__name__}" == DJANGO_REDIS_PKG for klass in backend.__mro__
    )


def _check_uppercase_options(alias: str) -> list[CheckMessage]:
    """E010: django-redis' option names on Django's own RedisCache."""
    refused = uppercase_options(alias)
    if not refused:
        return []
    options: Any = settings.CACHES[alias]["OPTIONS"]
    spelled = {lower: options[name] for name, lower in refused.items() if lower}
    dropped = [name for name, lower in refused.items() if not lower]
    hint = f"Spell them as redis-py does: OPTIONS {spelled!r}" if spelled else "Remove them"
    if dropped:
        hint += f" ({', '.join(dropped)}: django-redis only, no counterpart here)"
    return [
        Error(
            f"CACHES[{alias!r}] is Django's RedisCache with django-redis' uppercase OPTIONS "
            f"{', '.join(refused)}. Django hands OPTIONS to redis-py as they are and redis-py "
            "refuses these names: no connection can be made, so every login would be handled "
            "as a Redis outage.",
            hint=(
                f"{hint}; or keep the uppercase names with BACKEND {DJANGO_REDIS_PKG!r} "
                "(pip install django-redis)."
            ),
            id=E010,
        )
    ]


def _check_outage_response() -> list[CheckMessage]:
    """E012: ``AXES_REDIS_OUTAGE_RESPONSE_CALLABLE`` must resolve to a callable."""
    configured = axes_redis_settings.outage_response_callable
    if configured is None or callable(configured):
        return []
    try:
        found = import_string(str(configured))
    except ImportError as exc:
        problem = str(exc)
    else:
        if callable(found):
            return []
        problem = "it is not callable"
    return [
        Error(
            f"AXES_REDIS_OUTAGE_RESPONSE_CALLABLE = {configured!r} cannot be used: {problem}.",
            hint="Point it at a callable taking the request and returning a response "
            "(axes_redis.outage.default_response is the default), or remove the setting.",
            id=E012,
        )
    ]


def _check_factory(path: str) -> list[CheckMessage]:
    try:
        factory = import_string(path)
    except ImportError as exc:
        factory, problem = None, str(exc)
    else:
        problem = "" if callable(factory) else "it is not callable"
    if factory is not None and not problem:
        return []
    return [
        Error(
            f"AXES_REDIS_CLIENT={path!r} cannot be used: {problem}.",
            hint="Point it at a no-argument callable returning a redis-py client "
            "(Redis, RedisCluster, or a Sentinel master_for client).",
            id=E008,
        )
    ]


def _check_timeouts(alias: str) -> list[CheckMessage]:
    """W002 when the borrowed pool could make a login wait on Redis for seconds.

    Reads the pool's effective connection settings; building the redis-py object does no I/O.
    """
    pool = getattr(get_client(alias), "connection_pool", None)
    if pool is None:
        return []
    options = pool.connection_kwargs
    slow = {
        name: options.get(name)
        for name in ("socket_connect_timeout", "socket_timeout")
        if options.get(name) is None or options[name] > MAX_TIMEOUT_SECONDS
    }
    if not slow:
        return []
    return [
        Warning(
            f"CACHES[{alias!r}] has {slow}: while Redis hangs, every login waits that long "
            "(redis-py's default is 5 s, with retries).",
            hint=(
                "Bound them, e.g. OPTIONS {'SOCKET_CONNECT_TIMEOUT': 0.25, 'SOCKET_TIMEOUT': 0.25} "
                "for django-redis or {'socket_connect_timeout': 0.25, 'socket_timeout': 0.25} "
                "for Django's RedisCache. AXES_REDIS_FAIL_OPEN decides what a timeout means."
            ),
            id=W002,
        )
    ]
