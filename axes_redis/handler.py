"""AxesRedisHandler: django-axes' handler contract on top of one Redis script call.

Request -> lockout parameter sets (django-axes' own helpers) -> keys (``keys``)
-> one ``AttemptStore`` call. Everything policy-shaped that django-axes' base
class already gets right (whitelists, blacklists, ``AXES_ONLY_ADMIN_SITE``,
``AXES_NEVER_LOCKOUT_GET``, the ``is_locked`` comparison) is inherited as is.
"""

from __future__ import annotations

from logging import WARNING, getLogger
from typing import Any

from axes.conf import settings
from axes.handlers.base import AbstractAxesHandler, AxesBaseHandler
from axes.helpers import get_credentials
from axes.signals import user_locked_out
from django.core.signals import setting_changed
from django.http import HttpRequest
from redis.exceptions import RedisError

from axes_redis import axes_defaults, guard, keys, outage, parameters, tiers
from axes_redis.conf import axes_redis_settings
from axes_redis.connection import command_error, get_client
from axes_redis.parameters import failure_limit
from axes_redis.store import AttemptStore, Trail

log = getLogger(__name__)

_store: AttemptStore | None = None
"""The store :meth:`AxesRedisHandler.store` hands out, until a setting it reads changes."""


def _forget_store(*, setting: str = "", **kwargs: Any) -> None:
    global _store
    if setting == "CACHES" or setting.startswith("AXES_"):
        _store = None


setting_changed.connect(_forget_store, dispatch_uid="axes_redis.handler.store")

_ASK = object()
"""``client_keys``' default for ``username``: resolve it from the request and credentials."""


def _keys_of(guesses: list[guard.Guess]) -> list[str]:
    return list(dict.fromkeys(key for guess in guesses for key in guess.keys))


