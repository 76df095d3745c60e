"""What a login refused because Redis failed gets: its own answer, never a lockout.

With ``AXES_REDIS_FAIL_OPEN = False`` (the default) the handler refuses a login
while Redis fails. That is not a lockout: no account is locked, nothing was
counted, and the user should simply try again. So the handler marks the request
(:func:`refuse`) instead of flagging it locked out, and ``AxesRedisMiddleware``
answers it with :func:`response`: by default a 503 with ``Retry-After``
(:func:`default_response`), or whatever ``AXES_REDIS_OUTAGE_RESPONSE_CALLABLE``
returns. Such a login never shows django-axes' lockout page and never sends
``user_locked_out``.

Without the middleware nothing could turn the mark into a response, so the login
is then refused the old way, with django-axes' lockout response (check
``axes_redis.W003``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.module_loading import import_string

from axes_redis.conf import MIDDLEWARE_PATH, axes_redis_settings
from axes_redis.guard import django_request
from axes_redis.responses import temporary_refusal

RETRY_AFTER_SECONDS = 5
"""``Retry-After`` of the default outage response: long enough for a failover or a
restart of Redis, short enough that a user retrying by hand is not kept waiting."""

_ATTR = "axes_redis_outage"


@dataclass
class RequestOutage:
    """On a request that Redis failed while failing closed."""

    unreported: int = 0
    """Lockout checks refused for the outage whose ``user_login_failed`` has not
    arrived yet: those failures were never evaluated and are not counted."""


def _state(request: HttpRequest) -> RequestOutage | None:
    return django_request(request).__dict__.get(_ATTR)


def answered_by_middleware() -> bool:
    """Whether ``AxesRedisMiddleware`` is there to give the outage response."""
    return MIDDLEWARE_PATH in settings.MIDDLEWARE


def refuse(request: HttpRequest, *, check: bool = False) -> None:
    """Mark ``request`` as refused because Redis failed; ``check``: by the lockout
    check, so its coming ``user_login_failed`` is not a failure."""
    state = django_request(request).__dict__.setdefault(_ATTR, RequestOutage())
    if check:
        state.unreported += 1
    _flag_lockout(request)


def take_refused_check(request: HttpRequest) -> bool:
    """``user_login_failed`` of a check refused for the outage: consume it and say so.

    django-axes' backend has flagged the request locked out meanwhile (unless
    ``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``); the flag is set back to
    what :func:`refuse` decided, so the lockout page is not shown.
    """
    state = _state(request)
    if state is None or state.unreported <= 0:
        return False
    state.unreported -= 1
    _flag_lockout(request)
    return True


def _flag_lockout(request: HttpRequest) -> None:
    """django-axes' lockout response only as the fallback, without our middleware."""
    request.axes_locked_out = not answered_by_middleware()  # type: ignore[attr-defined]


def met(request: HttpRequest) -> bool:
    """Whether a login of this request was refused because Redis failed."""
    return _state(request) is not None


def default_response(request: HttpRequest) -> HttpResponse:
    """503 Service Unavailable with ``Retry-After``: try again, nothing is locked."""
    return temporary_refusal(
        "Sign-in is temporarily unavailable: the service that protects it is not "
        "responding. Nothing is wrong with your account; please try again in a few seconds.",
        status=503,
        retry_after=RETRY_AFTER_SECONDS,
    )


def response(request: HttpRequest) -> HttpResponseBase:
    """The outage response: ``AXES_REDIS_OUTAGE_RESPONSE_CALLABLE``'s, else the default."""
    configured: Any = axes_redis_settings.outage_response_callable
    if configured is None:
        return default_response(request)
    make = import_string(configured) if isinstance(configured, str) else configured
    found: HttpResponseBase = make(request)
    return found


def respond(request: HttpRequest, given: HttpResponseBase) -> HttpResponseBase:
    """For the middleware: the outage response if ``request`` met one, else ``given``."""
    if met(request) and getattr(settings, "AXES_ENABLED", True):
        return response(request)
    return given
