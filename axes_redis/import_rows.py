"""Reading django-axes' ``AccessAttempt`` rows for ``import-db``, as the handler saw them.

Rows come as plain tuples in chunks (no model instances); each can be rebuilt
into the request django-axes' middleware would have left for its failure, which
is what django-axes' callables and helpers take.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from axes_redis import tiers

ROW_CHUNK = 2000
"""Rows fetched per database round trip (``QuerySet.iterator(chunk_size=...)``)."""

_FIELDS = (
    "pk",
    "username",
    "ip_address",
    "user_agent",
    "path_info",
    "http_accept",
    "failures_since_start",
    "attempt_time",
)


@dataclass(frozen=True)
class Row:
    """The columns of one ``AccessAttempt`` that the handler's keys and metadata need."""

    pk: Any
    username: str | None
    ip_address: str | None
    user_agent: str
    path_info: str
    http_accept: str
    failures: int
    attempt_time: datetime


@functools.cache
def _no_data() -> QueryDict:
    """One empty, immutable ``QueryDict`` shared by every rebuilt request (made on first
    use: it reads ``DEFAULT_CHARSET``, which must not happen at import)."""
    return QueryDict()


class RowRequest(HttpRequest):
    """A request as django-axes' middleware would have left it for the failure in a row.

    Callables (``AXES_LOCKOUT_PARAMETERS``, ``AXES_COOLOFF_TIME``,
    ``AXES_FAILURE_LIMIT``, ``AXES_WHITELIST_CALLABLE``) take a request: this one
    carries what the row knows (IP, user agent, path, attempt time, count), is a
    POST, as a login is, and has no query, form data or cookies. Like Django's
    ``WSGIRequest`` it does not call ``HttpRequest.__init__``, which would build
    four fresh ``QueryDict``s for every row.
    """

    def __init__(self, row: Row) -> None:
        # QueryDict() is immutable, which the stubs' overloads cannot tell.
        self.GET = self.POST = _no_data()  # type: ignore[assignment]
        self.COOKIES = {}
        self.FILES = MultiValueDict()
        self.META = {
            "REMOTE_ADDR": row.ip_address or "",
            "HTTP_USER_AGENT": row.user_agent,
            "HTTP_ACCEPT": row.http_accept,
            "PATH_INFO": row.path_info,
            "REQUEST_METHOD": "POST",
        }
        self.path = self.path_info = row.path_info
        self.method = "POST"
        self.resolver_match = None
        self.content_type = None
        self.content_params = None
        self.axes_ip_address = row.ip_address
        self.axes_user_agent = row.user_agent
        self.axes_path_info = row.path_info
        self.axes_http_accept = row.http_accept
        self.axes_attempt_time = row.attempt_time
        self.axes_failures_since_start = row.failures
        self.axes_locked_out = False
        self.axes_updated = True


def cooloff_for(failures: int, request: HttpRequest) -> timedelta | None:
    """The cool-off ``record_failure.lua`` gives a client at ``failures``: the tier
    reached, else ``AXES_COOLOFF_TIME`` (``None``: no cool-off)."""
    tier = tiers.in_force(tiers.configured(), failures)
    return tier.cooloff if tier is not None else get_cool_off(request)


def aware(moment: datetime) -> datetime:
    """A time comparable with any other, whatever ``USE_TZ`` says: with ``USE_TZ =
    False`` Django hands out naive times in ``TIME_ZONE``, ``attempt_time`` included."""
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def current_time() -> datetime:
    """Now, as :func:`aware` makes every time."""
    return aware(timezone.now())


def unix_ms(moment: datetime) -> int:
    return int(aware(moment).timestamp() * 1000)


def read_rows(using: str) -> Iterator[Row]:
    """Every ``AccessAttempt`` row, in chunks of :data:`ROW_CHUNK`, without model instances."""
    found = AccessAttempt.objects.using(using).order_by().values_list(*_FIELDS)
    for values in found.iterator(chunk_size=ROW_CHUNK):
        pk, username, ip, agent, path, accept, failures, moment = values
        yield Row(pk, username, ip, agent or "", path or "", accept or "", failures, moment)
