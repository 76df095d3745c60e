"""``python manage.py axes_redis``: list, inspect, reset and count tracked clients.

Reads go through :mod:`axes_redis.clients` (bounded ``SCAN`` pages, exact
searches); resets go through ``AxesRedisHandler.reset_attempts``, so they remove
exactly what django-axes' own ``axes_reset*`` commands remove. Every reset is
logged on the ``axes_redis`` logger with what was asked and how many went.
"""

from __future__ import annotations

import getpass
import json
import logging
import re
import shlex
import sys
from argparse import SUPPRESS, ArgumentTypeError
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from axes.conf import settings as axes_settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import timezone
from django.utils.connection import ConnectionDoesNotExist
from redis.cluster import RedisCluster
from redis.exceptions import RedisError

from axes_redis import clients, import_db, keys, overview, trail
from axes_redis.conf import axes_redis_settings
from axes_redis.connection import RedisCommandError, command_error, get_client
from axes_redis.handler import AxesRedisHandler
from axes_redis.store import AttemptStore

log = logging.getLogger("axes_redis")

DEFAULT_LIST_LIMIT = 100
COLUMNS = (
    "parameters",
    "failures",
    "limit",
    "locked",
    "first",
    "last",
    "unlocks in",
    "user agent",
    "path",
)
TRAIL_COLUMNS = ("time", "event", "username", "ip address", "user agent", "path")
CELL_WIDTH = {"parameters": 80, "username": 40, "user agent": 40, "path": 30}
"""Longest text a table cell shows (the JSON output always has everything)."""


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def printable(text: str) -> str:
    """Escape control and other non-printable characters (no terminal injection)."""
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def show_value(text: str) -> str:
    """A parameter value for a table cell: quoted when blank or holding spaces."""
    shown = printable(text)
    if not text or any(char.isspace() for char in text) or '"' in text:
        return json.dumps(text)
    return shown


def clip(text: str, width: int | None) -> str:
    if width is None or len(text) <= width:
        return text
    return text[: width - 1] + "…"


