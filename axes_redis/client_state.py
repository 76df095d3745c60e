"""What a client hash's fields mean: locked or not, under which limit, failing when.

Below the limit a client hash holds only the count (``keys.FAILURES_FIELD``); its
TTL is what is left of the cool-off (or of ``AXES_REDIS_RETENTION``). The failure
that takes the count to the limit adds the lock record, ``limit`` and ``locked``
(Unix ms), and describes the client once (``record_failure.lua``). So the fields
not stored are derived here, from the settings: the limit from
``AXES_FAILURE_LIMIT`` (or the first tier), the last failure from the TTL, which
every failure set anew to a cool-off the settings name. A key without a TTL
stores ``last`` itself.

The one reader of these fields for operators (``clients``, the command, the
admin); the login path never reads more than the count.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axes.conf import settings

from axes_redis import keys, tiers
from axes_redis.conf import axes_redis_settings
from axes_redis.replies import decode_text, from_unix_ms, to_int


def configured_limit() -> int | None:
    """The limit every client gets under the current settings; ``None`` when a
    callable decides it per request (then only a lock record tells it)."""
    found = tiers.configured()
    if found:
        return found[0].failures
    limit = settings.AXES_FAILURE_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int):
        return None
    return limit


def _cooloff() -> timedelta | None:
    """``AXES_COOLOFF_TIME`` when it is a plain value; ``None`` for none or a callable."""
    value = settings.AXES_COOLOFF_TIME
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(hours=value)
    return None


def applied_ttl(failures: int, locked: bool) -> timedelta | None:
    """The TTL the latest failure gave a key with this count, as ``record_failure.lua``
    chose it: the tier reached, else the cool-off, else (below the limit) the
    retention. ``None`` when it cannot be known (a callable cool-off, none at all)."""
    tier = tiers.in_force(tiers.configured(), failures)
    if tier is not None:
        return tier.cooloff
    if settings.AXES_COOLOFF_TIME is not None:
        return _cooloff()
    return None if locked else axes_redis_settings.retention


@dataclass(frozen=True)
class ClientState:
    """One client hash, read at ``fetched_at``."""

    failures: int
    limit: int | None
    """The limit that locked it (the lock record), else the configured one."""
    locked_at: datetime | None
    """When the count reached the limit (the lock record)."""
    first: datetime | None
    """When the count began: known only for a count carried over by ``import-db``."""
    last: datetime | None
    """The latest failure: stored, or derived from the TTL (``None`` if neither can tell)."""

    @property
    def locked(self) -> bool:
        return self.limit is not None and self.failures >= self.limit


def read(fields: Mapping[Any, Any], ttl_ms: int | None, fetched_at: datetime) -> ClientState | None:
    """The state behind one ``HGETALL`` (names and values as bytes or text) and its
    ``PTTL`` (``None``: no TTL); ``None`` when it holds no count."""
    values = {decode_text(name): value for name, value in fields.items()}
    failures = to_int(values.get(keys.FAILURES_FIELD))
    if failures is None:
        return None
    limit = to_int(values.get("limit"))
    if limit is None:
        limit = configured_limit()
    locked = limit is not None and failures >= limit
    last = from_unix_ms(values.get("last"))
    if last is None and ttl_ms is not None:
        applied = applied_ttl(failures, locked)
        if applied is not None:
            last = fetched_at - (applied - timedelta(milliseconds=ttl_ms))
    return ClientState(
        failures=failures,
        limit=limit,
        locked_at=from_unix_ms(values.get("locked")),
        first=from_unix_ms(values.get("first")),
        last=last,
    )


def is_locked(failures: int, stored_limit: int | None) -> bool:
    """Locked by its lock record's limit, or by the configured one."""
    limit = configured_limit() if stored_limit is None else stored_limit
    return limit is not None and failures >= limit
