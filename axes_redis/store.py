"""Typed Redis operations on tracked clients, shared by the handler, admin and command.

Every hot-path method is one round trip: one script call or one command. Bulk
operations (resets) walk the keyspace with ``SCAN`` and delete with ``UNLINK`` in
bounded batches, so Redis is never blocked for long and nothing outside our
prefix is ever touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from redis.cluster import RedisCluster
from redis.crc import key_slot

from axes_redis import keys, scripts
from axes_redis.connection import RedisClient
from axes_redis.paging import batched
from axes_redis.scan import keys_matching
from axes_redis.selector import Selector

UNLINK_BATCH = 500
"""Keys per UNLINK: deletion happens in a background thread, the call stays short."""

METADATA_MAX_BYTES = 255
"""Cap in UTF-8 bytes on each metadata value stored on a key or in the login trail
(the key itself keeps the full identity): what bounds them in memory is bytes, and
a 255-character emoji username is four times as many."""


@dataclass(frozen=True)
class FailureResult:
    failures: int
    """Highest count over the client's keys after the call."""
    locked: bool
    """Locking is on and ``failures`` has reached the limit."""
    trail_id: str | None = None
    """ID of the login-trail entry this call wrote, if it wrote one."""
    cooloff_ms: int = -1
    """The cool-off the call gave the client's keys (the tier's, with
    ``AXES_LOCKOUT_TIERS``); -1 when they persist."""


@dataclass(frozen=True)
class Standing:
    """A client's confirmed failures and how long the worst key has left."""

    failures: int
    ttl_ms: int
    """PTTL of the key holding ``failures``: -1 no cool-off, -2 no key."""


ADMITTED = 1
LOCKED = 0
BUSY = 2


@dataclass(frozen=True)
class Verdict:
    """What ``admit.lua`` answered for one guess."""

    code: int
    """``ADMITTED``, ``LOCKED`` (confirmed failures reached the limit) or ``BUSY``
    (guesses in flight hold the free slots: ask again)."""
    failures: int
    """Highest confirmed failure count over the client's keys."""
    ttl_ms: int = -2
    """PTTL of the key holding ``failures`` (see :class:`Standing`)."""


@dataclass(frozen=True)
class Trail:
    """Where the login trail goes: one capped stream (see :mod:`axes_redis.trail`)."""

    key: str
    maxlen: int


