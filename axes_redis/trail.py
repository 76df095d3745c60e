"""Read the login trail: django-axes' ``AccessLog`` and ``AccessFailureLog``, in Redis.

The handler appends to one stream per site, ``<prefix>:trail``, inside the
script call that counts the failure (or settles the success), capped with
``XADD MAXLEN ~`` at ``AXES_REDIS_TRAIL_MAXLEN`` entries. Each entry has an
``event`` (``failure``, ``login`` or ``logout``), who and where (``username``,
``ip_address``, ``user_agent``, ``path_info``, each capped at 255 characters) and,
for failures, ``locked_out``. Its stream ID is its time (Unix ms). No request
data is stored, so no password can be.

Reading is newest first with ``XREVRANGE`` in bounded chunks; the caller carries
the ID of the last entry shown to get the next page, as with ``SCAN`` cursors.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from axes_redis import keys
from axes_redis.connection import RedisClient
from axes_redis.paging import page_size
from axes_redis.replies import decode_text, from_unix_ms
from axes_redis.store import capped

EVENTS = ("failure", "login", "logout")

CHUNK = 500
"""Entries one ``XREVRANGE`` returns: bounds the time Redis spends on one call."""

MAX_READS_PER_PAGE = 20
"""``XREVRANGE`` calls one page may make while filtering, before it returns what it has."""

_MAX_SEQUENCE = 2**64 - 1


@dataclass(frozen=True)
class TrailEntry:
    id: str
    """The stream ID: ``<Unix ms>-<sequence>``; also the cursor for the next page."""
    event: str
    username: str | None
    ip_address: str | None
    user_agent: str | None
    path_info: str | None
    locked_out: bool

    @property
    def time(self) -> datetime:
        moment = from_unix_ms(self.id.partition("-")[0])
        assert moment is not None  # every stream ID starts with its milliseconds
        return moment

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time.isoformat(),
            "event": self.event,
            "username": self.username,
            "ip_address": self.ip_address,
            "user_agent": self.user_agent,
            "path_info": self.path_info,
            "locked_out": self.locked_out,
        }


def _entry(raw_id: bytes | str, fields: dict[Any, Any]) -> TrailEntry:
    values = {decode_text(name): decode_text(value) for name, value in fields.items()}
    return TrailEntry(
        id=keys.key_text(raw_id),
        event=values.get("event") or "",
        username=values.get("username") or None,
        ip_address=values.get("ip_address") or None,
        user_agent=values.get("user_agent") or None,
        path_info=values.get("path_info") or None,
        locked_out=values.get("locked_out") == "1",
    )


def parse_cursor(text: str) -> str:
    """A cursor from a URL or the command line: a stream ID, or a clear ``ValueError``."""
    milliseconds, dash, sequence = text.partition("-")
    if not (milliseconds.isdigit() and (not dash or sequence.isdigit())):
        raise ValueError(f"{text!r} is not a stream ID such as 1700000000000-0")
    if int(milliseconds) >= 2**64 or int(sequence or 0) >= 2**64:
        raise ValueError(f"{text!r} is out of range for a stream ID")
    return f"{int(milliseconds)}-{int(sequence or 0)}"


def read(
    redis: RedisClient,
    prefix: str,
    *,
    username: str | None = None,
    events: Collection[str] | None = None,
    since: datetime | None = None,
    cursor: str | None = None,
    count: int = 50,
) -> tuple[list[TrailEntry], str | None]:
    """One page of the trail, newest first; returns the cursor of the next page.

    ``cursor`` is the newest ID the page may show, as returned for the previous
    page (``None``: start at the newest entry); the next cursor is ``None`` when
    the walk is complete. ``username`` and ``events`` filter exactly; ``since``
    stops the walk at that time. A filtered page reads at most
    :data:`MAX_READS_PER_PAGE` chunks, so it may come back short, with a cursor
    to go on from, when few entries match.
    """
    count = page_size(count)
    wanted_user = None if username is None else decode_text(capped(username))
    lowest = "-" if since is None else str(int(since.astimezone(timezone.utc).timestamp() * 1000))
    highest = "+" if cursor is None else cursor
    stream = keys.trail_key(prefix)
    found: list[TrailEntry] = []
    for _ in range(MAX_READS_PER_PAGE):
        chunk: Any = redis.xrevrange(stream, max=highest, min=lowest, count=CHUNK)
        for raw_id, fields in chunk:
            entry = _entry(raw_id, fields)
            if wanted_user is not None and entry.username != wanted_user:
                continue
            if events is not None and entry.event not in events:
                continue
            found.append(entry)
            if len(found) == count:
                return found, _below(entry.id)
        if len(chunk) < CHUNK:
            return found, None
        below = _below(keys.key_text(chunk[-1][0]))
        if below is None:
            return found, None
        highest = below
    return found, highest


def _below(entry_id: str) -> str | None:
    """The greatest stream ID below ``entry_id`` (``None`` below 0-0).

    An exclusive bound that Redis 5 reads: ``XREVRANGE`` takes ``(id`` only from
    Redis 6.2 on, and we support 5.0.
    """
    milliseconds, _, sequence = entry_id.partition("-")
    if int(sequence or 0) > 0:
        return f"{int(milliseconds)}-{int(sequence) - 1}"
    if int(milliseconds) == 0:
        return None
    return f"{int(milliseconds) - 1}-{_MAX_SEQUENCE}"


def length(redis: RedisClient, prefix: str) -> int:
    """Entries the trail holds now (``XLEN``)."""
    return int(redis.xlen(keys.trail_key(prefix)))
