"""Read tracked clients for operators (admin page, ``axes_redis`` command).

Never used on the login path: everything here is for people looking at Redis.
Three ways in, each bounded:

* :func:`page` walks the tracked clients with ``SCAN``; the caller carries the
  cursor from one page to the next, so a page costs a few ``SCAN`` calls and one
  pipelined ``HGETALL`` + ``PTTL`` round trip however many clients exist.
* :func:`find` is the exact search by username and/or IP address. The
  single-parameter keys (and the username+IP key) are computed and read
  directly; combinations that also hold other parameters (``username`` with
  ``user_agent``, say) can only be found by a targeted ``SCAN`` of the whole
  keyspace with :func:`axes_redis.keys.parameter_pattern`, which ``find`` does
  unless asked not to (``combinations=False``).
* :func:`stats` scans everything once: counts, lockouts, parameter sets, a
  sampled memory estimate and the script cache status.

Responses may be bytes (our clients do not ``decode_responses``) or text, and a
key may expire or be reset between ``SCAN`` and the read: such keys are
skipped, never reported half-read.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import islice
from typing import Any

from redis.cluster import RedisCluster
from redis.exceptions import ResponseError

from axes_redis import client_state, keys, scripts
from axes_redis.store import AttemptStore

MAX_PAGE = 500
"""Largest ``count`` :func:`page` accepts; bigger requests are capped."""

MAX_SCANS_PER_PAGE = 32
"""``SCAN`` calls one page may make before it returns what it has (maybe nothing)."""

READ_BATCH = 500
"""Keys per pipelined read when :func:`stats` walks every client."""

DEFAULT_MEMORY_SAMPLE = 200
"""Keys whose ``MEMORY USAGE`` :func:`stats` asks for; the total is extrapolated."""

_NODE_SHIFT = 64
"""Cluster cursors: node index above the 64 bits of that node's own SCAN cursor."""

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


