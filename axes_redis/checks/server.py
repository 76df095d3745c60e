"""Deploy checks (``check --deploy``): the Redis is there, recent, runs our scripts, and
keeps lockouts when full (E005-E007, E010 at connect, W005-W007).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import redis as redis_py
from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from axes_redis import scripts
from axes_redis.checks.configuration import DJANGO_REDIS_PKG, check_configuration
from axes_redis.checks.ids import E005, E006, E007, E010, W005, W006, W007
from axes_redis.conf import HANDLER_PATH, axes_redis_settings
from axes_redis.connection import RedisClient, get_client

TRAIL_ENTRY_WORST_BYTES = 1_400
"""Redis memory of one login-trail entry with every field at its 255-byte cap, as
``MEMORY USAGE`` measures a stream of such entries (``tests/test_trail.py`` holds
the figure to it): every value is capped in bytes, so the trail's worst case is
this times ``AXES_REDIS_TRAIL_MAXLEN``."""

MIN_REDIS_VERSION = (6, 0)
"""Redis 6.0 is the first to answer ``HELLO``, which redis-py 8 sends by default (RESP3);
Redis 5 is end-of-life and runs in none of our test sessions."""


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
        redis = get_client()
        redis.ping()
        version = str(redis.info("server").get("redis_version", "0"))
        scripts.run(redis, scripts.GET_FAILURES, [f"{axes_redis_settings.key_prefix}:probe"], [])
    except TypeError as exc:
        # redis-py refused an option of the pool when it made the first connection.
        return [
            Error(
                f"The Redis client of {alias} cannot connect: redis-py refuses its "
                f"options ({exc}).",
                hint="Use redis-py's argument names in OPTIONS (lowercase on Django's "
                "RedisCache, e.g. 'socket_timeout'), or django-redis' uppercase ones with "
                f"BACKEND {DJANGO_REDIS_PKG!r}.",
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
    return _memory_checks(redis, alias)


def _memory_checks(redis: RedisClient, alias: str) -> list[CheckMessage]:
    """What happens when a spray fills this Redis: it must neither grow without bound
    nor evict lockout counters (an evicted counter is a fresh set of guesses)."""
    memory: Any = redis.info("memory")
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
    return str(getattr(redis_py, "__version__", "?"))
