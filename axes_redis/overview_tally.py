"""Counting one walk of the login trail into time buckets and per-value counters.

The hot loop of the attack overview (:mod:`axes_redis.overview`): values stay as
Redis returned them (bytes, or text with ``decode_responses``) and are decoded
only when they make a top list.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from axes_redis import keys

FAILURE, LOGIN = "failure", "login"

Raw = bytes | str | None
"""A username or IP as Redis returned it: decoded only if it makes a top list."""


def unix_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


_FIELDS = ("event", "username", "ip_address", "locked_out")
_FIELD_NAMES = {True: _FIELDS, False: tuple(name.encode() for name in _FIELDS)}
"""The fields counted, as text (a redis-py object with ``decode_responses``) or bytes (ours)."""
_VALUES = {True: ("failure", "login", "1"), False: (b"failure", b"login", b"1")}


def count_chunk(chunk: list[Any], *tallies: Tally) -> str:
    """Count one ``XREVRANGE`` reply (not empty) into the tallies; returns its oldest ID.

    The hot loop of a full read: values stay as Redis returned them (bytes, or
    text with ``decode_responses``); only the top lists' winners are decoded, by
    the overview.
    """
    text = isinstance(chunk[0][0], str)
    event_name, user_name, ip_name, locked_name = _FIELD_NAMES[text]
    failure, login, yes = _VALUES[text]
    dash = "-" if text else b"-"
    for raw_id, fields in chunk:
        event = fields.get(event_name)
        if event == failure:
            kind = FAILURE
        elif event == login:
            kind = LOGIN
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
class Tally:
    """Counts for one window while the walk goes on."""

    start_ms: int
    step_ms: int
    size: int
    failures: list[int]
    lockouts: list[int]
    logins: list[int]
    by_username: Counter[Raw] = field(default_factory=Counter)
    username_lockouts: Counter[Raw] = field(default_factory=Counter)
    username_ips: dict[Raw, set[Raw]] = field(default_factory=dict)
    by_ip: Counter[Raw] = field(default_factory=Counter)
    ip_lockouts: Counter[Raw] = field(default_factory=Counter)
    ip_usernames: dict[Raw, set[Raw]] = field(default_factory=dict)

    @classmethod
    def of(cls, start: datetime, step: timedelta, size: int) -> Tally:
        return cls(
            start_ms=unix_ms(start),
            step_ms=int(step.total_seconds() * 1000),
            size=size,
            failures=[0] * size,
            lockouts=[0] * size,
            logins=[0] * size,
        )

    def add(self, at_ms: int, event: str, locked: bool, username: Raw, ip: Raw) -> None:
        index = (at_ms - self.start_ms) // self.step_ms
        if not 0 <= index < self.size:
            return
        if event == LOGIN:
            self.logins[index] += 1
            return
        if event != FAILURE:
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