class AxesRedisHandler(AbstractAxesHandler, AxesBaseHandler):  # type: ignore[misc]
    """Signal handler that records failures in Redis, one atomic script call each."""

    def store(self) -> AttemptStore:
        """The store on the configured client (``AXES_REDIS_CLIENT`` or ``AXES_CACHE``).

        Looking the cache up costs a check more than its own key, so the store is
        kept until ``setting_changed`` names ``CACHES`` or an ``AXES_`` setting (the
        cache, the client factory, the prefix). redis-py objects are safe to share
        between threads, and their pools reconnect after a fork.
        """
        global _store
        found = _store
        if found is None:
            found = _store = AttemptStore(get_client(), axes_redis_settings.key_prefix)
        return found

    def trail(self, enabled: bool) -> Trail | None:
        """The login trail when this kind of entry is enabled, else ``None``.

        Failures go there with django-axes' ``AXES_ENABLE_ACCESS_FAILURE_LOG``,
        logins and logouts unless ``AXES_DISABLE_ACCESS_LOG``: the database
        handler's ``AccessFailureLog`` and ``AccessLog``, in one capped stream.
        """
        if not enabled:
            return None
        return Trail(
            keys.trail_key(axes_redis_settings.key_prefix), axes_redis_settings.trail_maxlen
        )

    def client_keys(
        self,
        request: HttpRequest,
        credentials: dict[str, Any] | None,
        username: Any = _ASK,
    ) -> list[str]:
        """One key per lockout parameter set (:func:`axes_redis.parameters.client_keys`).

        A caller that already resolved ``username`` passes it: the helper behind it
        (callables, lazy settings, debug logging) costs more than the key itself.
        """
        if username is _ASK:
            username = axes_defaults.username(request, credentials)
        return parameters.client_keys(request, credentials, username)

    def is_blacklisted(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> bool:
        """django-axes' answer, skipped when no setting could make it ``True``."""
        if axes_defaults.plan().no_exemptions:
            return False
        return bool(super().is_blacklisted(request, credentials))

    def is_whitelisted(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> bool:
        """django-axes' answer, skipped when no setting could make it ``True``."""
        if axes_defaults.plan().no_exemptions:
            return False
        return bool(super().is_whitelisted(request, credentials))

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        return self.store().failures(self.client_keys(request, credentials))

    def outage(self, during: str) -> bool:
        """Log a Redis failure loudly; True when the policy is to fail closed.

        Called from an ``except RedisError`` block, so the traceback is logged too.
        """
        closed = not axes_redis_settings.fail_open
        log.error(
            "AXES: Redis failed during %s; failing %s.",
            during,
            "closed (login refused)" if closed else "open (login allowed, not counted)",
            exc_info=True,
        )
        return closed

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        """The check. If Redis fails, ``AXES_REDIS_FAIL_OPEN`` decides the answer."""
        try:
            return self.check(request, credentials)
        except RedisError:
            closed = self.outage("the lockout check")
            if closed:
                outage.refuse(request, check=True)
            return closed

    def check(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        """True when locked; with the parallel guard, a check that precedes a password
        evaluation (``AxesBackend``: credentials given) also takes a slot for it.

        A check without credentials (``axes_dispatch``, a page load) only reads, so
        it never takes a slot. One script call, more only while waiting for a slot.
        """
        if (
            credentials is None
            or not settings.AXES_LOCK_OUT_AT_FAILURE
            or not axes_redis_settings.parallel_guard
        ):
            return self._read_check(request, credentials)
        username = axes_defaults.username(request, credentials)
        if parameters.no_username_to_track(request, credentials, username):
            return self._read_check(request, credentials)
        return guard.admit(
            request,
            credentials,
            self.client_keys(request, credentials, username),
            store=self.store(),
            limit=failure_limit(request, credentials),
        )

    def _read_check(self, request: HttpRequest, credentials: dict[str, Any] | None) -> bool:
        """django-axes' comparison (failures >= limit) on one read that also brings
        the lockout's TTL, for an exact ``Retry-After``."""
        if not settings.AXES_LOCK_OUT_AT_FAILURE:
            return False
        standing = self.store().standing(self.client_keys(request, credentials))
        if standing.failures < failure_limit(request, credentials):
            return False
        guard.RequestState.of(request).met_lockout(standing.ttl_ms, standing.failures)
        return True

    def settle_request(self, request: HttpRequest) -> None:
        """The view returned: free the slots of the guesses that did not fail.

        Called by ``AxesRedisMiddleware``. A request whose view raised keeps them:
        their outcome is unknown, so they hold until ``AXES_REDIS_GUARD_HOLD``.
        """
        guesses = guard.RequestState.find(request)
        if guesses is None or guesses.crashed:
            return
        taken = guesses.take_all()
        if not taken:
            return
        try:
            self.store().release(_keys_of(taken), [g.name for g in taken])
        except RedisError:
            log.error("AXES: Redis failed freeing the slots of settled guesses.", exc_info=True)

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

        guesses = guard.RequestState.find(request)
        if guesses is not None and guesses.take_busy():
            # Refused only because other guesses were in flight: nothing was evaluated.
            request.axes_locked_out = False  # type: ignore[attr-defined]
            return
        if outage.take_refused_check(request):
            # Refused because Redis failed: nothing was evaluated, so nothing to count or lock.
            return

        username = axes_defaults.username(request, credentials)
        if parameters.no_username_to_track(request, credentials, username):
            log.warning(
                "AXES: Username is None and username is the only one lockout parameter, "
                "new record will NOT be created."
            )
            return

        metadata = parameters.metadata(request, username)
        ip_address = metadata["ip_address"]

        # A failure that axes itself refused must not slide the cool-off, unless asked to.
        if not settings.AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT and getattr(
            request, "axes_locked_out", False
        ):
            request.axes_credentials = credentials  # type: ignore[attr-defined]
            user_locked_out.send("axes", request=request, username=username, ip_address=ip_address)
            return

        # Only for log lines: not built when the logger would drop them.
        client_str = parameters.client_str(request, metadata) if log.isEnabledFor(WARNING) else ""
        if self.is_whitelisted(request, credentials):
            log.info("AXES: Login failed from whitelisted client %s.", client_str)
            return

        limit = failure_limit(request, credentials)
        client_keys = tuple(self.client_keys(request, credentials, username))
        guess = guesses.take_failed(client_keys) if guesses is not None else None
        try:
            result = self.store().record_failure(
                client_keys,
                cooloff=axes_defaults.cool_off(request),
                limit=limit,
                lock_out=self.locks_here(request),
                metadata=metadata,
                guess=guess.name if guess else None,
                trail=self.trail(settings.AXES_ENABLE_ACCESS_FAILURE_LOG),
                keep_metadata=axes_redis_settings.metadata,
                tiers=tiers.script_argument(tiers.configured()),
                retention=axes_redis_settings.retention,
            )
        except RedisError as exc:
            if self.outage("recording a failure"):
                request.axes_credentials = credentials  # type: ignore[attr-defined]
                # A Redis that refuses writes (full, or a replica) may still answer reads:
                # a client already at the limit is locked out, not refused by the outage.
                try:
                    locked = (
                        guard.refuses_writes(exc) and self.store().failures(client_keys) >= limit
                    )
                except RedisError:
                    locked = False
                if locked:
                    request.axes_locked_out = True  # type: ignore[attr-defined]
                else:
                    outage.refuse(request)
            return
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
            guard.RequestState.of(request).met_lockout(result.cooloff_ms, result.failures)
            log.warning("AXES: Locking out %s after repeated login failures.", client_str)
            request.axes_locked_out = True  # type: ignore[attr-defined]
            request.axes_credentials = credentials  # type: ignore[attr-defined]
            user_locked_out.send("axes", request=request, username=username, ip_address=ip_address)

    def locks_here(self, request: HttpRequest) -> bool:
        """Whether a failure on this request may lock out.

        With ``AXES_ONLY_ADMIN_SITE`` a failure elsewhere still counts (it is a guess
        at the same password) but, as documented, never locks that page out:
        django-axes' own handlers answer it with a lockout response all the same.
        """
        if not settings.AXES_LOCK_OUT_AT_FAILURE:
            return False
        return not (settings.AXES_ONLY_ADMIN_SITE and not self.is_admin_request(request))

    def user_logged_in(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        """Log the login; free the slots of the request's guesses, forget the client
        (``AXES_RESET_ON_SUCCESS``) and append the login to the trail, in one call.
        """
        username = user.get_username()
        credentials = get_credentials(username)
        metadata = parameters.metadata(request, username)
        client_str = parameters.client_str(request, metadata)
        log.info("AXES: Successful login by %s.", client_str)

        guesses = guard.RequestState.find(request)
        taken = guesses.take_all() if guesses is not None else []
        access_log = not settings.AXES_DISABLE_ACCESS_LOG
        trail = self.trail(access_log)
        entry = {"event": "login", **metadata} if access_log else None
        names = [g.name for g in taken]
        try:
            if settings.AXES_RESET_ON_SUCCESS:
                client_keys = [*self.client_keys(request, credentials), *_keys_of(taken)]
                removed = self.store().release(
                    list(dict.fromkeys(client_keys)),
                    names,
                    forget=True,
                    trail=trail,
                    entry=entry,
                )
                log.info("AXES: Deleted %d failure records of %s from Redis.", removed, client_str)
            elif taken or trail is not None:
                self.store().release(_keys_of(taken), names, trail=trail, entry=entry)
        except RedisError:
            self.outage("the reset after a successful login")

    def post_save_access_attempt(self, instance: Any, **kwargs: Any) -> None:
        """django-axes' ``AccessAttempt`` rows are not ours: saving one changes nothing here."""

    def post_delete_access_attempt(self, instance: Any, **kwargs: Any) -> None:
        """django-axes' ``AccessAttempt`` rows are not ours: deleting one changes nothing here."""

    def user_logged_out(self, sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
        """Log the logout, and append it to the login trail unless ``AXES_DISABLE_ACCESS_LOG``."""
        username = user.get_username() if user else None
        metadata = parameters.metadata(request, username)
        log.info("AXES: Successful logout by %s.", parameters.client_str(request, metadata))
        trail = self.trail(bool(username) and not settings.AXES_DISABLE_ACCESS_LOG)
        if trail is None:
            return
        try:
            self.store().append(trail, {"event": "logout", **metadata})
        except RedisError:
            log.error("AXES: Redis failed recording a logout in the login trail.", exc_info=True)

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
        try:
            store = self.store()
            if ip_address is None and username is None:
                count = store.reset_all()
            else:
                count = store.reset(
                    ip_address=ip_address, username=username, ip_or_username=ip_or_username
                )
        except RedisError as exc:
            # A RedisError still, and a CommandError: axes_reset prints one line, not a traceback.
            raise command_error(exc, "the reset") from exc
        log.info("AXES: Reset %d access attempts from Redis.", count)
        return count
