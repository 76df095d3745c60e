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

from axes_redis.conf import HANDLER_PATH, axes_redis_settings

_DJANGO_REDIS = "django.core.cache.backends.redis.RedisCache"
_DJANGO_REDIS_PKG = "django_redis.cache.RedisCache"
_PREFIX_RE = re.compile(r"[A-Za-z0-9_.:-]+")

E001 = "axes_redis.E001"
E002 = "axes_redis.E002"
E003 = "axes_redis.E003"
E004 = "axes_redis.E004"
W001 = "axes_redis.W001"


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

    alias = axes_redis_settings.cache_alias
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
