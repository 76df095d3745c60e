"""Am I under attack? The read model of the attack overview (admin page and ``axes_redis stats``).

Operators in an incident ask: is a spray going on, who is targeted, what did the
lockouts do. The answers come from the login trail (``<prefix>:trail``, see
:mod:`axes_redis.trail`), whose stream IDs are the Unix milliseconds of each
event, so a time window is an ID range:

* One walk, newest first, with ``XREVRANGE <trail> <now> <24 h ago> COUNT 1000``,
  each call going on just below the oldest ID of the previous one; it stops at
  the start of the window or after :data:`MAX_ENTRIES` entries (the trail's
  default cap, ``AXES_REDIS_TRAIL_MAXLEN``), whichever comes first. Newest first,
  so that a bounded read still covers the most recent part of the window, where
  the incident is; the part it did not reach is reported, never guessed. Plain
  ``XREVRANGE`` rather than a script projecting the fields counted: such a
  script spares Python some parsing but keeps Redis busy longer per call
  (Lua tables), and Redis is what every login waits on.
  The counting is :mod:`axes_redis.overview_tally`'s.
* Failures (``event=failure``), lockouts (failures written with ``locked_out=1``:
  the failure that locked the client, and any counted during a lockout) and
  logins are counted per minute over the last hour and per 15 minutes over the
  last 24 hours, in buckets aligned to the clock.
* The most targeted usernames and IP addresses are those with the most failures
  in each window, with the number of distinct IPs (usernames) behind each: one IP
  trying many usernames, or many IPs on one username, is what a spray looks like.
* "Locked out now" reads tracked clients as the tracked-clients page does
  (:func:`axes_redis.clients.page`: ``SCAN`` + one pipelined ``HGETALL``/``PTTL``
  per page) up to :data:`LOCKED_SCAN_CLIENTS` of them; beyond that the count is a
  lower bound and says so. ``axes_redis stats`` counts them all with its full scan.

Failures reach the trail only with django-axes' ``AXES_ENABLE_ACCESS_FAILURE_LOG
= True``, logins only without ``AXES_DISABLE_ACCESS_LOG``: :func:`not_recorded`
names what the current settings leave out. The clock is the Redis server's
(``TIME``), the one that wrote the IDs.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from axes.conf import settings as axes_settings

from axes_redis import clients, keys, trail
from axes_redis.conf import DEFAULT_TRAIL_MAXLEN
from axes_redis.connection import RedisClient
from axes_redis.overview_tally import Raw, Tally, count_chunk, unix_ms
from axes_redis.paging import MAX_PAGE
from axes_redis.replies import decode_text

READ_CHUNK = 1000
"""Entries one ``XREVRANGE`` returns: bounds the time Redis spends on one call."""

MAX_ENTRIES = DEFAULT_TRAIL_MAXLEN
"""Entries one overview reads at most: the trail's default cap, 100 calls of
:data:`READ_CHUNK`. A trail capped higher is read back this far and no further."""

LOCKED_SCAN_CLIENTS = 20_000
"""Tracked clients read to count the lockouts in force; past it the count is a lower bound."""

TOP = 10
"""Usernames and IP addresses listed per window."""

HOUR_STEP = timedelta(minutes=1)
HOUR_BUCKETS = 60
DAY_STEP = timedelta(minutes=15)
DAY_BUCKETS = 96


@dataclass(frozen=True)
class Bucket:
    """Events whose stream IDs fall in ``[start, start + step)``."""

    start: datetime
    failures: int = 0
    lockouts: int = 0
    logins: int = 0
    read: bool = True
    """False when the walk stopped (at :data:`MAX_ENTRIES`) before reaching this bucket's
    start: its counts cover only part of it, or none."""


@dataclass(frozen=True)
class Target:
    """A username or IP address in a top list."""

    value: str | None
    """``None``: failures without a username (or IP) given."""
    failures: int
    lockouts: int
    others: int
    """Distinct IP addresses behind a username's failures, or usernames behind an IP's."""


@dataclass(frozen=True)
class Window:
    """One chart and its top lists: the last hour per minute, or the last day per 15 minutes."""

    name: str
    step: timedelta
    buckets: list[Bucket]
    usernames: list[Target]
    ips: list[Target]

    @property
    def start(self) -> datetime:
        return self.buckets[0].start

    @property
    def failures(self) -> int:
        return sum(bucket.failures for bucket in self.buckets)

    @property
    def lockouts(self) -> int:
        return sum(bucket.lockouts for bucket in self.buckets)

    @property
    def logins(self) -> int:
        return sum(bucket.logins for bucket in self.buckets)

    @property
    def complete(self) -> bool:
        return all(bucket.read for bucket in self.buckets)

    def as_dict(self) -> dict[str, Any]:
        def target(found: Target) -> dict[str, Any]:
            return {
                "value": found.value,
                "failures": found.failures,
                "lockouts": found.lockouts,
                "others": found.others,
            }

        return {
            "start": self.start.isoformat(),
            "step_seconds": int(self.step.total_seconds()),
            "failures": self.failures,
            "lockouts": self.lockouts,
            "logins": self.logins,
            "complete": self.complete,
            "buckets": [
                [bucket.failures, bucket.lockouts, bucket.logins] for bucket in self.buckets
            ],
            "top_usernames": [target(t) for t in self.usernames],
            "top_ips": [target(t) for t in self.ips],
        }


@dataclass(frozen=True)
class Locked:
    """Clients locked out now, as far as the bounded read went."""

    locked: int
    examined: int
    """Tracked clients read."""
    complete: bool
    """Every tracked client was read: ``locked`` is exact, not a lower bound."""


@dataclass(frozen=True)
class Overview:
    now: datetime
    hour: Window
    day: Window
    stream: str
    trail_length: int
    """``XLEN`` of the trail when read."""
    entries_read: int
    reads: int
    """``XREVRANGE`` calls made."""
    oldest_read: datetime | None
    """Time of the oldest entry read; ``None`` when none was."""
    complete: bool
    """The walk reached the start of the 24-hour window (it did not stop at the bound)."""
    locked: Locked | None
    """``None`` when not asked for (``axes_redis stats`` counts with its own full scan)."""
    max_entries: int = MAX_ENTRIES
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "stream": self.stream,
            "trail_length": self.trail_length,
            "entries_read": self.entries_read,
            "reads": self.reads,
            "max_entries": self.max_entries,
            "oldest_read": None if self.oldest_read is None else self.oldest_read.isoformat(),
            "complete": self.complete,
            "locked": None
            if self.locked is None
            else {
                "locked": self.locked.locked,
                "examined": self.locked.examined,
                "complete": self.locked.complete,
            },
            "last_hour": self.hour.as_dict(),
            "last_day": self.day.as_dict(),
            "not_recorded": self.notes,
        }


def not_recorded() -> list[str]:
    """What the current settings keep out of the trail, and the setting that lets it in."""
    found = []
    if not axes_settings.AXES_ENABLE_ACCESS_FAILURE_LOG:
        found.append(
            "Failed logins are not recorded in the trail: they are with "
            "AXES_ENABLE_ACCESS_FAILURE_LOG = True."
        )
    if axes_settings.AXES_DISABLE_ACCESS_LOG:
        found.append(
            "Logins are not recorded in the trail: they are with AXES_DISABLE_ACCESS_LOG = False."
        )
    return found


def server_now(redis: RedisClient) -> datetime:
    """The Redis server's clock (``TIME``): the one that stamped the stream IDs."""
    reply: Any = redis.time()
    if isinstance(reply, dict):  # a RedisCluster may answer per node
        reply = next(iter(reply.values()))
    seconds, microseconds = reply
    return datetime.fromtimestamp(int(seconds) + int(microseconds) / 1e6, tz=timezone.utc)


