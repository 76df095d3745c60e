"""Carry django-axes' database lockouts into Redis: ``manage.py axes_redis import-db``.

A site leaving ``AxesDatabaseHandler`` has failures and lockouts in its
``AccessAttempt`` table that must not be lost at the switch. Each row that still
counts becomes what :class:`axes_redis.handler.AxesRedisHandler` would have
written had it seen those failures:

* The keys come from django-axes' own ``get_client_parameters`` under the current
  ``AXES_LOCKOUT_PARAMETERS`` (asked with a request rebuilt from the row, for
  callables) and :func:`axes_redis.keys.client_key`, exactly as the handler does.
* Several rows can map to one key (one row per username, IP and user agent; one
  key per lockout parameter set): the key's count is the sum of theirs, which is
  what ``AxesDatabaseHandler.get_failures`` adds up for that set.
* A row still counts while its cool-off runs (``attempt_time`` + the cool-off >
  now), or for ever without a cool-off, as in ``AxesDatabaseHandler``. The key's
  TTL is the cool-off left after its newest row, chosen as ``record_failure.lua``
  chooses it: the tier the count reached (``AXES_LOCKOUT_TIERS``), else
  ``AXES_COOLOFF_TIME``; without either, a count below the limit gets
  ``AXES_REDIS_RETENTION`` (a lockout persists until reset).
* Rows the handler would not have counted are skipped and reported by reason:
  cool-off over, whitelisted now, no username when it is the only lockout
  parameter, or unusable (no failures, lockout parameters that cannot be
  computed for the row).

Writing is idempotent (``lua/import_attempt.lua`` keeps the larger count and the
longer TTL, so a rerun changes nothing and never lowers what the live handler
counted meanwhile) and batched: rows are read with ``.iterator()`` in chunks,
keys are written as pipelines of at most ``batch_size`` single-key script calls,
so no Redis command runs long and the import works on Redis Cluster (one
pipeline per primary there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from axes.helpers import get_client_parameters, get_credentials, get_lockout_parameters
from axes.models import AccessAttempt
from django.db import router
from redis.cluster import RedisCluster
from redis.exceptions import AskError, MovedError, NoScriptError

from axes_redis import keys, scripts
from axes_redis.conf import axes_redis_settings
from axes_redis.connection import RedisClient
from axes_redis.handler import AxesRedisHandler
from axes_redis.import_report import (
    EXPIRED,
    NO_USERNAME,
    PAST_RETENTION,
    UNUSABLE,
    WHITELISTED,
    ImportReport,
)
from axes_redis.import_rows import (
    Row,
    RowRequest,
    aware,
    cooloff_for,
    current_time,
    read_rows,
    unix_ms,
)
from axes_redis.paging import batched
from axes_redis.parameters import failure_limit
from axes_redis.store import _metadata_args, cooloff_milliseconds

SCRIPT = "import_attempt"
"""``lua/import_attempt.lua``: merge one key, keeping the larger count and the longer TTL."""

DEFAULT_BATCH_SIZE = 500
"""Script calls per pipelined round trip: each call touches one small hash, so a
batch keeps Redis busy only briefly and a large table takes few trips."""

TTL_TOLERANCE_MS = 1000
"""A TTL less than this much longer than the stored one is the same cool-off: the
clock moves between two runs, and ``Retry-After`` is in whole seconds anyway."""

MAX_PROBLEMS = 5
"""Unusable rows described by primary key and reason in the report; the rest counted."""

CREATED, RAISED = 1, 2
"""``import_attempt.lua``'s answers besides 0 (left as it was)."""


@dataclass
class Pending:
    """One Redis key being assembled from the rows that map to it."""

    key: str
    parameter_set: str
    failures: int
    first: datetime
    newest: Row
    rows: list[int] = field(default_factory=list)
    """Indexes (in reading order) of the rows summed here."""


