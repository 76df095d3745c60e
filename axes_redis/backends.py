"""django-axes' authentication backends with an ``aauthenticate`` that checks.

``AxesStandaloneBackend`` has no ``aauthenticate``, so Django's ``aauthenticate()``
fails on it, and ``AxesBackend`` inherits ``ModelBackend``'s, which skips the
lockout check altogether. These run the same check as ``authenticate()`` does, on
a thread (the check talks to Redis synchronously), and tell the parallel guard
that the password evaluation goes on elsewhere.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from axes.backends import AxesStandaloneBackend as _AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from axes_redis import guard


class AxesStandaloneBackend(_AxesStandaloneBackend):  # type: ignore[misc]
    """``axes.backends.AxesStandaloneBackend`` for both ``authenticate()`` and
    ``aauthenticate()``; put it first in ``AUTHENTICATION_BACKENDS``."""

    async def aauthenticate(
        self,
        request: HttpRequest,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        token = guard.in_async_backend.set(True)
        try:
            await sync_to_async(self.authenticate)(request, username, password, **kwargs)
        finally:
            guard.in_async_backend.reset(token)


class AxesBackend(AxesStandaloneBackend, ModelBackend):  # type: ignore[misc]
    """``axes.backends.AxesBackend`` (the check plus ``ModelBackend``'s permission
    methods) whose ``aauthenticate`` checks instead of authenticating."""
