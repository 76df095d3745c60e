"""The parallel guard's bookkeeping: the guesses one request has in flight.

django-axes checks (``is_allowed``) and records (``user_login_failed``) in two
steps, so C attackers that start together all pass the check before any failure
is recorded and get L + C - 1 guesses. With the guard, the check that precedes a
password evaluation takes a slot for it (``admit.lua``): confirmed failures plus
guesses in flight never exceed L, so at most L passwords are evaluated per
cool-off, however many requests or ``authenticate()`` calls run at once.

A slot is given back the moment the outcome is known: a failure turns it into a
counted failure (``record_failure.lua``), a login or the view returning without a
failure frees it (``release.lua``). A guess whose outcome never arrives (the
request crashed) keeps its slot until ``AXES_REDIS_GUARD_HOLD`` runs out, and is
never counted as a failure.

The guesses live on the request, in one :class:`RequestState`, so whatever
thread runs ``authenticate()`` and whatever thread finishes the request, the
middleware finds them. The same object keeps the rest of what axes-redis knows
about the request: its keys, resolved once, and the lockout it met.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from logging import getLogger
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.encoding import force_bytes
from redis.exceptions import OutOfMemoryError, ReadOnlyError, RedisError, ResponseError

from axes_redis.conf import axes_redis_settings
from axes_redis.store import ADMITTED, LOCKED, AttemptStore

log = getLogger("axes_redis.handler")

_ATTR = "axes_redis_state"
_DIGEST_SALT = b"axes_redis.guard"

_keyed: tuple[object, hmac.HMAC] | None = None
"""The last ``SECRET_KEY`` and an HMAC keyed as ``salted_hmac`` keys it, copied per guess."""

in_async_backend: ContextVar[bool] = ContextVar("axes_redis_in_async_backend", default=False)
"""Set by our ``aauthenticate``: there the check runs on a shared thread while the
password evaluation continues elsewhere, so one thread's earlier guess may still
be running when the next check starts."""


def credential_digest(credentials: Mapping[str, object]) -> str:
    """The guess's name in the in-flight sets: a keyed digest of its credentials.

    Identical credentials in flight at once reveal nothing new to an attacker, so
    they share one slot. The key is derived from ``SECRET_KEY``; the digest lives
    only in an in-flight set, which expires with the hold, and is never logged.
    """
    material = "\0".join(
        f"{name}={value!r}"
        for name, value in sorted(credentials.items())
        if isinstance(value, str | bytes | int)
    )
    keyed = _keyed_hmac().copy()
    keyed.update(material.encode())
    return keyed.hexdigest()[:32]


def _keyed_hmac() -> hmac.HMAC:
    """Django's ``salted_hmac`` for our salt, keyed once per ``SECRET_KEY`` instead of
    once per guess: the digest is ``salted_hmac``'s, bit for bit."""
    global _keyed
    current = settings.SECRET_KEY
    found = _keyed
    if found is not None and found[0] == current:
        return found[1]
    key = hashlib.sha256(_DIGEST_SALT + force_bytes(current)).digest()
    keyed = hmac.new(key, digestmod=hashlib.sha256)
    _keyed = (current, keyed)
    return keyed


def django_request(request: HttpRequest) -> HttpRequest:
    """The ``HttpRequest`` the middleware sees, also when ``authenticate()`` was given a
    wrapper of it (Django REST framework's ``Request`` keeps it as ``_request``)."""
    inner = request.__dict__.get("_request")
    return inner if isinstance(inner, HttpRequest) else request


@dataclass
class Guess:
    """One admitted password evaluation."""

    keys: tuple[str, ...]
    name: str
    thread: int
    sequential: bool
    """Made on a synchronous path: its thread starts no other evaluation before
    ``authenticate()`` has returned, so a later check on that thread proves it over."""


