"""System checks: every misconfiguration gets an id and a hint.

Registered in ``AppConfig.ready()``. The cache checks run only while
``AXES_HANDLER`` points at our handler; W001 catches the opposite mistake, and
E011 an ``AXES_HANDLER`` that cannot be imported at all.

What no check here can catch: ``'axes_redis'`` missing from ``INSTALLED_APPS``.
Django runs the checks registered before ``check`` starts, and without the app
nothing of ours is imported by then (``AxesRedisMiddleware`` refuses to start
instead, see :mod:`axes_redis.middleware`).
"""

from __future__ import annotations

import difflib
import re
import sys
import types
from collections.abc import Sequence
from typing import Any

import redis
from django.apps import AppConfig, apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.utils.module_loading import import_string
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from axes_redis import scripts
from axes_redis.conf import HANDLER_PATH, MIDDLEWARE_PATH, axes_redis_settings
from axes_redis.connection import get_client, uppercase_options

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
E010 = "axes_redis.E010"
E011 = "axes_redis.E011"
E012 = "axes_redis.E012"
W001 = "axes_redis.W001"
W002 = "axes_redis.W002"
W003 = "axes_redis.W003"
W005 = "axes_redis.W005"
W006 = "axes_redis.W006"
W007 = "axes_redis.W007"

TRAIL_ENTRY_WORST_BYTES = 1_400
"""Redis memory of one login-trail entry with every field at its 255-byte cap, as
``MEMORY USAGE`` measures a stream of such entries (``tests/test_trail.py`` holds
the figure to it): every value is capped in bytes, so the trail's worst case is
this times ``AXES_REDIS_TRAIL_MAXLEN``."""

MAX_TIMEOUT_SECONDS = 1.0
"""Longest socket timeout W002 accepts: a login must not wait on Redis for longer."""
MIN_REDIS_VERSION = (6, 0)
"""Redis 6.0 is the first to answer ``HELLO``, which redis-py 8 sends by default (RESP3);
Redis 5 is end-of-life and runs in none of our test sessions."""

KNOWN_HANDLERS = (
    HANDLER_PATH,
    "axes.handlers.database.AxesDatabaseHandler",
    "axes.handlers.cache.AxesCacheHandler",
    "axes.handlers.dummy.AxesDummyHandler",
)
"""What a mistyped ``AXES_HANDLER`` is compared with, for E011's "did you mean"."""


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
    if not apps.is_installed("axes"):
        return [
            Error(
                "'axes_redis' is installed but 'axes' (django-axes) is not in INSTALLED_APPS, "
                "so no login signal ever reaches the handler and nothing is counted.",
                hint="Add 'axes' to INSTALLED_APPS (before 'axes_redis').",
                id=E004,
            )
        ]
    handler = axes_redis_settings.handler
    if handler == HANDLER_PATH:
        return []
    if handler:
        try:
            import_string(handler)
        except ImportError as exc:
            return [_unimportable_handler(handler, exc)]
    return [
        Warning(
            f"'axes_redis' is installed but AXES_HANDLER is {handler!r}, "
            "so failed logins are not recorded in Redis.",
            hint=f"Set AXES_HANDLER = {HANDLER_PATH!r}.",
            id=W001,
        )
    ]


def _unimportable_handler(handler: str, exc: ImportError) -> Error:
    """E011: django-axes would import ``AXES_HANDLER`` at the first login and answer a 500."""
    close = difflib.get_close_matches(handler, KNOWN_HANDLERS, n=1, cutoff=0.6)
    if close and close[0] == HANDLER_PATH:
        hint = f"Did you mean AXES_HANDLER = {HANDLER_PATH!r}?"
    elif close:
        hint = f"Did you mean {close[0]!r}? (axes-redis' handler is {HANDLER_PATH!r}.)"
    else:
        hint = f"For axes-redis, set AXES_HANDLER = {HANDLER_PATH!r}."
    return Error(
        f"AXES_HANDLER = {handler!r} cannot be imported ({exc}); django-axes imports it at "
        "the first login, which would fail with a server error.",
        hint=hint,
        id=E011,
    )


class _AxesModelsWithoutAxes(types.ModuleType):
    """Stands in for ``axes.models`` while ``'axes'`` is not installed: importing a
    name from it raises an ``ImportError`` that says so (E004).

    Without it, anything importing django-axes' middleware or handlers (Django's own
    ``auth`` check imports every ``MIDDLEWARE`` entry) dies on a ``RuntimeError``
    about ``AccessFailureLog`` before E004 can be reported. ``axes.models`` can never
    load in that configuration anyway: its models need the app.
    """

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise ImportError(
            f"axes.models.{name} cannot be imported: 'axes' is not in INSTALLED_APPS "
            f"(system check {E004}). Add 'axes' to INSTALLED_APPS, before 'axes_redis'."
        )


def stand_in_for_axes_models() -> None:
    """Called from ``ready()``: make E004 reachable when ``'axes'`` is not installed."""
    if not apps.is_installed("axes"):
        sys.modules.setdefault("axes.models", _AxesModelsWithoutAxes("axes.models"))


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
    elif not _is_django_redis_package(str(cache.get("BACKEND", ""))):
        errors.extend(_check_uppercase_options(alias))

    return errors or _check_timeouts(alias)


