"""AxesRedisHandler: django-axes' handler contract on top of one Redis script call.

Request -> lockout parameter sets (django-axes' own helpers) -> keys (``keys``)
-> one ``AttemptStore`` call. Everything policy-shaped that django-axes' base
class already gets right (whitelists, blacklists, ``AXES_ONLY_ADMIN_SITE``,
``AXES_NEVER_LOCKOUT_GET``, the ``is_locked`` comparison) is inherited as is.
"""

from __future__ import annotations

from logging import getLogger
from typing import Any

from axes.conf import settings
from axes.handlers.base import AbstractAxesHandler, AxesBaseHandler
from axes.helpers import (
    get_client_ip_address,
    get_client_parameters,
    get_client_path_info,
    get_client_str,
    get_client_user_agent,
    get_client_username,
    get_cool_off,
    get_credentials,
    get_failure_limit,
    get_lockout_parameters,
)
from axes.signals import user_locked_out
from django.http import HttpRequest

from axes_redis import keys
from axes_redis.conf import axes_redis_settings
from axes_redis.connection import get_client
from axes_redis.store import AttemptStore

log = getLogger(__name__)


def _request_attr(request: HttpRequest, name: str, fallback: Any) -> Any:
    """``request.axes_*`` as set by AxesProxyHandler, computed when called directly."""
    value = getattr(request, name, None)
    return fallback(request) if value is None else value


class AxesRedisHandler(AbstractAxesHandler, AxesBaseHandler):  # type: ignore[misc]
    """Signal handler that records failures in Redis, one atomic script call each."""

    def store(self) -> AttemptStore:
        """The store on the current ``AXES_CACHE`` client.

        Built per call (cheap: no I/O) so that ``override_settings`` of the cache or
        prefix, and django-redis' per-process clients, are always honoured.
        """
        return AttemptStore(get_client(), axes_redis_settings.key_prefix)

    def client_keys(self, request: HttpRequest, credentials: dict[str, Any] | None) -> list[str]:
        """One key per lockout parameter set, from django-axes' own parameter helpers."""
        username = get_client_username(request, credentials)
        ip_address = _request_attr(request, "axes_ip_address", get_client_ip_address)
        user_agent = _request_attr(request, "axes_user_agent", get_client_user_agent)
        parameter_sets = get_client_parameters(
            username, ip_address, user_agent, request, credentials
        )
        prefix = axes_redis_settings.key_prefix
        return list(dict.fromkeys(keys.client_key(prefix, p) for p in parameter_sets))

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        return self.store().failures(self.client_keys(request, credentials))

    def user_login_failed(
        self,
        sender: Any,
        credentials: dict[str, Any],
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        """Record the failure and lock out at the limit.

        Same order, logs and ``user_locked_out`` signal as django-axes'
        ``AxesCacheHandler``, but the counting and the decision are one script call.
        """
        if request is None:
            log.error(
                "AXES: AxesRedisHandler.user_login_failed does not function without a request."
            )
            return

        username = get_client_username(request, credentials)
        if get_lockout_parameters(request, credentials) == ["username"] and username is None:
            log.warning(
                "AXES: Username is None and username is the only one lockout parameter, "
                "new record will NOT be created."
            )
            return

        ip_address = _request_attr(request, "axes_ip_address", get_client_ip_address)
        user_agent = _request_attr(request, "axes_user_agent", get_client_user_agent)
        path_info = _request_attr(request, "axes_path_info", get_client_path_info)

        # A failure that axes itself refused must not slide the cool-off, unless asked to.
        if not settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT and getattr(
            request, "axes_locked_out", False
        ):
            request.axes_credentials = credentials  # type: ignore[attr-defined]
            user_locked_out.send("axes", request=request, username=username, ip_address=ip_address)
            return

        client_str = get_client_str(username, ip_address, user_agent, path_info, request)
        if self.is_whitelisted(request, credentials):
            log.info("AXES: Login failed from whitelisted client %s.", client_str)
            return

        limit = get_failure_limit(request, credentials)
        result = self.store().record_failure(
            self.client_keys(request, credentials),
            cooloff=get_cool_off(request),
            limit=limit,
            lock_out=settings.AXES_LOCK_OUT_AT_FAILURE,
            metadata={
                "username": username,
                "ip_address": ip_address,
                "user_agent": user_agent,
                "path_info": path_info,
            },
        )
        request.axes_failures_since_start = result.failures  # type: ignore[attr-defined]

        if result.failures > 1:
            log.warning(
                "AXES: Repeated login failure by %s. Count = %d of %d. "
                "Updating existing record in Redis.",
                client_str,
                result.failures,
                limit,
            )
        else:
            log.warning("AXES: New login failure by %s. Creating new record in Redis.", client_str)

        if result.locked:
            log.warning("AXES: Locking out %s after repeated login failures.", client_str)
            request.axes_locked_out = True  # type: ignore[attr-defined]
            request.axes_credentials = credentials  # type: ignore[attr-defined]
            user_locked_out.send("axes", request=request, username=username, ip_address=ip_address)

    def user_logged_in(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        """Log the login; with ``AXES_RESET_ON_SUCCESS`` forget the client (one UNLINK)."""
        username = user.get_username()
        credentials = get_credentials(username)
        client_str = get_client_str(
            username,
            _request_attr(request, "axes_ip_address", get_client_ip_address),
            _request_attr(request, "axes_user_agent", get_client_user_agent),
            _request_attr(request, "axes_path_info", get_client_path_info),
            request,
        )
        log.info("AXES: Successful login by %s.", client_str)

        if settings.AXES_RESET_ON_SUCCESS:
            removed = self.store().delete(self.client_keys(request, credentials))
            log.info("AXES: Deleted %d failure records of %s from Redis.", removed, client_str)

    def user_logged_out(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        username = user.get_username() if user else None
        client_str = get_client_str(
            username,
            _request_attr(request, "axes_ip_address", get_client_ip_address),
            _request_attr(request, "axes_user_agent", get_client_user_agent),
            _request_attr(request, "axes_path_info", get_client_path_info),
            request,
        )
        log.info("AXES: Successful logout by %s.", client_str)

    def reset_attempts(
        self,
        *,
        ip_address: str | None = None,
        username: str | None = None,
        ip_or_username: bool = False,
    ) -> int:
        """Reset by IP, username, both, either, or (both ``None``) everything.

        Unlike ``AxesCacheHandler`` every form works, including "everything" and
        ``ip_or_username``, and a username reset also clears its combinations.
        """
        store = self.store()
        if ip_address is None and username is None:
            count = store.reset_all()
        else:
            count = store.reset(
                ip_address=ip_address, username=username, ip_or_username=ip_or_username
            )
        log.info("AXES: Reset %d access attempts from Redis.", count)
        return count