def _floor(moment: datetime, step: timedelta) -> datetime:
    size = int(step.total_seconds() * 1000)
    return datetime.fromtimestamp(unix_ms(moment) // size * size / 1000, tz=timezone.utc)


def _window(tally: Tally, name: str, read_from_ms: int | None) -> Window:
    """The finished window; buckets older than ``read_from_ms`` were not fully read."""
    buckets = []
    for index in range(tally.size):
        start_ms = tally.start_ms + index * tally.step_ms
        buckets.append(
            Bucket(
                start=datetime.fromtimestamp(start_ms / 1000, tz=timezone.utc),
                failures=tally.failures[index],
                lockouts=tally.lockouts[index],
                logins=tally.logins[index],
                read=read_from_ms is None or start_ms >= read_from_ms,
            )
        )
    return Window(
        name=name,
        step=timedelta(milliseconds=tally.step_ms),
        buckets=buckets,
        usernames=_top(tally.by_username, tally.username_lockouts, tally.username_ips),
        ips=_top(tally.by_ip, tally.ip_lockouts, tally.ip_usernames),
    )


def _top(counts: Counter[Raw], lockouts: Counter[Raw], others: dict[Raw, set[Raw]]) -> list[Target]:
    """The :data:`TOP` values with the most failures, decoded for display.

    Ties go by value, so the list is the same from one reload to the next.
    """
    ranked = heapq.nsmallest(
        TOP, counts.items(), key=lambda item: (-item[1], decode_text(item[0]) or "")
    )
    return [
        Target(decode_text(value), failures, lockouts[value], len(others.get(value, ())))
        for value, failures in ranked
    ]


def count_locked(redis: RedisClient, prefix: str, limit: int = LOCKED_SCAN_CLIENTS) -> Locked:
    """Locked-out clients, read page by page as the tracked-clients page reads them."""
    locked = examined = 0
    cursor = 0
    while True:
        cursor, found = clients.page(redis, prefix, cursor, count=MAX_PAGE)
        examined += len(found)
        locked += sum(tracked.locked for tracked in found)
        if cursor == 0:
            return Locked(locked, examined, complete=True)
        if examined >= limit:
            return Locked(locked, examined, complete=False)


def read(
    redis: RedisClient,
    prefix: str,
    *,
    now: datetime | None = None,
    max_entries: int = MAX_ENTRIES,
    locked_limit: int | None = LOCKED_SCAN_CLIENTS,
) -> Overview:
    """The overview at ``now`` (default: the Redis server's clock), read within the bounds.

    ``locked_limit`` bounds the tracked clients read to count lockouts; ``None``
    leaves the count out (the caller has an exact one).
    """
    now = server_now(redis) if now is None else now.astimezone(timezone.utc)
    now_ms = unix_ms(now)
    hour = Tally.of(
        _floor(now, HOUR_STEP) - HOUR_STEP * (HOUR_BUCKETS - 1), HOUR_STEP, HOUR_BUCKETS
    )
    day = Tally.of(_floor(now, DAY_STEP) - DAY_STEP * (DAY_BUCKETS - 1), DAY_STEP, DAY_BUCKETS)
    stream = keys.trail_key(prefix)
    entries = calls = 0
    oldest_ms: int | None = None
    highest: str | None = str(now_ms)
    lowest = str(day.start_ms)
    complete = False
    while highest is not None:
        count = min(READ_CHUNK, max_entries - entries)
        if count == 0:
            # At the bound: one entry more says whether the window holds more.
            calls += 1
            complete = not redis.xrevrange(stream, max=highest, min=lowest, count=1)
            break
        chunk: Any = redis.xrevrange(stream, max=highest, min=lowest, count=count)
        calls += 1
        entries += len(chunk)
        if chunk:
            oldest = count_chunk(chunk, hour, day)
            oldest_ms = int(oldest.partition("-")[0])
        if len(chunk) < count:
            complete = True
            break
        highest = trail._below(oldest)
    else:
        complete = True  # below the stream's first possible ID
    # Stopped at the bound: the oldest entry read may share its millisecond with
    # unread ones, so only what lies after it is known in full.
    read_from = None if complete else (oldest_ms if oldest_ms is not None else now_ms) + 1
    return Overview(
        now=now,
        hour=_window(hour, "last hour", read_from),
        day=_window(day, "last 24 hours", read_from),
        stream=stream,
        trail_length=trail.length(redis, prefix),
        entries_read=entries,
        reads=calls,
        oldest_read=None
        if oldest_ms is None
        else datetime.fromtimestamp(oldest_ms / 1000, tz=timezone.utc),
        complete=complete,
        locked=None if locked_limit is None else count_locked(redis, prefix, locked_limit),
        max_entries=max_entries,
        notes=not_recorded(),
    )
