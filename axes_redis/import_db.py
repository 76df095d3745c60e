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

import functools
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from axes.helpers import (
    get_client_parameters,
    get_cool_off,
    get_credentials,
    get_lockout_parameters,
)
from axes.models import AccessAttempt
from django.db import router
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from redis.cluster import RedisCluster
from redis.exceptions import AskError, MovedError, NoScriptError

from axes_redis import keys, scripts, tiers
from axes_redis.conf import axes_redis_settings
from axes_redis.handler import AxesRedisHandler
from axes_redis.parameters import failure_limit
from axes_redis.store import _metadata_args, cooloff_milliseconds

SCRIPT = "import_attempt"
"""``lua/import_attempt.lua``: merge one key, keeping the larger count and the longer TTL."""

DEFAULT_BATCH_SIZE = 500
"""Script calls per pipelined round trip: each call touches one small hash, so a
batch keeps Redis busy for about a millisecond, and 100,000 keys take 200 trips."""

ROW_CHUNK = 2000
"""Rows fetched per database round trip (``QuerySet.iterator(chunk_size=...)``)."""

TTL_TOLERANCE_MS = 1000
"""A TTL less than this much longer than the stored one is the same cool-off: the
clock moves between two runs, and ``Retry-After`` is in whole seconds anyway."""

MAX_PROBLEMS = 5
"""Unusable rows described by primary key and reason in the report; the rest counted."""

EXPIRED = "expired"
PAST_RETENTION = "past retention"
WHITELISTED = "whitelisted"
NO_USERNAME = "no username"
UNUSABLE = "unusable"
REASONS = {
    EXPIRED: "cool-off over",
    PAST_RETENTION: "no cool-off, below the limit, older than AXES_REDIS_RETENTION",
    WHITELISTED: "whitelisted under the current settings",
    NO_USERNAME: "no username, and the username is the only lockout parameter",
    UNUSABLE: "no failures, or lockout parameters that cannot be computed",
}
"""Why a row was skipped, in report order."""

_FIELDS = (
    "pk",
    "username",
    "ip_address",
    "user_agent",
    "path_info",
    "http_accept",
    "failures_since_start",
    "attempt_time",
)

CREATED, RAISED = 1, 2
"""``import_attempt.lua``'s answers besides 0 (left as it was)."""


@dataclass(frozen=True)
class Row:
    """The columns of one ``AccessAttempt`` that the handler's keys and metadata need."""

    pk: Any
    username: str | None
    ip_address: str | None
    user_agent: str
    path_info: str
    http_accept: str
    failures: int
    attempt_time: datetime


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


@dataclass
class ImportReport:
    """What ``import-db`` read, what it carried over and what it skipped."""

    database: str
    dry_run: bool
    batch_size: int
    rows: int = 0
    imported_rows: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    keys: int = 0
    by_parameters: Counter[str] = field(default_factory=Counter)
    locked: int = 0
    """Keys whose imported count reaches their limit: lockouts carried over."""
    persistent: int = 0
    """Keys written without a TTL (no cool-off: locked until reset)."""
    created: int = 0
    raised: int = 0
    unchanged: int = 0
    batches: int = 0
    """Pipelined round trips of script calls (the batches a dry run would send)."""
    problems: list[str] = field(default_factory=list)

    @property
    def skipped_rows(self) -> int:
        return sum(self.skipped.values())

    def lines(self) -> list[str]:
        """The report as the command prints it."""
        verb = "would be" if self.dry_run else "were"
        found = [
            f"Read {self.rows} AccessAttempt row(s) from the database {self.database!r}.",
            f"Imported: {self.imported_rows} row(s) -> {self.keys} Redis key(s) "
            f"({self.locked} locked out, {self.persistent} without a cool-off).",
        ]
        width = max(len(name) for name in self.by_parameters) if self.by_parameters else 0
        for name, count in sorted(self.by_parameters.items()):
            found.append(f"  {name.ljust(width)}  {count}")
        found.append(f"Skipped:  {self.skipped_rows} row(s).")
        for reason, why in REASONS.items():
            if self.skipped[reason]:
                found.append(f"  {reason}: {self.skipped[reason]} ({why})")
        found.extend(f"  {problem}" for problem in self.problems)
        hidden = self.skipped[UNUSABLE] - len(self.problems)
        if hidden > 0 and self.problems:
            found.append(f"  ... and {hidden} more unusable row(s)")
        if self.dry_run:
            found.append(
                f"Dry run: nothing written; {self.keys} key(s) {verb} merged in "
                f"{self.batches} batch(es) of at most {self.batch_size} script calls."
            )
        else:
            found.append(
                f"Redis: {self.created} key(s) created, {self.raised} updated, "
                f"{self.unchanged} unchanged (already as many failures and as long a "
                f"cool-off), in {self.batches} batch(es) of at most {self.batch_size} "
                "script calls."
            )
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "imported_rows": self.imported_rows,
            "skipped": {reason: self.skipped[reason] for reason in REASONS},
            "keys": self.keys,
            "by_parameters": dict(sorted(self.by_parameters.items())),
            "locked": self.locked,
            "persistent": self.persistent,
            "created": self.created,
            "raised": self.raised,
            "unchanged": self.unchanged,
            "batches": self.batches,
            "batch_size": self.batch_size,
        }


@functools.cache
def _no_data() -> QueryDict:
    """One empty, immutable ``QueryDict`` shared by every rebuilt request (made on first
    use: it reads ``DEFAULT_CHARSET``, which must not happen at import)."""
    return QueryDict()


