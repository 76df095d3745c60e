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
  script made the client parse a third as much, but kept Redis busy seven times
  longer per call (Lua tables), and Redis is what every login waits on.
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

READ_CHUNK = 1000
"""Entries one ``XREVRANGE`` returns: about a millisecond of Redis time."""

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

_FAILURE, _LOGIN = "failure", "login"

_Raw = bytes | str | None
"""A username or IP as Redis returned it: decoded only if it makes a top list."""


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


def server_now(client: Any) -> datetime:
    """The Redis server's clock (``TIME``): the one that stamped the stream IDs."""
    reply = client.time()
    if isinstance(reply, dict):  # a cluster client may answer per node
        reply = next(iter(reply.values()))
    seconds, microseconds = reply
    return datetime.fromtimestamp(int(seconds) + int(microseconds) / 1e6, tz=timezone.utc)


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _floor(moment: datetime, step: timedelta) -> datetime:
    size = int(step.total_seconds() * 1000)
    return datetime.fromtimestamp(_ms(moment) // size * size / 1000, tz=timezone.utc)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


_FIELDS = ("event", "username", "ip_address", "locked_out")
_FIELD_NAMES = {True: _FIELDS, False: tuple(name.encode() for name in _FIELDS)}
"""The fields counted, as text (a client with ``decode_responses``) or bytes (ours)."""
_VALUES = {True: ("failure", "login", "1"), False: (b"failure", b"login", b"1")}


def _count(chunk: list[Any], *tallies: _Tally) -> str:
    """Count one ``XREVRANGE`` reply (not empty) into the tallies; returns its oldest ID.

    The hot loop of a full read: values stay as Redis returned them (bytes, or
    text with ``decode_responses``); only the top lists' winners are decoded, in
    :func:`_top`.
    """
    text = isinstance(chunk[0][0], str)
    event_name, user_name, ip_name, locked_name = _FIELD_NAMES[text]
    failure, login, yes = _VALUES[text]
    dash = "-" if text else b"-"
    for raw_id, fields in chunk:
        event = fields.get(event_name)
        if event == failure:
            kind = _FAILURE
        elif event == login:
            kind = _LOGIN
        else:
            continue
        at_ms = int(raw_id[: raw_id.index(dash)])
        username = fields.get(user_name) or None
        ip = fields.get(ip_name) or None
        locked = fields.get(locked_name) == yes
        for tally in tallies:
            tally.add(at_ms, kind, locked, username, ip)
    return keys.key_text(chunk[-1][0])


@dataclass
class _Tally:
    """Counts for one window while the walk goes on."""

    start_ms: int
    step_ms: int
    size: int
    failures: list[int]
    lockouts: list[int]
    logins: list[int]
    by_username: Counter[_Raw] = field(default_factory=Counter)
    username_lockouts: Counter[_Raw] = field(default_factory=Counter)
    username_ips: dict[_Raw, set[_Raw]] = field(default_factory=dict)
    by_ip: Counter[_Raw] = field(default_factory=Counter)
    ip_lockouts: Counter[_Raw] = field(default_factory=Counter)
    ip_usernames: dict[_Raw, set[_Raw]] = field(default_factory=dict)

    @classmethod
    def of(cls, start: datetime, step: timedelta, size: int) -> _Tally:
        return cls(
            start_ms=_ms(start),
            step_ms=int(step.total_seconds() * 1000),
            size=size,
            failures=[0] * size,
            lockouts=[0] * size,
            logins=[0] * size,
        )

    def add(self, at_ms: int, event: str, locked: bool, username: _Raw, ip: _Raw) -> None:
        index = (at_ms - self.start_ms) // self.step_ms
        if not 0 <= index < self.size:
            return
        if event == _LOGIN:
            self.logins[index] += 1
            return
        if event != _FAILURE:
            return
        self.failures[index] += 1
        self.by_username[username] += 1
        self.by_ip[ip] += 1
        self.username_ips.setdefault(username, set()).add(ip)
        self.ip_usernames.setdefault(ip, set()).add(username)
        if locked:
            self.lockouts[index] += 1
            self.username_lockouts[username] += 1
            self.ip_lockouts[ip] += 1

    def window(self, name: str, read_from_ms: int | None) -> Window:
        """The finished window; buckets older than ``read_from_ms`` were not fully read."""
        buckets = []
        for index in range(self.size):
            start_ms = self.start_ms + index * self.step_ms
            buckets.append(
                Bucket(
                    start=datetime.fromtimestamp(start_ms / 1000, tz=timezone.utc),
                    failures=self.failures[index],
                    lockouts=self.lockouts[index],
                    logins=self.logins[index],
                    read=read_from_ms is None or start_ms >= read_from_ms,
                )
            )
        return Window(
            name=name,
            step=timedelta(milliseconds=self.step_ms),
            buckets=buckets,
            usernames=_top(self.by_username, self.username_lockouts, self.username_ips),
            ips=_top(self.by_ip, self.ip_lockouts, self.ip_usernames),
        )


def _top(
    counts: Counter[_Raw], lockouts: Counter[_Raw], others: dict[_Raw, set[_Raw]]
) -> list[Target]:
    """The :data:`TOP` values with the most failures, decoded for display.

    Ties go by value, so the list is the same from one reload to the next.
    """
    ranked = heapq.nsmallest(TOP, counts.items(), key=lambda item: (-item[1], _text(item[0]) or ""))
    return [
        Target(_text(value), failures, lockouts[value], len(others.get(value, ())))
        for value, failures in ranked
    ]


def count_locked(client: Any, prefix: str, limit: int = LOCKED_SCAN_CLIENTS) -> Locked:
    """Locked-out clients, read page by page as the tracked-clients page reads them."""
    locked = examined = 0
    cursor = 0
    while True:
        cursor, found = clients.page(client, prefix, cursor, count=clients.MAX_PAGE)
        examined += len(found)
        locked += sum(tracked.locked for tracked in found)
        if cursor == 0:
            return Locked(locked, examined, complete=True)
        if examined >= limit:
            return Locked(locked, examined, complete=False)


def read(
    client: Any,
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
    now = server_now(client) if now is None else now.astimezone(timezone.utc)
    now_ms = _ms(now)
    hour = _Tally.of(
        _floor(now, HOUR_STEP) - HOUR_STEP * (HOUR_BUCKETS - 1), HOUR_STEP, HOUR_BUCKETS
    )
    day = _Tally.of(_floor(now, DAY_STEP) - DAY_STEP * (DAY_BUCKETS - 1), DAY_STEP, DAY_BUCKETS)
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
            complete = not client.xrevrange(stream, max=highest, min=lowest, count=1)
            break
        chunk = client.xrevrange(stream, max=highest, min=lowest, count=count)
        calls += 1
        entries += len(chunk)
        if chunk:
            oldest = _count(chunk, hour, day)
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
        hour=hour.window("last hour", read_from),
        day=day.window("last 24 hours", read_from),
        stream=stream,
        trail_length=trail.length(client, prefix),
        entries_read=entries,
        reads=calls,
        oldest_read=None
        if oldest_ms is None
        else datetime.fromtimestamp(oldest_ms / 1000, tz=timezone.utc),
        complete=complete,
        locked=None if locked_limit is None else count_locked(client, prefix, locked_limit),
        max_entries=max_entries,
        notes=not_recorded(),
    )


def _shown(value: str | None) -> str:
    return "(none given)" if value is None else value


def report_lines(found: Overview) -> list[str]:
    """The overview as ``axes_redis stats`` prints it (the caller escapes for the terminal)."""
    lines = []
    for window in (found.hour, found.day):
        partial = "" if window.complete else " (partly read: the read stopped at its bound)"
        lines.append(
            f"Trail, {window.name}: {window.failures} failures, {window.lockouts} lockouts, "
            f"{window.logins} logins{partial}"
        )
        for title, targets, other in (
            ("usernames", window.usernames, "IPs"),
            ("IP addresses", window.ips, "usernames"),
        ):
            if not targets:
                continue
            lines.append(f"  Most targeted {title}:")
            width = max(len(_shown(t.value)) for t in targets)
            for target in targets:
                lines.append(
                    f"    {_shown(target.value).ljust(width)}  {target.failures} failures, "
                    f"{target.lockouts} lockouts, {target.others} {other}"
                )
    bound = "" if found.complete else f", stopped at the bound of {found.max_entries}"
    lines.append(
        f"Trail read: {found.entries_read} entries of {found.trail_length} "
        f"in {found.reads} XREVRANGE call(s){bound}"
    )
    if not found.day.failures and axes_settings.AXES_ENABLE_ACCESS_FAILURE_LOG:
        lines.append("No failures in the trail in the last 24 hours.")
    lines.extend(found.notes)
    return lines