def cooloff_milliseconds(cooloff: timedelta | None) -> str:
    """``PEXPIRE`` argument for a cool-off: exact to the millisecond, "" for none.

    Rounded up so that a sub-second cool-off (0.0004 s) still lasts, rather than
    truncating it to nothing as whole-second TTLs would.
    """
    if cooloff is None:
        return ""
    microseconds = cooloff // timedelta(microseconds=1)
    return str(max(0, -(-microseconds // 1000)))


def capped(value: object) -> bytes:
    """One metadata value as at most ``METADATA_MAX_BYTES`` bytes of valid UTF-8.

    Encoded with ``backslashreplace``, so a lone surrogate or a 100 kB username is
    stored safely instead of raising in the login path; cut on a character
    boundary, so the stored value never ends in half a character.
    """
    text = "" if value is None else str(value)
    if len(text) > METADATA_MAX_BYTES:
        text = text[:METADATA_MAX_BYTES]
    raw = text.encode("utf-8", errors="backslashreplace")
    if len(raw) > METADATA_MAX_BYTES:
        raw = raw[:METADATA_MAX_BYTES].decode("utf-8", errors="ignore").encode()
    return raw


def _metadata_args(metadata: Mapping[str, object]) -> list[bytes]:
    """Flatten metadata into field/value bytes that any username can become."""
    args: list[bytes] = []
    for field, value in metadata.items():
        args.append(field.encode())
        args.append(capped(value))
    return args


class AttemptStore:
    """Failure counters of tracked clients in one Redis (or Redis Cluster)."""

    def __init__(self, redis: RedisClient, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix

    def inflight(self, client_keys: Sequence[str]) -> list[str]:
        """The in-flight set of each client hash, in the same order."""
        return [keys.inflight_key(self.prefix, key) for key in client_keys]

    def admit(
        self,
        client_keys: Sequence[str],
        *,
        limit: int,
        hold_ms: int,
        guess: str,
        returned: Sequence[str] = (),
    ) -> Verdict:
        """Ask for a slot for one password evaluation, in one script call.

        ``returned`` are earlier guesses of the request known to be over without a
        failure: their slots are freed in the same call. On Redis Cluster, where a
        client with several lockout parameter sets spans several slots (one call
        each), a guess admitted on some and refused on another is taken back from
        the first ones, so it never holds a slot it was not given.
        """
        admitted: list[list[str]] = []
        highest = 0
        for group in self.slot_groups(client_keys):
            code, failures, ttl = scripts.run(
                self.redis,
                scripts.ADMIT,
                [*group, *self.inflight(group)],
                [int(limit), int(hold_ms), guess, *returned],
            )
            if int(code) != ADMITTED:
                for done in admitted:
                    self.release(done, [guess])
                return Verdict(int(code), int(failures), int(ttl))
            admitted.append(group)
            highest = max(highest, int(failures))
        return Verdict(ADMITTED, highest)

    def record_failure(
        self,
        client_keys: Sequence[str],
        *,
        cooloff: timedelta | None,
        limit: int,
        lock_out: bool,
        metadata: Mapping[str, object],
        guess: str | None = None,
        trail: Trail | None = None,
        keep_metadata: bool = True,
        tiers: str = "",
        retention: timedelta | None = None,
    ) -> FailureResult:
        """Count one failure on every key and decide the lockout, in one script call.

        ``guess`` is the guard's admission that this failure settles: its slot is
        freed in the same call. With ``trail`` the failure is also appended to the
        login trail, inside the same call. Without ``keep_metadata``
        (``AXES_REDIS_METADATA = False``) a client that reaches the limit is not
        described on its keys; the trail entry still gets who and where. ``tiers``
        (:func:`axes_redis.tiers.script_argument`) lets the script pick the cool-off
        from the count it writes. Without a cool-off, ``retention`` bounds how
        long a count below the limit lives (a lockout still persists).
        """
        inline = trail is not None and not self.is_cluster
        fields = _metadata_args(metadata) if keep_metadata or inline else []
        args: list[Any] = [
            cooloff_milliseconds(cooloff),
            int(limit),
            "1" if lock_out else "0",
            guess or "",
            trail.maxlen if inline and trail else "",
            "1" if keep_metadata else "0",
            tiers,
            cooloff_milliseconds(retention),
            *fields,
        ]
        stream = [trail.key] if inline and trail else []
        results = []
        for group in self.slot_groups(client_keys):
            results.append(
                scripts.run(
                    self.redis,
                    scripts.RECORD_FAILURE,
                    [*group, *(self.inflight(group) if guess else []), *stream],
                    args,
                )
            )
            if results[-1][1]:
                # Under Redis Cluster a client's keys may span slots, one call each: the
                # client is described once, by the first call that found it locked.
                args[5:] = ["0", tiers, cooloff_milliseconds(retention)]
        result = FailureResult(
            failures=max(int(failures) for failures, _, _, _ in results),
            locked=any(locked for _, locked, _, _ in results),
            trail_id=next((keys.key_text(tid) for _, _, tid, _ in results if tid), None),
            cooloff_ms=max(int(cooloff) for *_, cooloff in results),
        )
        if trail is not None and not inline:
            entry = {"event": "failure", "locked_out": int(result.locked), **metadata}
            result = replace(result, trail_id=self.append(trail, entry))
        return result

    def release(
        self,
        client_keys: Sequence[str],
        guesses: Sequence[str] = (),
        *,
        forget: bool = False,
        trail: Trail | None = None,
        entry: Mapping[str, object] | None = None,
    ) -> int:
        """Settle guesses that did not fail, in one script call.

        Free the slots of ``guesses`` on every key (and, with ``forget``, delete
        the client hashes); with ``trail``, append ``entry`` (a successful login).
        Returns how many client hashes were deleted. On Redis Cluster the trail,
        in a slot of its own, costs a command of its own.
        """
        mode = "forget" if forget else "release"
        if trail is not None and not self.is_cluster:
            fields = [] if entry is None else _metadata_args(entry)
            args: list[Any] = [mode, trail.maxlen, len(guesses), *guesses, *fields]
            found = [*client_keys, *self.inflight(client_keys), trail.key]
            return int(scripts.run(self.redis, scripts.RELEASE, found, args))
        deleted = sum(
            int(
                scripts.run(
                    self.redis,
                    scripts.RELEASE,
                    [*group, *self.inflight(group)],
                    [mode, "", len(guesses), *guesses],
                )
            )
            for group in self.slot_groups(client_keys)
            if group
        )
        if trail is not None and entry is not None:
            self.append(trail, entry)
        return deleted

    def append(self, trail: Trail, entry: Mapping[str, object]) -> str:
        """Append one entry (a login or a logout) to the login trail; one ``XADD``."""
        fields = _metadata_args(entry)
        added = self.redis.xadd(
            trail.key, dict(zip(fields[::2], fields[1::2], strict=True)), maxlen=trail.maxlen
        )
        return keys.key_text(added)

    @property
    def is_cluster(self) -> bool:
        return isinstance(self.redis, RedisCluster)

    def slot_groups(self, client_keys: Sequence[str]) -> list[list[str]]:
        """The keys split into one script call per hash slot.

        One group (one round trip) on a single Redis. On Redis Cluster a script may
        only touch one slot: one lockout parameter set is always one slot (its hash
        tag), so several sets cost one call each, and every count stays atomic per key.
        """
        if not self.is_cluster:
            return [list(client_keys)]
        groups: dict[int, list[str]] = {}
        for key in client_keys:
            groups.setdefault(key_slot(key.encode()), []).append(key)
        return list(groups.values())

    def failures(self, client_keys: Sequence[str]) -> int:
        """Highest failure count over the keys, in one script call."""
        return self.standing(client_keys).failures

    def standing(self, client_keys: Sequence[str]) -> Standing:
        """Highest failure count over the keys and its key's TTL, in one script call."""
        if not client_keys:
            return Standing(0, -2)
        found = [
            Standing(*map(int, scripts.run(self.redis, scripts.GET_FAILURES, group, [])))
            for group in self.slot_groups(client_keys)
        ]
        return max(found, key=lambda standing: standing.failures)

    def delete(self, client_keys: Sequence[str]) -> int:
        """Forget the given clients now (one ``UNLINK``); returns how many existed."""
        if not client_keys:
            return 0
        return int(self.redis.unlink(*client_keys))

    def scan(self, pattern: str) -> Iterator[str]:
        """Keys matching ``pattern``, without ``KEYS``; walks every primary of a cluster."""
        return keys_matching(self.redis, pattern)

    def _unlink_counting_clients(self, found: Iterable[str]) -> int:
        """UNLINK the keys of our schema among ``found``; count the client hashes.

        Keys that do not parse as ours are left alone, even under our prefix: with
        prefix ``axes`` the keys of a second site using ``axes:staging`` match the
        pattern ``axes:*`` but are not ours to delete.
        """
        removed = 0
        for batch in batched(found, UNLINK_BATCH):
            parsed = [(key, keys.parse_key(self.prefix, key)) for key in batch]
            tracked = [k for k, p in parsed if p is not None and p.kind == keys.KIND_CLIENT]
            others = [k for k, p in parsed if p is not None and p.kind == keys.KIND_INFLIGHT]
            if tracked:
                removed += self.delete(tracked)
            if others:
                self.redis.unlink(*others)
        return removed

    def reset_all(self) -> int:
        """Delete every key of our schema under our prefix; returns how many clients."""
        return self._unlink_counting_clients(self.scan(keys.prefix_pattern(self.prefix)))

    def reset(
        self,
        *,
        ip_address: str | None = None,
        username: str | None = None,
        ip_or_username: bool = False,
    ) -> int:
        """Delete the clients a django-axes reset names; returns how many were tracked.

        ``username`` (or ``ip_address``) alone removes every parameter set holding
        that value, combinations included. Both together remove the sets that hold
        at least one of them and contradict neither (``alice`` alone, the IP alone,
        ``alice`` at that IP, but not ``alice`` at another IP); with
        ``ip_or_username`` every set holding either value goes.
        """
        selector = Selector(username=username, ip_address=ip_address)
        if not selector:
            return self.reset_all()

        def matches(key: str) -> bool:
            parsed = keys.parse_key(self.prefix, key)
            return parsed is not None and selector.names(parsed, either=ip_or_username)

        found: set[str] = set()
        for pattern in selector.patterns(self.prefix):
            found.update(key for key in self.scan(pattern) if matches(key))
        return self._unlink_counting_clients(sorted(found))
