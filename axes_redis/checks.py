"""System checks: every misconfiguration gets an id and a hint.

Registered in ``AppConfig.ready()``. The cache checks run only while
``AXES_HANDLER`` points at our handler; W001 catches the opposite mistake.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.utils.module_loading import import_string
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from axes_redis import scripts
from axes_redis.conf import HANDLER_PATH, MIDDLEWARE_PATH, axes_redis_settings
from axes_redis.connection import get_client

_DJANGO_REDIS = "django.core.cache.backends.redis.RedisCache"
_DJANGO_REDIS_PKG = "django_redis.cache.RedisCache"
_PREFIX_RE = re.compile(r"[A-Za-z0-9_.:-]+")

E001 = "axes_redis.E001"
E002 = "axes_redis.E002"
E003 = "axes_redis.E003"
E004 = "axes_redis.E004"
E005 = "axes_redis.E005"
E006 = "axes_redis.E006"
E007 = "axes_redis.E007"
E008 = "axes_redis.E008"
E009 = "axes_redis.E009"
W001 = "axes_redis.W001"
W002 = "axes_redis.W002"

MAX_TIMEOUT_SECONDS = 1.0
"""Longest socket timeout W002 accepts: a login must not wait on Redis for longer."""
MIN_REDIS_VERSION = (5, 0)


def _is_redis_backend(path: str) -> bool:
    """True for either supported backend or a subclass of one."""
    if path in (_DJANGO_REDIS, _DJANGO_REDIS_PKG):
        return True
    try:
        backend = import_string(path)
    except ImportError:
        return False
    names = {f"{klass.__module__}.{klass.__name__}" for klass in backend.__mro__}
    return bool(names & {_DJANGO_REDIS, _DJANGO_REDIS_PKG})


def check_handler(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    if axes_redis_settings.handler == HANDLER_PATH:
        return []
    return [
        Warning(
            f"'axes_redis' is installed but AXES_HANDLER is {axes_redis_settings.handler!r}, "
            "so failed logins are not recorded in Redis.",
            hint=f"Set AXES_HANDLER = {HANDLER_PATH!r}.",
            id=W001,
        )
    ]


def check_configuration(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    if axes_redis_settings.handler != HANDLER_PATH:
        return []
    errors: list[CheckMessage] = []
    if not apps.is_installed("axes"):
        errors.append(
            Error(
                "AXES_HANDLER is the axes-redis handler but 'axes' is not in INSTALLED_APPS, "
                "so no login signal ever reaches it.",
                hint="Add 'axes' to INSTALLED_APPS (before 'axes_redis').",
                id=E004,
            )
        )

    if axes_redis_settings.parallel_guard and MIDDLEWARE_PATH not in settings.MIDDLEWARE:
        errors.append(
            Error(
                "The parallel guard (AXES_REDIS_PARALLEL_GUARD, on by default) needs "
                f"{MIDDLEWARE_PATH!r} in MIDDLEWARE: without it a login that succeeds "
                "without login() (an API token, HTTP Basic auth) holds one of the client's "
                "AXES_FAILURE_LIMIT slots until AXES_REDIS_GUARD_HOLD runs out.",
                hint=(
                    f"Add {MIDDLEWARE_PATH!r} to MIDDLEWARE after "
                    "'axes.middleware.AxesMiddleware', or set AXES_REDIS_PARALLEL_GUARD = False."
                ),
                id=E009,
            )
        )

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
                    f"Add CACHES[{alias!r}] with BACKEND {_DJANGO_REDIS_PKG!r} or "
                    f"{_DJANGO_REDIS!r}, or point AXES_CACHE at an existing Redis cache."
                ),
                id=E001,
            )
        )
    elif not _is_redis_backend(str(cache.get("BACKEND", ""))):
        errors.append(
            Error(
                f"CACHES[{alias!r}] uses {cache.get('BACKEND')!r}; axes-redis needs Redis "
                "(scripts, TTLs and SCAN are what make its counting atomic).",
                hint=f"Use {_DJANGO_REDIS_PKG!r} or {_DJANGO_REDIS!r} for the AXES_CACHE alias.",
                id=E002,
            )
        )

    return errors or _check_timeouts(alias)


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

    Reads the pool's effective connection settings; building the client does no I/O.
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


def check_server(app_configs: Sequence[AppConfig] | None, **kwargs: Any) -> list[CheckMessage]:
    """Deploy check (``check --deploy``): the Redis is there and runs our scripts.

    The only check that does I/O, hence deploy-tagged: one PING, one INFO and one
    read-only script call on a key that cannot exist.
    """
    if axes_redis_settings.handler != HANDLER_PATH:
        return []
    if any(message.is_serious() for message in check_configuration(app_configs)):
        return []
    alias = axes_redis_settings.client_factory or f"CACHES[{axes_redis_settings.cache_alias!r}]"
    client = get_client()
    try:
        client.ping()
        version = str(client.info("server").get("redis_version", "0"))
        scripts.run(client, scripts.GET_FAILURES, [f"{axes_redis_settings.key_prefix}:probe"], [])
    except (RedisConnectionError, RedisTimeoutError) as exc:
        return [
            Error(
                f"The Redis behind {alias} is unreachable: {exc}",
                hint="Check LOCATION, network and credentials; see AXES_REDIS_FAIL_OPEN for "
                "what logins do meanwhile.",
                id=E005,
            )
        ]
    except ResponseError as exc:
        return [
            Error(
                f"The Redis behind {alias} refuses our Lua scripts: {exc}",
                hint="Under ACLs allow EVALSHA, EVAL, SCRIPT LOAD and the hash, TTL, SCAN and "
                "UNLINK commands on the key prefix, e.g. '+@scripting +@hash +@keyspace ~axes:*'.",
                id=E006,
            )
        ]
    found = tuple(int(part) for part in version.split(".")[:2] if part.isdigit())
    if found < MIN_REDIS_VERSION:
        return [
            Error(
                f"Redis {version} is too old for axes-redis.",
                hint=f"Use Redis {'.'.join(map(str, MIN_REDIS_VERSION))} or newer.",
                id=E007,
            )
        ]
    return []
