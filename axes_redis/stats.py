"""Counts over every key of ours, for ``axes_redis stats``: clients, lockouts, memory, scripts.

One full ``SCAN`` of the prefix, one pipelined ``HMGET`` per batch of tracked
clients, a sample of ``MEMORY USAGE`` extrapolated to the rest, and one
``SCRIPT EXISTS``. Never used on the login path.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from redis.exceptions import ResponseError

from axes_redis import client_state, keys, scripts
from axes_redis.connection import RedisClient
from axes_redis.paging import batched
from axes_redis.replies import to_int
from axes_redis.scan import keys_matching

READ_BATCH = 500
"""Keys per pipelined read when :func:`stats` walks every client."""

DEFAULT_MEMORY_SAMPLE = 200
"""Keys whose ``MEMORY USAGE`` :func:`stats` asks for; the total is extrapolated."""


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


def script_status(redis: RedisClient) -> list[ScriptStatus]:
    """SHA1 of every shipped script and whether the server's cache holds it (one call)."""
    names = scripts.names()
    shas = [scripts.sha(name) for name in names]
    loaded = redis.script_exists(*shas) if shas else []
    return [
        ScriptStatus(name=name, sha1=sha, loaded=bool(present))
        for name, sha, present in zip(names, shas, loaded, strict=True)
    ]


def _memory(redis: RedisClient, sample: Sequence[str]) -> int | None:
    """Sum of ``MEMORY USAGE`` over ``sample``; ``None`` if the server refuses the command.

    The first key is asked alone: a server without ``MEMORY`` (renamed away, or a
    Redis-compatible one) answers with an error, and some of those then drop the
    connection, which must not take a pipeline of replies with it.
    """
    if not sample:
        return 0
    try:
        first = redis.memory_usage(sample[0], samples=0)
    except ResponseError:
        return None
    pipe = redis.pipeline(transaction=False)
    for key in sample[1:]:
        pipe.memory_usage(key, samples=0)
    replies = [first, *pipe.execute(raise_on_error=False)] if len(sample) > 1 else [first]
    return sum(int(reply) for reply in replies if isinstance(reply, int))


def stats(redis: RedisClient, prefix: str, sample: int = DEFAULT_MEMORY_SAMPLE) -> Stats:
    """Counts over every key of ours: one full ``SCAN``, one read per :data:`READ_BATCH` clients.

    Memory is sampled: ``MEMORY USAGE`` of the first ``sample`` keys of ours that
    the scan meets, extrapolated to all of them (exact when ``sample`` covers them).
    """
    tracked = locked = ours = 0
    by_parameters: Counter[str] = Counter()
    memory_sample: list[str] = []
    found = keys_matching(redis, keys.prefix_pattern(prefix))
    for batch in batched(found, READ_BATCH):
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
        pipe = redis.pipeline(transaction=False)
        for key, _ in client_keys:
            pipe.hmget(key, [keys.FAILURES_FIELD, "limit"])
        replies = pipe.execute(raise_on_error=False)
        for (_, parsed), reply in zip(client_keys, replies, strict=True):
            if isinstance(reply, Exception):
                continue
            failures, limit = (to_int(value) for value in reply)
            if failures is None:
                continue
            tracked += 1
            by_parameters["+".join(sorted(parsed.encoded))] += 1
            if client_state.is_locked(failures, limit):
                locked += 1
    script_cache = script_status(redis)
    trail_key = keys.trail_key(prefix)
    trail_entries = int(redis.xlen(trail_key))
    return Stats(
        tracked=tracked,
        locked=locked,
        by_parameters=dict(sorted(by_parameters.items())),
        keys=ours,
        memory_sampled_keys=len(memory_sample),
        memory_sampled_bytes=_memory(redis, memory_sample),
        scripts=script_cache,
        trail_entries=trail_entries,
        trail_bytes=_memory(redis, [trail_key]) if trail_entries else 0,
    )
