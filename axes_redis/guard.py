"""Guesses counted at the check, and taken back when the request shows no failure.

django-axes checks (``is_allowed``) and records (``user_login_failed``) in two
steps, so C attackers that start together all pass the check before any failure
is recorded and get L + C - 1 guesses. Here the check itself counts the guess it
lets through (``record_failure.lua`` in "admit" mode, atomically), so at most L
guesses per lockout key are ever evaluated per cool-off, whatever C is.

An admitted guess is a failure until proven otherwise: a successful login, or a
request that finishes without a failure, releases it (``release.lua``). A worker
that dies mid-request never releases, so its guess stays counted as a failure:
the safe side, bounded by the cool-off.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from logging import getLogger
from typing import Any

from django.http import HttpRequest
from redis.exceptions import RedisError

from axes_redis.store import AttemptStore, Trail

log = getLogger(__name__)

_ATTR = "axes_redis_admissions"


@dataclass
class Admission:
    """One check of one client within one request."""

    keys: tuple[str, ...]
    failures: int
    admitted: bool
    locked: bool
    settled: bool = False
    """True once nothing is left to undo: the guess failed, or was released."""
    trail: Trail | None = None
    trail_id: str | None = None
    """The failure entry the admission wrote to the login trail: deleted on release."""

    @property
    def stale(self) -> list[str]:
        """Trail entries to delete if the guess turns out not to be a failure."""
        return [self.trail_id] if self.trail_id else []


class _Pending(threading.local):
    def __init__(self) -> None:
        self.admissions: list[tuple[Admission, Callable[[], AttemptStore]]] = []


_pending = _Pending()


def admissions(request: HttpRequest) -> dict[tuple[str, ...], Admission]:
    """The request's admissions by keys: a second check of one client counts once."""
    found: dict[tuple[str, ...], Admission] | None = getattr(request, _ATTR, None)
    if found is None:
        found = {}
        setattr(request, _ATTR, found)
    return found


def remember(request: HttpRequest, admission: Admission, store: Callable[[], AttemptStore]) -> None:
    """Keep the admission on the request, and for release when the request finishes."""
    admissions(request)[admission.keys] = admission
    if admission.admitted:
        _pending.admissions.append((admission, store))


def take_unsettled(request: HttpRequest) -> tuple[list[str], list[str]]:
    """Settle every admitted guess of the request that has not failed.

    Returns their keys, which the caller releases (a success) or deletes
    (``AXES_RESET_ON_SUCCESS``), and the failure entries they wrote to the login
    trail, which the caller deletes in the same call.
    """
    found: dict[str, None] = {}
    stale: list[str] = []
    for admission in admissions(request).values():
        if admission.admitted and not admission.settled:
            admission.settled = True
            found.update(dict.fromkeys(admission.keys))
            stale.extend(admission.stale)
    return list(found), stale


def release_finished(**kwargs: Any) -> None:
    """``request_finished`` receiver: a request that ended without a failure gave
    back its guesses, whatever view or API flow ran (no ``user_logged_in`` needed).
    """
    pending, _pending.admissions = _pending.admissions, []
    for admission, store in pending:
        if not admission.settled:
            admission.settled = True
            try:
                store().release(
                    admission.keys,
                    trail=admission.trail if admission.stale else None,
                    stale=admission.stale,
                )
            except RedisError:
                log.error("AXES: Redis failed releasing an admitted guess.", exc_info=True)
