"""Authentication backends of the project: ``ModelBackend`` that counts what it evaluates,
and a backend that crashes after the password check.
"""

from __future__ import annotations

import time
from functools import cache
from typing import Any

import redis
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from tests.server_project import EVALUATED_AT_KEY, EVALUATIONS_KEY

CRASH_FLAG = "server_project_crash_after_password_check"
"""Set on a request (by the ``/crash/`` view) to make :class:`CrashingBackend` raise."""


@cache
def _redis() -> redis.Redis:
    """The project's own client for the counter (made on first use, not at import)."""
    return redis.Redis.from_url(settings.CACHES["axes"]["LOCATION"])


def count_evaluation() -> None:
    """One password evaluation is about to start: count it and note when."""
    with _redis().pipeline(transaction=False) as pipe:
        pipe.incr(EVALUATIONS_KEY)
        pipe.rpush(EVALUATED_AT_KEY, repr(time.time()))
        pipe.execute()


class CountingModelBackend(ModelBackend):
    """``ModelBackend`` that counts every password it is asked to evaluate, first.

    Counted before delegating, so a guess counts even when the request crashes
    afterwards; a call without a password (nothing to evaluate) is not counted.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if password is not None:
            count_evaluation()
        return super().authenticate(request, username, password, **kwargs)

    async def aauthenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if password is not None:
            await sync_to_async(count_evaluation, thread_sensitive=False)()
        return await super().aauthenticate(request, username, password, **kwargs)


class CrashingBackend(ModelBackend):
    """Last in ``AUTHENTICATION_BACKENDS``: raises when the request asks for it.

    Django's ``authenticate()`` reaches it only after ``CountingModelBackend`` found the
    password wrong, and lets any exception but ``PermissionDenied`` propagate, so
    ``user_login_failed`` is never sent: the password was evaluated, and no handler hears
    of it. That is what an attacker gets from any input that makes a later backend (a
    directory service, an SSO bridge) raise.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if request is not None and getattr(request, CRASH_FLAG, False):
            raise RuntimeError("a later authentication backend failed after the password check")
        return None

    async def aauthenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        return self.authenticate(request, username, password, **kwargs)
