"""``axes_redis log``: the login trail, newest first (like ``AccessLog``, ``AccessFailureLog``)."""

from __future__ import annotations

import json
from argparse import _SubParsersAction
from collections.abc import Sequence
from typing import Any

from axes.conf import settings as axes_settings
from django.core.management.base import BaseCommand, CommandParser

from axes_redis import trail
from axes_redis.command.arguments import DEFAULT_LIST_LIMIT, positive_int, since
from axes_redis.command.output import printable, show_value, table
from axes_redis.connection import RedisClient
from axes_redis.paging import MAX_PAGE

NAME = "log"

TRAIL_COLUMNS = ("time", "event", "username", "ip address", "user agent", "path")


def add_parser(subcommands: _SubParsersAction[CommandParser], common: CommandParser) -> None:
    trail_log = subcommands.add_parser(
        NAME,
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


def trail_row(entry: trail.TrailEntry) -> dict[str, str]:
    return {
        "time": entry.time.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "event": entry.event + (" (locked out)" if entry.locked_out else ""),
        "username": show_value(entry.username or ""),
        "ip address": printable(entry.ip_address or ""),
        "user agent": printable(entry.user_agent or ""),
        "path": printable(entry.path_info or ""),
    }


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


def run(command: BaseCommand, redis: RedisClient, prefix: str, options: dict[str, Any]) -> None:
    limit: int = options["limit"]
    found: list[trail.TrailEntry] = []
    cursor: str | None = None
    while len(found) < limit:
        batch, cursor = trail.read(
            redis,
            prefix,
            username=options["username"],
            events=options["event"],
            since=options["since"],
            cursor=cursor,
            count=min(MAX_PAGE, limit - len(found)),
        )
        found.extend(batch)
        if cursor is None:
            break
    if options["json"]:
        for entry in found:
            command.stdout.write(json.dumps(entry.as_dict()))
    elif found:
        for line in table(TRAIL_COLUMNS, [trail_row(entry) for entry in found]):
            command.stdout.write(line)
    else:
        command.stdout.write("No trail entries.")
        note = trail_note(options["event"])
        if note:
            command.stderr.write(note)
    if cursor is not None:
        command.stderr.write(f"Showing the newest {limit} entries; raise --limit for more.")