class RowRequest(HttpRequest):
    """A request as django-axes' middleware would have left it for the failure in a row.

    Callables (``AXES_LOCKOUT_PARAMETERS``, ``AXES_COOLOFF_TIME``,
    ``AXES_FAILURE_LIMIT``, ``AXES_WHITELIST_CALLABLE``) take a request: this one
    carries what the row knows (IP, user agent, path, attempt time, count), is a
    POST, as a login is, and has no query, form data or cookies. Like Django's
    ``WSGIRequest`` it does not call ``HttpRequest.__init__``, whose four fresh
    ``QueryDict``s per request were a third of an import's time.
    """

    def __init__(self, row: Row) -> None:
        # QueryDict() is immutable, which the stubs' overloads cannot tell.
        self.GET = self.POST = _no_data()  # type: ignore[assignment]
        self.COOKIES = {}
        self.FILES = MultiValueDict()
        self.META = {
            "REMOTE_ADDR": row.ip_address or "",
            "HTTP_USER_AGENT": row.user_agent,
            "HTTP_ACCEPT": row.http_accept,
            "PATH_INFO": row.path_info,
            "REQUEST_METHOD": "POST",
        }
        self.path = self.path_info = row.path_info
        self.method = "POST"
        self.resolver_match = None
        self.content_type = None
        self.content_params = None
        self.axes_ip_address = row.ip_address
        self.axes_user_agent = row.user_agent
        self.axes_path_info = row.path_info
        self.axes_http_accept = row.http_accept
        self.axes_attempt_time = row.attempt_time
        self.axes_failures_since_start = row.failures
        self.axes_locked_out = False
        self.axes_updated = True


def cooloff_for(failures: int, request: HttpRequest) -> timedelta | None:
    """The cool-off ``record_failure.lua`` gives a client at ``failures``: the tier
    reached, else ``AXES_COOLOFF_TIME`` (``None``: no cool-off)."""
    tier = tiers.in_force(tiers.configured(), failures)
    return tier.cooloff if tier is not None else get_cool_off(request)


def aware(moment: datetime) -> datetime:
    """A time comparable with any other, whatever ``USE_TZ`` says: with ``USE_TZ =
    False`` Django hands out naive times in ``TIME_ZONE``, ``attempt_time`` included."""
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def current_time() -> datetime:
    """Now, as :func:`aware` makes every time."""
    return aware(timezone.now())


def unix_ms(moment: datetime) -> int:
    return int(aware(moment).timestamp() * 1000)


def read_rows(using: str) -> Iterator[Row]:
    """Every ``AccessAttempt`` row, in chunks of :data:`ROW_CHUNK`, without model instances."""
    found = AccessAttempt.objects.using(using).order_by().values_list(*_FIELDS)
    for values in found.iterator(chunk_size=ROW_CHUNK):
        pk, username, ip, agent, path, accept, failures, moment = values
        yield Row(pk, username, ip, agent or "", path or "", accept or "", failures, moment)


class Importer:
    """One run: rows in, keys assembled, then merged into Redis batch by batch."""

    def __init__(
        self,
        client: Any,
        prefix: str,
        *,
        using: str | None = None,
        dry_run: bool = False,
        batch_size: int = DEFAULT_BATCH_SIZE,
        now: datetime | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.client = client
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
        """Which client sends which calls of ``batch``: all of them on one Redis; on
        Redis Cluster, whose pipelines refuse scripts, one plain pipeline per primary,
        each with the calls whose key that primary serves."""
        if not isinstance(self.client, RedisCluster):
            return [(self.client, list(range(len(batch))))]
        cluster: Any = self.client  # redis-py's cluster API is untyped
        routes: dict[str, tuple[Any, list[int]]] = {}
        for index, write in enumerate(batch):
            node = cluster.get_node_from_key(write.key)
            routes.setdefault(node.name, (cluster.get_redis_connection(node), []))[1].append(index)
        return list(routes.values())

    def send(self, batch: Sequence[Write]) -> list[Any]:
        """The batch's script calls, pipelined: one round trip per Redis (per primary).

        A call that met a cold script cache (``SCRIPT FLUSH``, a failover) or a slot
        that moved is sent again alone through the client, which loads the script
        and follows the redirection; safe because the script is idempotent.
        """
        moment = current_time()
        replies: list[Any] = [None] * len(batch)
        for client, indexes in self.routes(batch):
            pipe = client.pipeline(transaction=False)
            for index in indexes:
                write = batch[index]
                pipe.evalsha(scripts.sha(SCRIPT), 1, write.key, *write.args(moment))
            for index, reply in zip(indexes, pipe.execute(raise_on_error=False), strict=True):
                replies[index] = reply
        for index, reply in enumerate(replies):
            if isinstance(reply, NoScriptError | MovedError | AskError):
                write = batch[index]
                replies[index] = scripts.run(
                    self.client, SCRIPT, [write.key], write.args(current_time())
                )
            elif isinstance(reply, Exception):
                raise reply
        return replies

    def write(self, writes: Sequence[Write]) -> None:
        size = self.report.batch_size
        self.report.batches = -(-len(writes) // size)
        if self.report.dry_run or not writes:
            return
        self.client.script_load(scripts.source(SCRIPT))
        iterator = iter(writes)
        while batch := list(islice(iterator, size)):
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
    client: Any,
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
        client, prefix, using=using, dry_run=dry_run, batch_size=batch_size, now=now
    ).run()
