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

The guesses live on the request, in one :class:`RequestGuesses`, so whatever
thread runs ``authenticate()`` and whatever thread finishes the request, the
middleware finds them.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.utils.crypto import salted_hmac

_ATTR = "axes_redis_guesses"

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
    return salted_hmac("axes_redis.guard", material, algorithm="sha256").hexdigest()[:32]


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
class RequestGuesses:
    """The guesses one request has in flight, and how the request ended for them.

    The only holder of this state: the handler admits and settles through it,
    the middleware settles what is left when the view returns.
    """

    open: list[Guess] = field(default_factory=list)
    busy: int = 0
    """Checks refused only because guesses in flight held every slot: their
    ``user_login_failed`` is not a failure, their response not a lockout."""
    unreported_busy: int = 0
    """Busy refusals whose ``user_login_failed`` has not arrived yet."""
    crashed: bool = False
    """The view raised: the outcome of its open guesses is unknown, so they hold."""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def of(cls, request: HttpRequest) -> RequestGuesses:
        state = django_request(request).__dict__
        found: RequestGuesses | None = state.get(_ATTR)
        if found is None:
            found = state.setdefault(_ATTR, cls())
        return found

    @classmethod
    def find(cls, request: HttpRequest | None) -> RequestGuesses | None:
        return None if request is None else django_request(request).__dict__.get(_ATTR)

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