def _is_django_redis_package(path: str) -> bool:
    """True for django-redis' backend (or a subclass): it takes uppercase OPTIONS."""
    if path == _DJANGO_REDIS_PKG:
        return True
    try:
        backend = import_string(path)
    except ImportError:
        return False
    return any(
        f"{klass.__module__}.{klass.__name__}" == _DJANGO_REDIS_PKG for klass in backend.__mro__
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
                f"{hint}; or keep the uppercase names with BACKEND {_DJANGO_REDIS_PKG!r} "
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
    floor = ".".join(map(str, MIN_REDIS_VERSION))
    try:
        client = get_client()
        client.ping()
        version = str(client.info("server").get("redis_version", "0"))
        scripts.run(client, scripts.GET_FAILURES, [f"{axes_redis_settings.key_prefix}:probe"], [])
    except TypeError as exc:
        # redis-py refused an option of the pool when it made the first connection.
        return [
            Error(
                f"The Redis client of {alias} cannot connect: redis-py refuses its "
                f"options ({exc}).",
                hint="Use redis-py's argument names in OPTIONS (lowercase on Django's "
                "RedisCache, e.g. 'socket_timeout'), or django-redis' uppercase ones with "
                f"BACKEND {_DJANGO_REDIS_PKG!r}.",
                id=E010,
            )
        ]
    except ResponseError as exc:
        if not _refuses_hello(exc):
            return [_refuses_scripts(alias, exc)]
        # redis-py 8 opens every connection with HELLO 3 (RESP3): Redis < 6 knows no HELLO.
        return [
            Error(
                f"The Redis behind {alias} does not know HELLO, so it is older than Redis 6.0 "
                f"and too old for axes-redis (redis-py {_redis_py_version()} opens connections "
                f"with HELLO 3): {exc}",
                hint=f"Use Redis {floor} or newer.",
                id=E007,
            )
        ]
    except (RedisConnectionError, RedisTimeoutError) as exc:
        return [
            Error(
                f"The Redis behind {alias} is unreachable: {exc}",
                hint="Check LOCATION, network and credentials; see AXES_REDIS_FAIL_OPEN for "
                "what logins do meanwhile.",
                id=E005,
            )
        ]
    found = tuple(int(part) for part in version.split(".")[:2] if part.isdigit())
    if found < MIN_REDIS_VERSION:
        return [
            Error(
                f"Redis {version} is too old for axes-redis.",
                hint=f"Use Redis {floor} or newer.",
                id=E007,
            )
        ]
    return _memory_checks(client, alias)


def _memory_checks(client: Any, alias: str) -> list[CheckMessage]:
    """What happens when a spray fills this Redis: it must neither grow without bound
    nor evict lockout counters (an evicted counter is a fresh set of guesses)."""
    memory = client.info("memory")
    if memory and all(isinstance(value, dict) for value in memory.values()):
        memory = next(iter(memory.values()))  # a cluster: one entry per node, set alike
    maxmemory = int(memory.get("maxmemory", 0) or 0)
    policy = str(memory.get("maxmemory_policy", "noeviction"))
    messages: list[CheckMessage] = []
    unbounded = (
        getattr(settings, "AXES_COOLOFF_TIME", None) is None
        and axes_redis_settings.retention is None
    )
    if maxmemory == 0 and unbounded:
        messages.append(
            Warning(
                f"The Redis behind {alias} has no maxmemory, and with AXES_COOLOFF_TIME and "
                "AXES_REDIS_RETENTION both None every client a spray touches stays for ever.",
                hint="Set AXES_REDIS_RETENTION (seconds counts below the limit are kept; "
                "lockouts still last until reset), or a cool-off, or maxmemory with noeviction.",
                id=W005,
            )
        )
    if policy.startswith(("allkeys-", "volatile-")):
        messages.append(
            Warning(
                f"The Redis behind {alias} evicts keys when full (maxmemory-policy {policy}): "
                "a spray that fills it evicts lockout counters, and every evicted counter "
                "gives its attacker a fresh set of guesses.",
                hint="Use a Redis (or database) of its own for AXES_CACHE with "
                "maxmemory-policy noeviction: a full Redis then refuses new counters and "
                "logins follow AXES_REDIS_FAIL_OPEN, but no lockout is ever lost.",
                id=W006,
            )
        )
    worst = axes_redis_settings.trail_maxlen * TRAIL_ENTRY_WORST_BYTES
    if maxmemory and worst > maxmemory // 2:
        messages.append(
            Warning(
                f"The login trail may take up to {worst // 1_000_000} MB "
                f"(AXES_REDIS_TRAIL_MAXLEN={axes_redis_settings.trail_maxlen} entries of up to "
                f"{TRAIL_ENTRY_WORST_BYTES} B), over half of the {maxmemory // 1_000_000} MB "
                f"maxmemory of the Redis behind {alias}.",
                hint="Lower AXES_REDIS_TRAIL_MAXLEN, or raise maxmemory.",
                id=W007,
            )
        )
    return messages


def _refuses_hello(exc: ResponseError) -> bool:
    """The server answered the connection's ``HELLO`` with "unknown command"."""
    text = str(exc).lower()
    return "unknown command" in text and "hello" in text


def _refuses_scripts(alias: str, exc: ResponseError) -> Error:
    return Error(
        f"The Redis behind {alias} refuses our Lua scripts: {exc}",
        hint="Under ACLs allow EVALSHA, EVAL, SCRIPT LOAD and the hash, TTL, SCAN and "
        "UNLINK commands on the key prefix, e.g. '+@scripting +@hash +@keyspace ~axes:*'.",
        id=E006,
    )


def _redis_py_version() -> str:
    """The installed redis-py's version, for messages."""
    return str(getattr(redis, "__version__", "?"))