def moment(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


def unlocks_in(tracked: clients.TrackedClient) -> str:
    """``1m 36s``, ``2h 5m``: :func:`axes_redis.clients.duration`, rounded up."""
    if not tracked.locked:
        return "-"
    if tracked.ttl_ms is None:
        return "on reset"
    return clients.duration(tracked.ttl_ms, short=True)


def row(tracked: clients.TrackedClient) -> dict[str, str]:
    parameters = " ".join(
        f"{name}={show_value(value)}" for name, value in sorted(tracked.parameters.items())
    )
    return {
        "parameters": parameters,
        "failures": str(tracked.failures),
        "limit": "-" if tracked.limit is None else str(tracked.limit),
        "locked": "yes" if tracked.locked else "no",
        "first": moment(tracked.first),
        "last": moment(tracked.last),
        "unlocks in": unlocks_in(tracked),
        "user agent": printable(tracked.user_agent or ""),
        "path": printable(tracked.path_info or ""),
    }


def table(columns: Sequence[str], rows: Sequence[dict[str, str]]) -> list[str]:
    """Aligned columns, two spaces apart, trailing blanks trimmed."""
    cells = [{name: clip(text, CELL_WIDTH.get(name)) for name, text in r.items()} for r in rows]
    widths = {name: max([len(name), *(len(c[name]) for c in cells)]) for name in columns}
    lines = []
    for values in [dict(zip(columns, columns, strict=True)), *cells]:
        lines.append("  ".join(values[name].ljust(widths[name]) for name in columns).rstrip())
    return lines


def trail_row(entry: trail.TrailEntry) -> dict[str, str]:
    return {
        "time": entry.time.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "event": entry.event + (" (locked out)" if entry.locked_out else ""),
        "username": show_value(entry.username or ""),
        "ip address": printable(entry.ip_address or ""),
        "user agent": printable(entry.user_agent or ""),
        "path": printable(entry.path_info or ""),
    }


_RELATIVE = re.compile(r"^(\d+)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def since(text: str) -> datetime:
    """``--since``: a span back from now (``90m``, ``2h``, ``7d``) or an ISO 8601 time.

    A time without an offset is in the site's ``TIME_ZONE``.
    """
    relative = _RELATIVE.match(text.strip())
    if relative:
        seconds = int(relative.group(1)) * _UNIT_SECONDS[relative.group(2)]
        return timezone.now() - timedelta(seconds=seconds)
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ArgumentTypeError(
            f"{text!r} is neither a span such as 90m, 2h, 7d nor an ISO 8601 time"
        ) from None
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def redis_cli(client: Any) -> list[str]:
    """``redis-cli`` and the options that reach the server ``client`` talks to.

    Never a password: ``--askpass`` makes redis-cli prompt for it.
    """
    if isinstance(client, RedisCluster):
        cluster: Any = client  # redis-py's cluster API is untyped
        node = cluster.get_default_node()
        return ["redis-cli", "-c", "-h", str(node.host), "-p", str(node.port)]
    pool = getattr(client, "connection_pool", None)
    options: dict[str, Any] = dict(getattr(pool, "connection_kwargs", {}))
    command = ["redis-cli"]
    if options.get("path"):
        command += ["-s", str(options["path"])]
    elif options.get("host"):
        command += ["-h", str(options["host"]), "-p", str(options.get("port", 6379))]
    if int(options.get("db") or 0):
        command += ["-n", str(options["db"])]
    connection_class = getattr(pool, "connection_class", None)
    if connection_class is not None and "SSL" in connection_class.__name__:
        command.append("--tls")
    if options.get("username"):
        command += ["--user", str(options["username"])]
    if options.get("password"):
        command.append("--askpass")
    return command


def shell(words: Sequence[str]) -> str:
    return " ".join(shlex.quote(word) for word in words)


def common_options() -> CommandParser:
    """Django's options of every command, also accepted after the subcommand
    (``axes_redis list --verbosity 2``); unset, they leave the main parser's values."""
    common = CommandParser(add_help=False, argument_default=SUPPRESS)
    common.add_argument("-v", "--verbosity", type=int, choices=[0, 1, 2, 3])
    common.add_argument("--settings")
    common.add_argument("--pythonpath")
    common.add_argument("--traceback", action="store_true")
    common.add_argument("--no-color", action="store_true")
    common.add_argument("--force-color", action="store_true")
    common.add_argument("--skip-checks", action="store_true")
    return common


def username_note(username: str, found: Sequence[clients.TrackedClient]) -> str | None:
    """Why ``--username`` may miss failures: keys without the username do not name it.

    With ``AXES_LOCKOUT_PARAMETERS = ["ip_address"]`` (django-axes' default) a
    failure is counted under the IP alone; the username of the last failure is
    kept on that key for display, but searching it would mean reading every key
    in Redis and would still miss every failure but the last. The login trail
    holds them all, with their IPs.
    """
    parameters = axes_settings.AXES_LOCKOUT_PARAMETERS
    if isinstance(parameters, list):
        sets = [[p] if isinstance(p, str) else list(p) for p in parameters]
        if all("username" in names for names in sets):
            return None
    elif found:
        return None
    return (
        f"Failures counted under lockout parameters without the username (such as the IP "
        "address alone) are not found by --username. Find the IP addresses of "
        f"{printable(username)!r} with `axes_redis log --username` (failures are logged with "
        "AXES_ENABLE_ACCESS_FAILURE_LOG = True), then use --ip."
    )


def trail_note(events: Sequence[str] | None) -> str | None:
    """Why the trail may be empty: which events are not being recorded, and the setting."""
    wanted = set(events or trail.EVENTS)
    missing = []
    if "failure" in wanted and not axes_settings.AXES_ENABLE_ACCESS_FAILURE_LOG:
        missing.append("failed logins need AXES_ENABLE_ACCESS_FAILURE_LOG = True")
    if wanted & {"login", "logout"} and axes_settings.AXES_DISABLE_ACCESS_LOG:
        missing.append("logins and logouts need AXES_DISABLE_ACCESS_LOG = False")
    if not missing:
        return None
    return f"Not recorded in the trail with these settings: {'; '.join(missing)}."


def operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown user"


class Command(BaseCommand):
    help = (
        "Tracked clients of axes-redis: list them, inspect their Redis keys, "
        "reset them, or count them; read the login trail."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        common = common_options()
        subcommands = parser.add_subparsers(
            dest="subcommand", metavar="{list,inspect,reset,stats,log,import-db}", required=True
        )

        listing = subcommands.add_parser(
            "list",
            help="Tracked clients as a table or JSON lines (like axes_list_attempts).",
            parents=[common],
        )
        listing.add_argument("--locked", action="store_true", help="Locked-out clients only.")
        listing.add_argument("--username", help="Exact username (every set holding it).")
        listing.add_argument("--ip", help="Exact IP address (every set holding it).")
        listing.add_argument(
            "--limit",
            type=positive_int,
            default=DEFAULT_LIST_LIMIT,
            help=f"Show at most N clients (default {DEFAULT_LIST_LIMIT}).",
        )
        listing.add_argument("--json", action="store_true", help="One JSON object per line.")

        inspect = subcommands.add_parser(
            "inspect",
            help="The Redis keys of a client, their fields and TTLs, as redis-cli.",
            parents=[common],
        )
        inspect.add_argument("--username", help="Exact username.")
        inspect.add_argument("--ip", help="Exact IP address.")

        reset = subcommands.add_parser(
            "reset",
            help="Forget clients (as django-axes' axes_reset* commands do).",
            parents=[common],
        )
        reset.add_argument("--username", help="Every set holding this username.")
        reset.add_argument("--ip", help="Every set holding this IP address.")
        reset.add_argument("--all", action="store_true", help="Every tracked client.")
        reset.add_argument(
            "--dry-run", action="store_true", help="List what would go; remove nothing."
        )
        reset.add_argument("--yes", action="store_true", help="Do not ask to confirm --all.")

        stats = subcommands.add_parser(
            "stats",
            help="Counts, lockouts, parameter sets, memory (sampled), scripts, attack overview.",
            parents=[common],
        )
        stats.add_argument(
            "--sample",
            type=positive_int,
            default=clients.DEFAULT_MEMORY_SAMPLE,
            help="Keys whose MEMORY USAGE is measured (default %(default)s).",
        )
        stats.add_argument("--json", action="store_true", help="One JSON object.")

        trail_log = subcommands.add_parser(
            "log",
            help="The login trail, newest first (like AccessLog and AccessFailureLog).",
            parents=[common],
        )
        trail_log.add_argument("--username", help="Exact username.")
        trail_log.add_argument(
            "--since", type=since, help="A span back from now (90m, 2h, 7d) or an ISO 8601 time."
        )
        trail_log.add_argument(
            "--event", choices=trail.EVENTS, action="append", help="Only these events (repeat)."
        )
        trail_log.add_argument(
            "--limit",
            type=positive_int,
            default=DEFAULT_LIST_LIMIT,
            help=f"Show at most N entries (default {DEFAULT_LIST_LIMIT}).",
        )
        trail_log.add_argument("--json", action="store_true", help="One JSON object per line.")

        importing = subcommands.add_parser(
            "import-db",
            help="Carry django-axes' AccessAttempt rows that still count into Redis (idempotent).",
            parents=[common],
        )
        importing.add_argument(
            "--dry-run", action="store_true", help="Report what would be imported; write nothing."
        )
        importing.add_argument(
            "--database", help="Database alias of AccessAttempt (default: where routers read it)."
        )
        importing.add_argument(
            "--batch-size",
            type=positive_int,
            default=import_db.DEFAULT_BATCH_SIZE,
            help="Script calls per pipelined round trip (default %(default)s).",
        )
        importing.add_argument("--json", action="store_true", help="One JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        try:
            self.client = get_client()
            self.prefix = axes_redis_settings.key_prefix
            if subcommand == "list":
                self.list_clients(options)
            elif subcommand == "inspect":
                self.inspect_clients(options)
            elif subcommand == "reset":
                self.reset_clients(options)
            elif subcommand == "log":
                self.show_trail(options)
            elif subcommand == "import-db":
                self.import_attempts(options)
            else:
                self.show_stats(options)
        except RedisCommandError:
            raise
        except RedisError as exc:
            # One line on stderr and exit status 1, not a traceback (--traceback shows it).
            raise command_error(exc, f"axes_redis {subcommand}") from exc

    # --- list ------------------------------------------------------------------------

    def list_clients(self, options: dict[str, Any]) -> None:
        limit: int = options["limit"]
        more = False
        if options["username"] is not None or options["ip"] is not None:
            found = clients.find(
                self.client, self.prefix, username=options["username"], ip_address=options["ip"]
            )
            if options["locked"]:
                found = [tracked for tracked in found if tracked.locked]
        else:
            found, cursor = [], 0
            while len(found) < limit:
                cursor, batch = clients.page(
                    self.client,
                    self.prefix,
                    cursor,
                    count=min(clients.MAX_PAGE, limit - len(found)),
                    locked_only=options["locked"],
                )
                found.extend(batch)
                if cursor == 0:
                    break
            more = cursor != 0
        more = more or len(found) > limit
        # Newest failure first, among the clients shown.
        found = sorted(
            found[:limit], key=lambda t: t.last.timestamp() if t.last else 0.0, reverse=True
        )

        if options["json"]:
            for tracked in found:
                self.stdout.write(json.dumps(tracked.as_dict()))
        elif found:
            for line in table(COLUMNS, [row(t) for t in found]):
                self.stdout.write(line)
        else:
            self.stdout.write("No tracked clients.")
        if options["username"] is not None:
            note = username_note(options["username"], found)
            if note:
                self.stderr.write(note)
        if more:
            self.stderr.write(f"Showing the first {limit} clients found; raise --limit for more.")

    def find(self, named: dict[str, str]) -> list[clients.TrackedClient]:
        return clients.find(
            self.client,
            self.prefix,
            username=named.get("username"),
            ip_address=named.get("ip_address"),
        )

    # --- inspect ---------------------------------------------------------------------

    def _named(self, options: dict[str, Any], what: str) -> dict[str, str]:
        named = {
            name: options[option]
            for name, option in (("username", "username"), ("ip_address", "ip"))
            if options[option] is not None
        }
        if not named:
            raise CommandError(f"{what} needs --username and/or --ip.")
        return named

    def inspect_clients(self, options: dict[str, Any]) -> None:
        named = self._named(options, "inspect")
        found = self.find(named)
        cli = redis_cli(self.client)
        description = ", ".join(f"{name} {value!r}" for name, value in named.items())
        if not found:
            self.stdout.write(printable(f"No tracked client holds {description}."))
        if "username" in named:
            note = username_note(named["username"], found)
            if note:
                self.stderr.write(note)
        pipe = self.client.pipeline(transaction=False)
        for tracked in found:
            pipe.hgetall(tracked.key)
        raw_fields = pipe.execute(raise_on_error=False) if found else []
        for tracked, fields in zip(found, raw_fields, strict=True):
            state = "locked" if tracked.locked else "not locked"
            self.stdout.write(f"{tracked.key}")
            self.stdout.write(
                f"  {tracked.failures} failure(s), limit {tracked.limit}, {state}, "
                f"TTL {'none' if tracked.ttl_ms is None else f'{tracked.ttl_ms} ms'}"
            )
            if isinstance(fields, dict):
                for name, value in sorted(fields.items()):
                    text = clients.decode_text(value) or ""
                    if name in (b"first", b"last", "first", "last"):
                        text += f"  ({moment(clients.from_unix_ms(value))})"
                    line = f"    {printable(clients.decode_text(name) or '')}: {printable(text)}"
                    self.stdout.write(line.rstrip())
            for verb in ("HGETALL", "PTTL", "UNLINK"):
                self.stdout.write(f"  $ {shell([*cli, verb, tracked.key])}")
        self.stdout.write("Every key holding the value, combinations included:")
        for name, value in named.items():
            pattern = keys.parameter_pattern(self.prefix, name, value)
            self.stdout.write(f"  $ {shell([*cli, '--scan', '--pattern', pattern])}")

    # --- reset -----------------------------------------------------------------------

    def reset_clients(self, options: dict[str, Any]) -> None:
        if options["all"]:
            if options["username"] is not None or options["ip"] is not None:
                raise CommandError("reset: --all cannot be combined with --username or --ip.")
            self.reset_all(options)
            return
        named = self._named(options, "reset (or --all)")
        what = ", ".join(f"{name}={value!r}" for name, value in named.items())
        if options["dry_run"]:
            targets = [t.key for t in self.find(named)]
            self.dry_run(targets)
            return
        count = AxesRedisHandler().reset_attempts(
            username=named.get("username"), ip_address=named.get("ip_address")
        )
        self.removed(what, count)

    def reset_all(self, options: dict[str, Any]) -> None:
        if options["dry_run"]:
            store = AttemptStore(self.client, self.prefix)
            targets = [
                key
                for key in store.scan(keys.clients_pattern(self.prefix))
                if (parsed := keys.parse_key(self.prefix, key)) and parsed.kind == keys.KIND_CLIENT
            ]
            self.dry_run(sorted(targets))
            return
        if not options["yes"]:
            self.confirm(options.get("stdin") or sys.stdin)
        self.removed("every client", AxesRedisHandler().reset_attempts())

    def confirm(self, stdin: Any) -> None:
        isatty = getattr(stdin, "isatty", None)
        if not (isatty and isatty()):
            raise CommandError(
                "reset --all: stdin is not interactive; pass --yes to reset every client."
            )
        self.stdout.write(
            f"This forgets every tracked client under the prefix {self.prefix!r}, "
            "unlocking everyone locked out. Type 'yes' to continue: ",
            ending="",
        )
        self.stdout.flush()
        if stdin.readline().strip() != "yes":
            raise CommandError("reset --all: not confirmed; nothing was removed.")

    def dry_run(self, targets: Sequence[str]) -> None:
        for key in targets:
            self.stdout.write(f"would remove {key}")
        self.stdout.write(f"{len(targets)} client(s) would be removed (dry run, nothing removed).")

    def removed(self, what: str, count: int) -> None:
        log.info(
            "%s reset %s from the command line: %d client(s) removed.",
            operator(),
            what,
            count,
        )
        self.stdout.write(f"{count} client(s) removed.")

    # --- stats -----------------------------------------------------------------------

    def show_stats(self, options: dict[str, Any]) -> None:
        found = clients.stats(self.client, self.prefix, sample=options["sample"])
        # The attack overview's numbers; the locked count above is already exact.
        attack = overview.read(self.client, self.prefix, locked_limit=None)
        if options["json"]:
            self.stdout.write(json.dumps({**found.as_dict(), "overview": attack.as_dict()}))
            return
        write = self.stdout.write
        write(f"Tracked clients:  {found.tracked}")
        write(f"Locked clients:   {found.locked}")
        write("Tracked clients by lockout parameters:")
        width = max([len(name) for name in found.by_parameters] or [0])
        for name, count in found.by_parameters.items():
            write(f"  {name.ljust(width)}  {count}")
        if not found.by_parameters:
            write("  (none)")
        write(f"Keys of ours:     {found.keys}")
        if found.memory_sampled_bytes is None:
            write("Memory:           unknown (the server has no MEMORY USAGE)")
        else:
            kind = "measured" if found.memory_sampled_keys == found.keys else "sampled"
            write(
                f"Memory ({kind}): ~{found.memory_estimated_bytes} bytes "
                f"(MEMORY USAGE of {found.memory_sampled_keys} of {found.keys} keys: "
                f"{found.memory_sampled_bytes} bytes)"
            )
        trail_memory = "unknown" if found.trail_bytes is None else f"{found.trail_bytes} bytes"
        write(f"Login trail:      {found.trail_entries} entries ({trail_memory})")
        for line in overview.report_lines(attack):
            write(printable(line))
        write("Lua scripts:")
        width = max(len(script.name) for script in found.scripts)
        for script in found.scripts:
            loaded = "loaded" if script.loaded else "not loaded (loads on first use)"
            write(f"  {script.name.ljust(width)}  {script.sha1}  {loaded}")

    # --- import-db ---------------------------------------------------------------------

    def import_attempts(self, options: dict[str, Any]) -> None:
        """Thin over :mod:`axes_redis.import_db`; database errors become one line."""
        try:
            report = import_db.import_attempts(
                self.client,
                self.prefix,
                using=options["database"],
                dry_run=options["dry_run"],
                batch_size=options["batch_size"],
            )
        except ConnectionDoesNotExist as exc:
            raise CommandError(f"axes_redis import-db: {exc}") from exc
        except DatabaseError as exc:
            raise CommandError(
                f"axes_redis import-db: AccessAttempt could not be read ({exc}); "
                "is django-axes migrated on that database?"
            ) from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict()))
        else:
            for line in report.lines():
                self.stdout.write(printable(line))
        if not report.dry_run:
            log.info(
                "%s imported %d AccessAttempt row(s) from %r into %d Redis key(s) "
                "(%d created, %d updated, %d unchanged) from the command line.",
                operator(),
                report.imported_rows,
                report.database,
                report.keys,
                report.created,
                report.raised,
                report.unchanged,
            )

    # --- log -------------------------------------------------------------------------

    def show_trail(self, options: dict[str, Any]) -> None:
        limit: int = options["limit"]
        found: list[trail.TrailEntry] = []
        cursor: str | None = None
        while len(found) < limit:
            batch, cursor = trail.read(
                self.client,
                self.prefix,
                username=options["username"],
                events=options["event"],
                since=options["since"],
                cursor=cursor,
                count=min(trail.MAX_PAGE, limit - len(found)),
            )
            found.extend(batch)
            if cursor is None:
                break
        if options["json"]:
            for entry in found:
                self.stdout.write(json.dumps(entry.as_dict()))
        elif found:
            for line in table(TRAIL_COLUMNS, [trail_row(entry) for entry in found]):
                self.stdout.write(line)
        else:
            self.stdout.write("No trail entries.")
            note = trail_note(options["event"])
            if note:
                self.stderr.write(note)
        if cursor is not None:
            self.stderr.write(f"Showing the newest {limit} entries; raise --limit for more.")