def decode_text(value: bytes | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _int(value: bytes | str | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def from_unix_ms(value: bytes | str | None) -> datetime | None:
    milliseconds = _int(value)
    if milliseconds is None:
        return None
    return datetime.fromtimestamp(milliseconds / 1000, tz=timezone.utc)


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
    )


def fetch(client: Any, prefix: str, client_keys: Iterable[bytes | str]) -> list[TrackedClient]:
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
    pipe = client.pipeline(transaction=False)
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


def _scan_step(client: Any, cursor: int, match: str, count: int) -> tuple[int, list[Any]]:
    """One ``SCAN`` call. On Redis Cluster the cursor also says which primary is next.

    A cluster cursor is ``node_index << 64 | node_cursor`` over the primaries
    sorted by name, so the caller still carries one integer and 0 still means done.
    """
    if not isinstance(client, RedisCluster):
        next_cursor, batch = client.scan(cursor=cursor, match=match, count=count)
        return int(next_cursor), list(batch)
    cluster: Any = client  # redis-py's cluster API is untyped
    nodes = sorted(cluster.get_primaries(), key=lambda node: node.name)
    index, node_cursor = divmod(cursor, 1 << _NODE_SHIFT)
    if index >= len(nodes):
        return 0, []
    node = nodes[index]
    cursors, batch = cluster.scan(cursor=node_cursor, match=match, count=count, target_nodes=node)
    node_cursor = int(cursors[node.name])
    if node_cursor == 0:
        index += 1
    if index >= len(nodes):
        return 0, list(batch)
    return (index << _NODE_SHIFT) | node_cursor, list(batch)


def page(
    client: Any,
    prefix: str,
    cursor: int = 0,
    count: int = 50,
    locked_only: bool = False,
) -> tuple[int, list[TrackedClient]]:
    """One page of tracked clients from ``cursor`` (0: the start); returns the next cursor.

    The next cursor is 0 when the walk is complete. ``count`` (capped at
    :data:`MAX_PAGE`) is a target, not an exact size: ``SCAN`` answers in whole
    hash buckets, so a page may hold a few more clients, and it may hold fewer
    (even none, with a non-zero cursor) when :data:`MAX_SCANS_PER_PAGE` calls
    found too few matches, as in a keyspace mostly made of other keys. The usual
    ``SCAN`` guarantee holds across pages: every client that exists for the whole
    walk is seen; one written or rehashed meanwhile may be seen twice or not at all.
    """
    count = max(1, min(int(count), MAX_PAGE))
    match = keys.clients_pattern(prefix)
    found: list[TrackedClient] = []
    seen: set[str] = set()
    calls = 0
    while True:
        pending: list[Any] = []
        while len(pending) < count - len(found) and calls < MAX_SCANS_PER_PAGE:
            cursor, batch = _scan_step(client, cursor, match, count - len(found) - len(pending))
            calls += 1
            pending.extend(batch)
            if cursor == 0:
                break
        fresh = [key for key in dict.fromkeys(map(keys.key_text, pending)) if key not in seen]
        seen.update(fresh)
        found.extend(
            tracked for tracked in fetch(client, prefix, fresh) if tracked.locked or not locked_only
        )
        if len(found) >= count or cursor == 0 or calls >= MAX_SCANS_PER_PAGE:
            return cursor, found


def find(
    client: Any,
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
    :func:`axes_redis.keys.parameter_pattern`, which costs one ``SCAN`` per
    thousand keys in the database. ``combinations=False`` reads the direct keys only.
    """
    given = {
        name: value
        for name, value in (("ip_address", ip_address), ("username", username))
        if value is not None
    }
    if not given:
        raise ValueError("find() needs a username or an IP address")
    candidates = dict.fromkeys(
        keys.client_key(prefix, {name: value}) for name, value in given.items()
    )
    if len(given) > 1:
        candidates[keys.client_key(prefix, given)] = None
    if combinations:
        store = AttemptStore(client, prefix)
        for name, value in given.items():
            for key in store.scan(keys.parameter_pattern(prefix, name, value)):
                parsed = keys.parse_key(prefix, key)
                if parsed and parsed.kind == keys.KIND_CLIENT and keys.names_client(parsed, given):
                    candidates[key] = None
    return sorted(fetch(client, prefix, candidates), key=lambda tracked: tracked.key)


@dataclass(frozen=True)
class ScriptStatus:
    name: str
    sha1: str
    loaded: bool
    """``SCRIPT EXISTS``: in the server's script cache (on every primary of a cluster)."""


@dataclass(frozen=True)
class Stats:
    tracked: int
    """Tracked clients (client hashes) found by a full ``SCAN``."""
    locked: int
    by_parameters: dict[str, int]
    """Tracked clients per lockout parameter set, e.g. ``ip_address+username``."""
    keys: int
    """Every key of our schema under the prefix (tracked clients included)."""
    memory_sampled_keys: int
    memory_sampled_bytes: int | None
    """``MEMORY USAGE`` summed over the sampled keys; ``None`` if the server lacks it."""
    scripts: list[ScriptStatus]
    trail_entries: int
    """Entries in the login trail stream (``XLEN``)."""
    trail_bytes: int | None
    """``MEMORY USAGE`` of the trail stream; ``None`` if the server lacks it."""

    @property
    def memory_estimated_bytes(self) -> int | None:
        """The sample's average times :attr:`keys`: an estimate unless every key was sampled."""
        if self.memory_sampled_bytes is None:
            return None
        if not self.memory_sampled_keys:
            return 0
        return round(self.memory_sampled_bytes * self.keys / self.memory_sampled_keys)

    def as_dict(self) -> dict[str, Any]:
        return {
            "tracked": self.tracked,
            "locked": self.locked,
            "by_parameters": self.by_parameters,
            "keys": self.keys,
            "memory_sampled_keys": self.memory_sampled_keys,
            "memory_sampled_bytes": self.memory_sampled_bytes,
            "memory_estimated_bytes": self.memory_estimated_bytes,
            "scripts": [{"name": s.name, "sha1": s.sha1, "loaded": s.loaded} for s in self.scripts],
            "trail_entries": self.trail_entries,
            "trail_bytes": self.trail_bytes,
        }


def script_names() -> list[str]:
    """The shipped ``lua/*.lua`` scripts, by name."""
    folder = scripts.folder()
    return sorted(
        entry.name[: -len(".lua")] for entry in folder.iterdir() if entry.name.endswith(".lua")
    )


def script_status(client: Any) -> list[ScriptStatus]:
    """SHA1 of every shipped script and whether the server's cache holds it (one call)."""
    names = script_names()
    shas = [hashlib.sha1(scripts.source(name)).hexdigest() for name in names]
    loaded = client.script_exists(*shas) if shas else []
    return [
        ScriptStatus(name=name, sha1=sha, loaded=bool(present))
        for name, sha, present in zip(names, shas, loaded, strict=True)
    ]


def _batched(items: Iterable[str], size: int) -> Iterable[list[str]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _memory(client: Any, sample: Sequence[str]) -> int | None:
    """Sum of ``MEMORY USAGE`` over ``sample``; ``None`` if the server refuses the command.

    The first key is asked alone: a server without ``MEMORY`` (renamed away, or a
    Redis-compatible one) answers with an error, and some of those then drop the
    connection, which must not take a pipeline of replies with it.
    """
    if not sample:
        return 0
    try:
        first = client.memory_usage(sample[0], samples=0)
    except ResponseError:
        return None
    pipe = client.pipeline(transaction=False)
    for key in sample[1:]:
        pipe.memory_usage(key, samples=0)
    replies = [first, *pipe.execute(raise_on_error=False)] if len(sample) > 1 else [first]
    return sum(int(reply) for reply in replies if isinstance(reply, int))


def stats(client: Any, prefix: str, sample: int = DEFAULT_MEMORY_SAMPLE) -> Stats:
    """Counts over every key of ours: one full ``SCAN`` plus one read per 500 clients.

    Memory is sampled: ``MEMORY USAGE`` of the first ``sample`` keys of ours that
    the scan meets, extrapolated to all of them (exact when ``sample`` covers them).
    """
    tracked = locked = ours = 0
    by_parameters: Counter[str] = Counter()
    memory_sample: list[str] = []
    found = AttemptStore(client, prefix).scan(keys.prefix_pattern(prefix))
    for batch in _batched(found, READ_BATCH):
        client_keys: list[tuple[str, keys.ParsedKey]] = []
        for key in batch:
            parsed = keys.parse_key(prefix, key)
            if parsed is None:
                continue
            ours += 1
            if len(memory_sample) < sample:
                memory_sample.append(key)
            if parsed.kind == keys.KIND_CLIENT:
                client_keys.append((key, parsed))
        if not client_keys:
            continue
        pipe = client.pipeline(transaction=False)
        for key, _ in client_keys:
            pipe.hmget(key, ["failures", "limit"])
        replies = pipe.execute(raise_on_error=False)
        for (_, parsed), reply in zip(client_keys, replies, strict=True):
            if isinstance(reply, Exception):
                continue
            failures, limit = (_int(value) for value in reply)
            if failures is None:
                continue
            tracked += 1
            by_parameters["+".join(sorted(parsed.encoded))] += 1
            if client_state.is_locked(failures, limit):
                locked += 1
    script_cache = script_status(client)
    trail_key = keys.trail_key(prefix)
    trail_entries = int(client.xlen(trail_key))
    return Stats(
        tracked=tracked,
        locked=locked,
        by_parameters=dict(sorted(by_parameters.items())),
        keys=ours,
        memory_sampled_keys=len(memory_sample),
        memory_sampled_bytes=_memory(client, memory_sample),
        scripts=script_cache,
        trail_entries=trail_entries,
        trail_bytes=_memory(client, [trail_key]) if trail_entries else 0,
    )
