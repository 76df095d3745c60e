"""Redis replies as Python values: bytes or text, integers, Unix milliseconds.

Our redis-py objects do not ``decode_responses``, one from ``AXES_REDIS_CLIENT`` may:
every reader of hashes and streams goes through these, so both work the same.
"""

from __future__ import annotations

from datetime import datetime, timezone


def decode_text(value: bytes | str | None) -> str | None:
    """Text of a reply; bytes that are not UTF-8 are replaced, never raised on."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def to_int(value: bytes | str | None) -> int | None:
    """An integer field, or ``None`` when it is missing or not a number."""
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def from_unix_ms(value: bytes | str | None) -> datetime | None:
    """A time written as Unix milliseconds (``first``, ``last``, stream IDs), in UTC."""
    milliseconds = to_int(value)
    if milliseconds is None:
        return None
    return datetime.fromtimestamp(milliseconds / 1000, tz=timezone.utc)
