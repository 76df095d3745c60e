"""From a request to what the handler sends to Redis: the client's keys, its failure
limit, and who and where for log lines, the lock record and the login trail.

Everything here goes through django-axes' own helpers (lockout parameters,
username, limit, cool-off, client string), so every setting and callable they
honour is honoured; what is costly and cannot change within a request (the keys)
is resolved once per request, on its :class:`axes_redis.guard.RequestState`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from axes.helpers import (
    get_client_ip_address,
    get_client_path_info,
    get_client_user_agent,
)
from django.http import HttpRequest

from axes_redis import axes_defaults, guard, keys, tiers
from axes_redis.conf import axes_redis_settings


def request_attr(request: HttpRequest, name: str, fallback: Callable[[HttpRequest], Any]) -> Any:
    """``request.axes_*`` as set by AxesProxyHandler, computed when called directly."""
    value = getattr(request, name, None)
    return fallback(request) if value is None else value


def _memo_key(prefix: str, username: Any, ip_address: Any, user_agent: Any) -> Any | None:
    """What the keys depend on when the lockout parameters are a plain list; ``None``
    when they are not (a callable may answer differently for the check's and the
    failure's credentials, so it is asked every time)."""
    shape = axes_defaults.plan().lockout_shape
    if shape is None:
        return None
    memo_key = (prefix, shape, username, ip_address, user_agent)
    try:
        hash(memo_key)
    except TypeError:
        return None
    return memo_key


def _memo(request: HttpRequest, credentials: dict[str, Any] | None) -> dict[Any, Any] | None:
    """Where the request keeps its keys. A check without credentials (a page load)
    is not followed by a failure on its own, so it only uses a memo already there
    rather than give every page load a :class:`~axes_redis.guard.RequestState`."""
    state = (
        guard.RequestState.of(request)
        if credentials is not None
        else guard.RequestState.find(request)
    )
    return None if state is None else state.keys


def client_keys(
    request: HttpRequest, credentials: dict[str, Any] | None, username: Any
) -> list[str]:
    """One key per lockout parameter set, from django-axes' own parameter helpers.

    A failed login asks twice (the check, then the failure): with
    ``AXES_LOCKOUT_PARAMETERS`` a plain list the keys depend only on the
    username, IP and user agent, so the request keeps them for the second ask.
    """
    ip_address = request_attr(request, "axes_ip_address", get_client_ip_address)
    user_agent = request_attr(request, "axes_user_agent", get_client_user_agent)
    prefix = axes_redis_settings.key_prefix
    memo_key = _memo_key(prefix, username, ip_address, user_agent)
    memo = _memo(request, credentials) if memo_key is not None else None
    if memo is not None and memo_key in memo:
        return list(memo[memo_key])
    parameter_sets = axes_defaults.client_parameters(
        username, ip_address, user_agent, request, credentials
    )
    found = list(dict.fromkeys(keys.client_key(prefix, p) for p in parameter_sets))
    if memo is not None:
        memo[memo_key] = tuple(found)
    return found


def no_username_to_track(request: HttpRequest, credentials: Any, username: Any) -> bool:
    """django-axes keeps no record when the username is the only lockout
    parameter and none was given."""
    return username is None and axes_defaults.lockout_parameters(request, credentials) == [
        "username"
    ]


def failure_limit(request: HttpRequest, credentials: Any) -> int:
    """``AXES_FAILURE_LIMIT``, or the first tier's threshold with ``AXES_LOCKOUT_TIERS``
    (what django-axes' next release answers; 8.3.1 knows no tiers)."""
    found = tiers.configured()
    return found[0].failures if found else int(axes_defaults.failure_limit(request, credentials))


def metadata(request: HttpRequest, username: str | None) -> dict[str, Any]:
    """Who and where, as given to the lock record and the trail and shown in log lines."""
    return {
        "username": username,
        "ip_address": request_attr(request, "axes_ip_address", get_client_ip_address),
        "user_agent": request_attr(request, "axes_user_agent", get_client_user_agent),
        "path_info": request_attr(request, "axes_path_info", get_client_path_info),
    }


def client_str(request: HttpRequest, found: dict[str, Any]) -> str:
    """django-axes' log representation (honours AXES_VERBOSE and its callable)."""
    return str(
        axes_defaults.client_str(
            found["username"], found["ip_address"], found["user_agent"], found["path_info"], request
        )
    )
