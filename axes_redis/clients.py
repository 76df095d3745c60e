"""The operator's read model of tracked clients (admin page, ``axes_redis`` command).

Never used on the login path: everything here is for people looking at Redis.
Three ways in, each bounded:

* :func:`page` walks the tracked clients with ``SCAN``; the caller carries the
  cursor from one page to the next, so a page costs a few ``SCAN`` calls and one
  pipelined ``HGETALL`` + ``PTTL`` round trip however many clients exist.
* :func:`find` is the exact search by username and/or IP address (a
  :class:`~axes_redis.selector.Selector`). The single-parameter keys (and the
  username+IP key) are computed and read directly; combinations that also hold
  other parameters (``username`` with ``user_agent``, say) can only be found by a
  targeted ``SCAN`` of the whole keyspace with
  :func:`axes_redis.keys.parameter_pattern`, which ``find`` does unless asked not
  to (``combinations=False``).
* :func:`fetch` reads keys already known (the admin's selected rows).

Counting everything is :mod:`axes_redis.stats`' job. Responses may be bytes (our
redis-py objects do not ``decode_responses``) or text, and a key may expire or be reset
between ``SCAN`` and the read: such keys are skipped, never reported half-read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from axes_redis import client_state, keys, scan
from axes_redis.connection import RedisClient
from axes_redis.paging import page_size
from axes_redis.replies import decode_text
from axes_redis.selector import Selector

MAX_SCANS_PER_PAGE = 32
"""``SCAN`` calls one page may make before it returns what it has (maybe nothing)."""

_METADATA = ("username", "ip_address", "user_agent", "path_info")


_UNITS = (("day", "d", 86400), ("hour", "h", 3600), ("minute", "m", 60), ("second", "s", 1))


def duration(milliseconds: int, *, short: bool = False) -> str:
    """A time left in at most two units, never shorter than it is.

    Rounded up at the smaller unit shown: 96 s is "1 minute 36 seconds" (``short``:
    "1m 36s"), 2 h 4 min 30 s is "2 hours 5 minutes", and 60 s is "1 minute", never
    the "1 minute" Django's ``timeuntil`` shows for anything up to 119 s.
    """
    seconds = max(0, -(-milliseconds // 1000))
    index = next(i for i, (_, _, size) in enumerate(_UNITS) if seconds >= size or size == 1)
    big, small = _UNITS[index], _UNITS[min(index + 1, len(_UNITS) - 1)]
    left = -(-seconds // small[2])  # in the smaller unit, rounded up
    per = big[2] // small[2]
    counts = [(big, left // per), (small, left % per)] if per > 1 else [(big, left)]
    counts = [(unit, count) for unit, count in counts if count or unit is big]
    if short:
        return " ".join(f"{count}{unit[1]}" for unit, count in counts)
    return " ".join(f"{count} {unit[0]}{'' if count == 1 else 's'}" for unit, count in counts)


@dataclass(frozen=True)
class TrackedClient:
    """One lockout parameter set as Redis holds it, read at ``fetched_at``."""

    key: str
    kind: str
    parameters: dict[str, str]
    """The lockout parameters decoded from the key (digests of long values stay ``#...``)."""
    failures: int
    limit: int | None
    first: datetime | None
    last: datetime | None
    username: str | None
    ip_address: str | None
    user_agent: str | None
    path_info: str | None
    """Metadata of the last failure (capped in length when it was written)."""
    ttl_ms: int | None
    """Milliseconds until Redis forgets the client; ``None`` when the key has no TTL."""
    fetched_at: datetime = field(compare=False)
    fields: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)
    """Every field of the hash as read, for ``axes_redis inspect``."""

    @property
    def locked(self) -> bool:
        return self.limit is not None and self.failures >= self.limit

    @property
    def expires_at(self) -> datetime | None:
        """When the key expires (``None``: kept until reset)."""
        if self.ttl_ms is None:
            return None
        return self.fetched_at + timedelta(milliseconds=self.ttl_ms)

    @property
    def unlocks_at(self) -> datetime | None:
        """When a locked client is let in again; ``None`` if not locked or never."""
        return self.expires_at if self.locked else None

    @property
    def unlocks_in(self) -> str | None:
        """Time left of a lockout, honestly rounded (:func:`duration`); ``None`` if not
        locked or locked until reset."""
        if not self.locked or self.ttl_ms is None:
            return None
        return duration(self.ttl_ms)

    @property
    def parameter_set(self) -> str:
        """The names of the lockout parameters, as in ``ip_address+username``."""
        return "+".join(sorted(self.parameters))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (times as ISO 8601 in UTC)."""

        def iso(moment: datetime | None) -> str | None:
            return None if moment is None else moment.isoformat()

        return {
            "key": self.key,
            "parameters": self.parameters,
            "failures": self.failures,
            "limit": self.limit,
            "locked": self.locked,
            "first": iso(self.first),
            "last": iso(self.last),
            "ttl_ms": self.ttl_ms,
            "unlocks_at": iso(self.unlocks_at),
            "username": self.username,
            "ip_address": self.ip_address,
            "user_agent": self.user_agent,
            "path_info": self.path_info,
        }


def _build(
    key: str, parsed: keys.ParsedKey, fields: Any, pttl: Any, now: datetime
) -> TrackedClient | None:
    """The client from one HGETALL + PTTL reply; ``None`` if it vanished or is not ours."""
    if isinstance(fields, Exception) or isinstance(pttl, Exception) or not fields:
        return None
    if not isinstance(pttl, int) or pttl == -2:
        return None
    values = {decode_text(name): value for name, value in fields.items()}
    state = client_state.read(values, None if pttl < 0 else pttl, now)
    if state is None:
        return None
    metadata = {name: decode_text(values.get(name)) or None for name in _METADATA}
    # Without stored metadata (AXES_REDIS_METADATA = False) the key still names the
    # lockout parameters it was built from; a digested (#...) value names nothing.
    for name in ("username", "ip_address", "user_agent"):
        value = parsed.parameters.get(name)
        if metadata[name] is None and value and not value.startswith(keys.DIGEST_MARK):
            metadata[name] = value
    return TrackedClient(
        key=key,
        kind=parsed.kind,
        parameters=parsed.parameters,
        failures=state.failures,
        limit=state.limit,
        first=state.first,
        last=state.last,
        username=metadata["username"],
        ip_address=metadata["ip_address"],
        user_agent=metadata["user_agent"],
        path_info=metadata["path_info"],
        ttl_ms=None if pttl < 0 else pttl,
        fetched_at=now,
        fields={str(name): decode_text(value) or "" for name, value in values.items()},
    )


def fetch(
    redis: RedisClient, prefix: str, client_keys: Iterable[bytes | str]
) -> list[TrackedClient]:
    """Read the given client keys in one pipelined round trip, in order.

    Keys that are not tracked-client hashes of our schema, that no longer exist,
    or that hold something else (a foreign string under our name) are skipped.
    """
    wanted: list[tuple[str, keys.ParsedKey]] = []
    seen: set[str] = set()
    for raw in client_keys:
        key = keys.key_text(raw)
        parsed = keys.parse_key(prefix, key)
        if parsed is None or parsed.kind != keys.KIND_CLIENT or key in seen:
            continue
        seen.add(key)
        wanted.append((key, parsed))
    if not wanted:
        return []
    pipe = redis.pipeline(transaction=False)
    for key, _ in wanted:
        pipe.hgetall(key)
        pipe.pttl(key)
    replies = pipe.execute(raise_on_error=False)
    now = datetime.now(tz=timezone.utc)
    found = []
    for index, (key, parsed) in enumerate(wanted):
        tracked = _build(key, parsed, replies[2 * index], replies[2 * index + 1], now)
        if tracked is not None:
            found.append(tracked)
    return found


def page(
    redis: RedisClient,
    prefix: str,
    cursor: int = 0,
    count: int = 50,
    locked_only: bool = False,
) -> tuple[int, list[TrackedClient]]:
    """One page of tracked clients from ``cursor`` (0: the start); returns the next cursor.

    The next cursor is 0 when the walk is complete. ``count`` (capped at
    :data:`~axes_redis.paging.MAX_PAGE`) is a target, not an exact size: ``SCAN`` answers in whole
    hash buckets, so a page may hold a few more clients, and it may hold fewer
    (even none, with a non-zero cursor) when :data:`MAX_SCANS_PER_PAGE` calls
    found too few matches, as in a keyspace mostly made of other keys. The usual
    ``SCAN`` guarantee holds across pages: every client that exists for the whole
    walk is seen; one written or rehashed meanwhile may be seen twice or not at all.
    """
    count = page_size(count)
    match = keys.clients_pattern(prefix)
    found: list[TrackedClient] = []
    seen: set[str] = set()
    calls = 0
    while True:
        pending: list[Any] = []
        while len(pending) < count - len(found) and calls < MAX_SCANS_PER_PAGE:
            cursor, batch = scan.step(redis, cursor, match, count - len(found) - len(pending))
            calls += 1
            pending.extend(batch)
            if cursor == 0:
                break
        fresh = [key for key in dict.fromkeys(map(keys.key_text, pending)) if key not in seen]
        seen.update(fresh)
        found.extend(
            tracked for tracked in fetch(redis, prefix, fresh) if tracked.locked or not locked_only
        )
        if len(found) >= count or cursor == 0 or calls >= MAX_SCANS_PER_PAGE:
            return cursor, found


def find(
    redis: RedisClient,
    prefix: str,
    username: str | None = None,
    ip_address: str | None = None,
    *,
    combinations: bool = True,
) -> list[TrackedClient]:
    """The clients an exact search names, sorted by key.

    The same clients ``AxesRedisHandler.reset_attempts`` with the same arguments
    would remove: every parameter set holding the username (or the IP), and with
    both, every set holding at least one of them and contradicting neither.

    The keys ``{username=U}``, ``{ip_address=IP}`` and ``{ip_address=IP|username=U}``
    are computed and read directly. Sets that combine the value with other
    parameters (a user agent) cannot be computed: with ``combinations`` (the
    default) they are found by a ``SCAN`` of the whole keyspace matching
    :func:`axes_redis.keys.parameter_pattern`, one ``SCAN`` call per
    :data:`axes_redis.scan.SCAN_COUNT` keys in the database. ``combinations=False``
    reads the direct keys only.
    """
    selector = Selector(username=username, ip_address=ip_address)
    if not selector:
        raise ValueError("find() needs a username or an IP address")
    candidates = dict.fromkeys(selector.direct_keys(prefix))
    if combinations:
        for pattern in selector.patterns(prefix):
            for key in scan.keys_matching(redis, pattern):
                parsed = keys.parse_key(prefix, key)
                if parsed and parsed.kind == keys.KIND_CLIENT and selector.names(parsed):
                    candidates[key] = None
    return sorted(fetch(redis, prefix, candidates), key=lambda tracked: tracked.key)
