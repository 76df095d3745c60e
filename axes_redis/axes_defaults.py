"""django-axes' helpers, answered from settings read once, for the settings they read.

Every failed login asks django-axes for the username, the lockout parameters,
the failure limit, the cool-off and the client string, and each answer reads
several settings through Django's ``LazySettings`` and builds the same values
again. Where a setting is a plain value (no ``AXES_USERNAME_CALLABLE``, an int
``AXES_FAILURE_LIMIT``, a list ``AXES_LOCKOUT_PARAMETERS``...), the answer
depends on the setting alone, so :class:`Plan` reads it once and the functions
below answer from it. Anything else (a callable or its dotted path, a value the
helper would refuse, django-axes' debug logging switched on) goes to
django-axes' own helper, which stays the reference: ``tests/test_axes_defaults.py``
holds every shortcut to it. The plan is forgotten when ``setting_changed``
names an ``AXES_`` setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from logging import DEBUG, getLogger
from typing import Any

from axes import helpers
from axes.conf import settings
from django.core.signals import setting_changed
from django.http import HttpRequest

_axes_log = getLogger(helpers.__name__)

_CLIENT_STR_FIELDS = ("username", "ip_address", "user_agent")
_CLEANSED = "********************"
"""What django-axes' ``cleanse_parameters`` writes over a sensitive value."""

_ASK_AXES = object()
"""A plan entry whose setting is not a plain value: django-axes' helper answers."""


def _cool_off() -> Any:
    value = settings.AXES_COOLOFF_TIME
    if isinstance(value, str) or callable(value):
        return _ASK_AXES
    return helpers.get_cool_off(None)


def _failure_limit() -> Any:
    value = settings.AXES_FAILURE_LIMIT
    if callable(value) or not isinstance(value, int):
        return _ASK_AXES
    return value


def _lockout_parameters() -> Any:
    value = settings.AXES_LOCKOUT_PARAMETERS
    if callable(value) or not isinstance(value, list):
        return _ASK_AXES
    return value


def _cleansed() -> Any:
    """The client-string fields django-axes masks, or ``_ASK_AXES`` when it does not
    build the string from them itself (a callable, or not ``AXES_VERBOSE``)."""
    if settings.AXES_CLIENT_STR_CALLABLE or not settings.AXES_VERBOSE:
        return _ASK_AXES
    extra = settings.AXES_SENSITIVE_PARAMETERS
    if not isinstance(extra, list):
        return _ASK_AXES
    sensitive = {"password", *extra}
    if settings.AXES_PASSWORD_FORM_FIELD:
        sensitive.add(settings.AXES_PASSWORD_FORM_FIELD)
    return frozenset(field for field in _CLIENT_STR_FIELDS if field in sensitive)


@dataclass(frozen=True)
class Plan:
    """django-axes' settings as the helpers would use them, or ``_ASK_AXES``."""

    username_field: Any
    failure_limit: Any
    cool_off: Any
    lockout_parameters: Any
    lockout_shape: tuple[Any, ...] | None
    """The lockout parameters as a hashable value (a memo key), when they are a list."""
    cleansed: Any
    no_exemptions: bool
    """No IP list, no ``AXES_NEVER_LOCKOUT_GET``, no ``AXES_WHITELIST_CALLABLE``:
    django-axes' blacklist and whitelist checks can only answer ``False``."""

    @classmethod
    def read(cls) -> Plan:
        parameters = _lockout_parameters()
        shape: tuple[Any, ...] | None = None
        if parameters is not _ASK_AXES:
            try:
                shape = tuple(p if isinstance(p, str) else tuple(p) for p in parameters)
                hash(shape)
            except TypeError:
                shape = None
        return cls(
            username_field=(
                _ASK_AXES if settings.AXES_USERNAME_CALLABLE else settings.AXES_USERNAME_FORM_FIELD
            ),
            failure_limit=_failure_limit(),
            cool_off=_cool_off(),
            lockout_parameters=parameters,
            lockout_shape=shape,
            cleansed=_cleansed(),
            no_exemptions=not (
                settings.AXES_IP_BLACKLIST
                or settings.AXES_ONLY_WHITELIST
                or settings.AXES_NEVER_LOCKOUT_WHITELIST
                or settings.AXES_NEVER_LOCKOUT_GET
                or settings.AXES_WHITELIST_CALLABLE is not None
            ),
        )


_plan: Plan | None = None


def plan() -> Plan:
    """The plan for the settings in force, read on first use after a change."""
    global _plan
    found = _plan
    if found is None:
        found = _plan = Plan.read()
    return found


def forget(*, setting: str = "", **kwargs: Any) -> None:
    """``setting_changed`` receiver: the next call reads the settings again."""
    global _plan
    if setting.startswith("AXES_"):
        _plan = None


setting_changed.connect(forget, dispatch_uid="axes_redis.axes_defaults")


def username(request: HttpRequest, credentials: dict[str, Any] | None) -> Any:
    """``axes.helpers.get_client_username``."""
    field = plan().username_field
    if field is _ASK_AXES or _axes_log.isEnabledFor(DEBUG):
        return helpers.get_client_username(request, credentials)
    if credentials:
        return credentials.get(field, None)
    return getattr(request, "data", request.POST).get(field, None)


def failure_limit(request: HttpRequest, credentials: Any) -> Any:
    """``axes.helpers.get_failure_limit``."""
    found = plan().failure_limit
    if found is _ASK_AXES:
        return helpers.get_failure_limit(request, credentials)
    return found


def cool_off(request: HttpRequest | None) -> timedelta | None:
    """``axes.helpers.get_cool_off``."""
    found = plan().cool_off
    if found is _ASK_AXES:
        found = helpers.get_cool_off(request)
    return found  # type: ignore[no-any-return]


def lockout_parameters(request: HttpRequest, credentials: Any) -> Any:
    """``axes.helpers.get_lockout_parameters``."""
    found = plan().lockout_parameters
    if found is _ASK_AXES:
        return helpers.get_lockout_parameters(request, credentials)
    return found


def client_str(
    username: Any, ip_address: Any, user_agent: Any, path_info: Any, request: HttpRequest
) -> Any:
    """``axes.helpers.get_client_str``: the ``{username: "...", ...}`` of log lines."""
    cleansed = plan().cleansed
    if cleansed is _ASK_AXES:
        return helpers.get_client_str(username, ip_address, user_agent, path_info, request)
    values = {"username": username, "ip_address": ip_address, "user_agent": user_agent}
    for field in cleansed:
        values[field] = _CLEANSED
    if path_info and isinstance(path_info, tuple | list):
        path_info = path_info[0]
    values["path_info"] = path_info
    # string.Template, as django-axes uses it, substitutes str(value).
    return "{" + ", ".join(f'{key}: "{value!s}"' for key, value in values.items()) + "}"


def client_parameters(
    username: Any, ip_address: Any, user_agent: Any, request: HttpRequest, credentials: Any
) -> list[dict[str, Any]]:
    """``axes.helpers.get_client_parameters``: one dict per lockout parameter set."""
    parameters = plan().lockout_parameters
    if parameters is not _ASK_AXES:
        values = {"username": username, "ip_address": ip_address, "user_agent": user_agent}
        try:
            return [
                {parameter: values[parameter]}
                if isinstance(parameter, str)
                else {name: values[name] for name in parameter}
                for parameter in parameters
            ]
        except KeyError:
            pass  # django-axes' helper raises its own ValueError, and logs it.
    found: list[dict[str, Any]] = helpers.get_client_parameters(
        username, ip_address, user_agent, request, credentials
    )
    return found