@dataclass(frozen=True)
class Write:
    """What one key gets: the ``import_attempt.lua`` call for it."""

    key: str
    expires_at: datetime | None
    """End of the cool-off (``None``: the key persists). The TTL is taken from it
    when the batch is sent, not when the rows were read, which may be seconds
    earlier: so the key ends when it should, and a rerun finds the same TTL."""
    counts: list[Any]
    """ARGV[1..4]: failures, limit, first, last."""
    rest: list[Any]
    """ARGV[6..]: tolerance, metadata flag, metadata pairs."""

    def args(self, now: datetime) -> list[Any]:
        ttl = ""
        if self.expires_at is not None:
            ttl = str(max(1, int(cooloff_milliseconds(self.expires_at - now))))
        return [*self.counts, ttl, *self.rest]


class Importer:
    """One run: rows in, keys assembled, then merged into Redis batch by batch."""

    def __init__(
        self,
        redis: RedisClient,
        prefix: str,
        *,
        using: str | None = None,
        dry_run: bool = False,
        batch_size: int = DEFAULT_BATCH_SIZE,
        now: datetime | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.redis = redis
        self.prefix = prefix
        self.using = using or router.db_for_read(AccessAttempt)
        self.now = aware(now) if now is not None else current_time()
        self.handler = AxesRedisHandler()
        self.report = ImportReport(database=self.using, dry_run=dry_run, batch_size=batch_size)
        self.pending: dict[str, Pending] = {}

    # --- rows -> keys -----------------------------------------------------------------

    def skip(self, reason: str, row: Row | None = None, why: str = "") -> None:
        self.report.skipped[reason] += 1
        if row is not None and why and len(self.report.problems) < MAX_PROBLEMS:
            self.report.problems.append(f"row pk={row.pk!r}: {why}")

    def add(self, index: int, row: Row) -> None:
        """Sum one row into the keys the handler would have counted its failures on."""
        if not isinstance(row.failures, int) or row.failures < 1:
            self.skip(UNUSABLE, row, f"failures_since_start is {row.failures!r}")
            return
        request = RowRequest(row)
        credentials = get_credentials(row.username)
        try:
            cooloff = cooloff_for(row.failures, request)
            if cooloff is not None and aware(row.attempt_time) + cooloff <= self.now:
                self.skip(EXPIRED)
                return
            if self.handler.is_whitelisted(request, credentials):
                self.skip(WHITELISTED)
                return
            if row.username is None and get_lockout_parameters(request, credentials) == [
                "username"
            ]:
                self.skip(NO_USERNAME)
                return
            parameter_sets = get_client_parameters(
                row.username, row.ip_address, row.user_agent, request, credentials
            )
            found = {keys.client_key(self.prefix, p): p for p in parameter_sets}
        except (TypeError, ValueError) as exc:
            self.skip(UNUSABLE, row, f"{type(exc).__name__}: {exc}")
            return
        for key, parameters in found.items():
            tracked = self.pending.get(key)
            if tracked is None:
                tracked = self.pending[key] = Pending(
                    key=key,
                    parameter_set="+".join(sorted(parameters)),
                    failures=0,
                    first=row.attempt_time,
                    newest=row,
                )
            tracked.failures += row.failures
            tracked.rows.append(index)
            if aware(row.attempt_time) < aware(tracked.first):
                tracked.first = row.attempt_time
            if aware(row.attempt_time) > aware(tracked.newest.attempt_time):
                tracked.newest = row

    def plan(self, tracked: Pending) -> Write | str:
        """The script call for one key, or why it is dropped after all (its newest row
        plus the cool-off the summed count earns is already past)."""
        newest = tracked.newest
        request = RowRequest(newest)  # rebuilt: one request per key is not kept
        try:
            limit = failure_limit(request, get_credentials(newest.username))
            cooloff = cooloff_for(tracked.failures, request)
        except (TypeError, ValueError):
            return UNUSABLE
        reason = EXPIRED
        locked = tracked.failures >= limit
        if cooloff is None and not (locked and self.handler.locks_here(request)):
            cooloff, reason = axes_redis_settings.retention, PAST_RETENTION
        expires_at = None
        if cooloff is not None:
            expires_at = aware(newest.attempt_time) + cooloff
            if expires_at <= self.now:
                return reason
        metadata = {
            "username": newest.username,
            "ip_address": newest.ip_address,
            "user_agent": newest.user_agent,
            "path_info": newest.path_info,
        }
        keep = axes_redis_settings.metadata
        self.report.by_parameters[tracked.parameter_set] += 1
        self.report.locked += int(locked)
        self.report.persistent += int(expires_at is None)
        return Write(
            key=tracked.key,
            expires_at=expires_at,
            counts=[
                tracked.failures,
                int(limit),
                unix_ms(tracked.first),
                unix_ms(newest.attempt_time),
            ],
            rest=[
                TTL_TOLERANCE_MS,
                "1" if keep else "0",
                *(_metadata_args(metadata) if keep else []),
            ],
        )

    def plans(self, rows: int) -> list[Write]:
        """Every key's call; rows whose keys were all dropped are counted as skipped."""
        writes: list[Write] = []
        kept = [False] * rows
        dropped: dict[int, str] = {}
        for tracked in self.pending.values():
            planned = self.plan(tracked)
            if isinstance(planned, Write):
                writes.append(planned)
                for index in tracked.rows:
                    kept[index] = True
            else:
                for index in tracked.rows:
                    dropped.setdefault(index, planned)
        for index, reason in dropped.items():
            if not kept[index]:
                self.skip(reason)
        self.report.imported_rows = sum(kept)
        self.report.keys = len(writes)
        return writes

    # --- keys -> Redis ----------------------------------------------------------------

    def routes(self, batch: Sequence[Write]) -> list[tuple[Any, list[int]]]:
        """Which connection sends which calls of ``batch``: all of them on one Redis; on
        Redis Cluster, whose pipelines refuse scripts, one plain pipeline per primary,
        each with the calls whose key that primary serves."""
        if not isinstance(self.redis, RedisCluster):
            return [(self.redis, list(range(len(batch))))]
        cluster: Any = self.redis  # redis-py's cluster API is untyped
        routes: dict[str, tuple[Any, list[int]]] = {}
        for index, write in enumerate(batch):
            node = cluster.get_node_from_key(write.key)
            routes.setdefault(node.name, (cluster.get_redis_connection(node), []))[1].append(index)
        return list(routes.values())

    def send(self, batch: Sequence[Write]) -> list[Any]:
        """The batch's script calls, pipelined: one round trip per Redis (per primary).

        A call that met a cold script cache (``SCRIPT FLUSH``, a failover) or a slot
        that moved is sent again alone through ``redis``, which loads the script
        and follows the redirection; safe because the script is idempotent.
        """
        moment = current_time()
        replies: list[Any] = [None] * len(batch)
        for connection, indexes in self.routes(batch):
            pipe = connection.pipeline(transaction=False)
            for index in indexes:
                write = batch[index]
                pipe.evalsha(scripts.sha(SCRIPT), 1, write.key, *write.args(moment))
            for index, reply in zip(indexes, pipe.execute(raise_on_error=False), strict=True):
                replies[index] = reply
        for index, reply in enumerate(replies):
            if isinstance(reply, NoScriptError | MovedError | AskError):
                write = batch[index]
                replies[index] = scripts.run(
                    self.redis, SCRIPT, [write.key], write.args(current_time())
                )
            elif isinstance(reply, Exception):
                raise reply
        return replies

    def write(self, writes: Sequence[Write]) -> None:
        size = self.report.batch_size
        self.report.batches = -(-len(writes) // size)
        if self.report.dry_run or not writes:
            return
        self.redis.script_load(scripts.source(SCRIPT))
        for batch in batched(writes, size):
            for reply in self.send(batch):
                code = int(reply)
                if code == CREATED:
                    self.report.created += 1
                elif code == RAISED:
                    self.report.raised += 1
                else:
                    self.report.unchanged += 1

    def run(self) -> ImportReport:
        rows = 0
        for index, row in enumerate(read_rows(self.using)):
            rows += 1
            self.add(index, row)
        self.report.rows = rows
        self.write(self.plans(rows))
        return self.report


def import_attempts(
    redis: RedisClient,
    prefix: str,
    *,
    using: str | None = None,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    now: datetime | None = None,
) -> ImportReport:
    """Carry the ``AccessAttempt`` rows that still count into Redis (see the module docstring).

    ``using`` is the database alias (default: where the routers read
    ``AccessAttempt``); ``dry_run`` computes and reports everything, writes nothing.
    """
    return Importer(
        redis, prefix, using=using, dry_run=dry_run, batch_size=batch_size, now=now
    ).run()