@dataclass
class RequestState:
    """What axes-redis knows about one request: the guesses it has in flight and how
    the request ended for them, its client keys, and the lockout it met.

    The only holder of this state: the handler admits and settles through it,
    the middleware settles what is left when the view returns and reads the
    lockout for ``Retry-After``.
    """

    open: list[Guess] = field(default_factory=list)
    busy: int = 0
    """Checks refused only because guesses in flight held every slot: their
    ``user_login_failed`` is not a failure, their response not a lockout."""
    unreported_busy: int = 0
    """Busy refusals whose ``user_login_failed`` has not arrived yet."""
    crashed: bool = False
    """The view raised: the outcome of its open guesses is unknown, so they hold."""
    keys: dict[Any, tuple[str, ...]] = field(default_factory=dict)
    """The client keys already resolved, by what they were resolved from: a failed
    login asks for them twice (the check, then the failure)."""
    lockout_ttl_ms: int | None = None
    """On a request refused for a lockout: the milliseconds it has left, as Redis
    answered in the call that found or made it (-1: no cool-off)."""
    lockout_failures: int = 0
    """On the same request: the failure count behind that lockout."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def of(cls, request: HttpRequest) -> RequestState:
        state = django_request(request).__dict__
        found: RequestState | None = state.get(_ATTR)
        if found is None:
            found = state.setdefault(_ATTR, cls())
        return found

    @classmethod
    def find(cls, request: HttpRequest | None) -> RequestState | None:
        return None if request is None else django_request(request).__dict__.get(_ATTR)

    @property
    def idle(self) -> bool:
        """No guess was ever admitted or refused: nothing for the middleware to settle."""
        return not self.open and not self.busy and not self.crashed

    def met_lockout(self, ttl_ms: int, failures: int) -> None:
        self.lockout_ttl_ms = ttl_ms
        self.lockout_failures = failures

    def add(self, guess: Guess) -> None:
        with self._lock:
            self.open.append(guess)

    def returned(self, client_keys: Sequence[str]) -> list[str]:
        """Take the earlier guesses of this thread on these keys: their
        ``authenticate()`` returned without a failure, so their slots can go."""
        if in_async_backend.get():
            return []
        thread = threading.get_ident()
        keys = tuple(client_keys)
        with self._lock:
            done = [g for g in self.open if g.sequential and g.thread == thread and g.keys == keys]
            self.open = [g for g in self.open if g not in done]
        return [g.name for g in done]

    def take_failed(self, client_keys: Sequence[str]) -> Guess | None:
        """The open guess a failure on these keys settles: this thread's, else any."""
        keys = tuple(client_keys)
        thread = threading.get_ident()
        with self._lock:
            matching = [g for g in self.open if g.keys == keys]
            if not matching:
                return None
            mine = [g for g in matching if g.thread == thread]
            guess = (mine or matching)[-1]
            self.open.remove(guess)
        return guess

    def take_all(self) -> list[Guess]:
        with self._lock:
            taken, self.open = self.open, []
        return taken

    def refuse_busy(self) -> None:
        with self._lock:
            self.busy += 1
            self.unreported_busy += 1

    def take_busy(self) -> bool:
        """Consume one busy refusal: True when the failure being reported is one."""
        with self._lock:
            if self.unreported_busy <= 0:
                return False
            self.unreported_busy -= 1
            return True


_FIRST_PAUSE = 0.01
_LAST_PAUSE = 0.1
"""Bounds of the pause between two asks for a slot: short at first (a slot is
often freed within a password hash), then a tenth of a second."""


def refuses_writes(exc: RedisError) -> bool:
    """Redis answered but will not write: out of memory (``noeviction``) or a replica."""
    if isinstance(exc, OutOfMemoryError | ReadOnlyError):
        return True
    text = str(exc)
    return isinstance(exc, ResponseError) and ("OOM " in text or "READONLY" in text)


def admit(
    request: HttpRequest,
    credentials: Mapping[str, object],
    client_keys: list[str],
    *,
    store: AttemptStore,
    limit: int,
) -> bool:
    """Take a slot, waiting up to ``AXES_REDIS_GUARD_WAIT`` while guesses in
    flight hold them all; True when refused (locked out, or still busy)."""
    state = RequestState.of(request)
    name = credential_digest(credentials)
    hold_ms = int(axes_redis_settings.guard_hold * 1000)
    returned = [other for other in state.returned(client_keys) if other != name]
    deadline = time.monotonic() + axes_redis_settings.guard_wait
    pause = _FIRST_PAUSE
    while True:
        try:
            verdict = store.admit(
                client_keys, limit=limit, hold_ms=hold_ms, guess=name, returned=returned
            )
        except RedisError as exc:
            if not refuses_writes(exc):
                raise
            log.error(
                "AXES: Redis refused the parallel guard's write (%s); checking confirmed "
                "failures only.",
                exc,
            )
            return bool(store.failures(client_keys) >= limit)
        returned = []
        if verdict.code == ADMITTED:
            state.add(
                Guess(
                    keys=tuple(client_keys),
                    name=name,
                    thread=threading.get_ident(),
                    sequential=not in_async_backend.get(),
                )
            )
            return False
        if verdict.code == LOCKED:
            state.met_lockout(verdict.ttl_ms, verdict.failures)
            return True
        if time.monotonic() + pause > deadline:
            log.warning(
                "AXES: Login refused as busy: guesses in flight held every slot for %.1f s.",
                axes_redis_settings.guard_wait,
            )
            state.refuse_busy()
            return True
        time.sleep(pause)
        pause = min(pause * 2, _LAST_PAUSE)
