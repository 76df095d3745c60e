"""Dotted-path targets for the AXES_* settings that accept "a callable or its import path".

django-axes resolves these strings with ``import_string`` on every request, so the
contract tests can point a setting at ``"tests.callables.<name>"``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse

TRUSTED_USERNAME = "trusted"


def failure_limit_two(request: HttpRequest, credentials: dict[str, Any] | None) -> int:
    """``AXES_FAILURE_LIMIT``: two failures lock out."""
    return 2


def cooloff_seven_minutes(request: HttpRequest | None) -> timedelta:
    """``AXES_COOLOFF_TIME``: a seven minute cool-off."""
    return timedelta(minutes=7)


def username_only(request: Any, credentials: dict[str, Any] | None) -> list[str | list[str]]:
    """``AXES_LOCKOUT_PARAMETERS``: lock out by username alone."""
    return ["username"]


def whitelist_trusted(request: HttpRequest, credentials: dict[str, Any] | None) -> bool:
    """``AXES_WHITELIST_CALLABLE``: the user named ``trusted`` is never locked out."""
    return bool(credentials) and (credentials or {}).get("username") == TRUSTED_USERNAME


def lockout_response(request: HttpRequest, *args: Any) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: a response of the project's own making.

    django-axes 8.0 calls it as ``(request, credentials)``, 8.1 and later as
    ``(request, original_response, credentials)``: the credentials come last in both.
    """
    credentials: dict[str, Any] | None = args[-1] if args else None
    username = (credentials or {}).get("username", "")
    return HttpResponse(f"custom lockout for {username}", status=418)
