"""Checks that the apps and the handler are the ones installed (E004, W001, E011).

These run whatever ``AXES_HANDLER`` says: they are what tells a site that it is
not using axes-redis at all, or cannot.
"""

from __future__ import annotations

import difflib
import sys
import types
from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig, apps
from django.core.checks import CheckMessage, Error, Warning
from django.utils.module_loading import import_string

from axes_redis.checks.ids import E004, E011, W001
from axes_redis.conf import HANDLER_PATH, axes_redis_settings

KNOWN_HANDLERS = (
    HANDLER_PATH,
    "axes.handlers.database.AxesDatabaseHandler",
    "axes.handlers.cache.AxesCacheHandler",
    "axes.handlers.dummy.AxesDummyHandler",
)
"""What a mistyped ``AXES_HANDLER`` is compared with, for E011's "did you mean"."""


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
