"""AxesRedisMiddleware: settle the parallel guard's guesses the moment the view returns.

A guess that did not fail is over when the view returns (an API flow that calls
``authenticate()`` without ``login()``, a batch, a login on another thread): its
slot is freed before the response is sent, so the client's next request, and
everybody else behind the same IP, find it free. Streaming bodies do not hold it.
A view that raised (or answered 5xx) leaves its guesses to run out their hold: their outcome is
unknown, and an attacker must not get a free guess by making requests crash.

It also gives lockout responses the exact ``Retry-After`` (``axes_redis.lockout``):
place it before ``axes.middleware.AxesMiddleware``, so that it sees the lockout
responses AxesMiddleware makes (check ``axes_redis.E009``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from axes.conf import settings
from axes.handlers.proxy import AxesProxyHandler
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from axes_redis import guard, lockout, outage
from axes_redis.responses import temporary_refusal

BUSY_RETRY_AFTER_SECONDS = 1


def busy_response(request: HttpRequest) -> HttpResponse:
    """What a login refused only because of guesses in flight gets: not a lockout.

    429 with ``Retry-After``, so API clients retry; nothing was counted.
    """
    return temporary_refusal(
        "Too many sign-ins for this account are being checked right now. "
        "Please try again in a moment.",
        status=429,
        retry_after=BUSY_RETRY_AFTER_SECONDS,
    )


def _settle(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    response = lockout.add_retry_after(request, response)
    guesses = guard.RequestState.find(request)
    if guesses is None:
        return response
    if response.status_code >= 500:
        guesses.crashed = True
    handler = AxesProxyHandler.get_implementation()
    settle = getattr(handler, "settle_request", None)
    if settle is not None:
        settle(request)
    if guesses.busy and settings.AXES_ENABLED:
        return busy_response(request)
    return response


def _answer(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """Settle the guard, then the outage response if Redis failed a login (``outage``)."""
    return outage.respond(request, _settle(request, response))


NOT_INSTALLED = (
    "axes_redis.middleware.AxesRedisMiddleware is in MIDDLEWARE but 'axes_redis' is not in "
    "INSTALLED_APPS, so none of its system checks ran. Add 'axes_redis' to INSTALLED_APPS, "
    "after 'axes'."
)


class AxesRedisMiddleware:
    async_capable = True
    sync_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        # Made once, when the server starts: the earliest moment this mistake can be
        # caught, since without the app no check of ours is registered.
        if not apps.is_installed("axes_redis"):
            raise ImproperlyConfigured(NOT_INSTALLED)
        self.get_response = get_response
        if iscoroutinefunction(self.get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if iscoroutinefunction(self):
            return self.__acall__(request)
        return _answer(request, self.get_response(request))

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        get_response: Callable[[HttpRequest], Awaitable[HttpResponseBase]] = self.get_response
        response = await get_response(request)
        state = guard.RequestState.find(request)
        if (state is None or state.idle) and not outage.met(request):
            return lockout.add_retry_after(request, response)
        return await sync_to_async(_answer)(request, response)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        """The view raised: its guesses' outcome is unknown, so they keep their slots."""
        guesses = guard.RequestState.find(request)
        if guesses is not None:
            guesses.crashed = True
