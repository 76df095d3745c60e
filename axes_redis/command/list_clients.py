"""``axes_redis list``: tracked clients as a table or JSON lines (like ``axes_list_attempts``)."""

from __future__ import annotations

import json
from argparse import _SubParsersAction
from collections.abc import Sequence
from typing import Any

from axes.conf import settings as axes_settings
from django.core.management.base import BaseCommand, CommandParser

from axes_redis import clients
from axes_redis.command.arguments import DEFAULT_LIST_LIMIT, given_selector, positive_int
from axes_redis.command.output import moment, printable, show_value, table
from axes_redis.connection import RedisClient
from axes_redis.paging import MAX_PAGE

NAME = "list"

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


def add_parser(subcommands: _SubParsersAction[CommandParser], common: CommandParser) -> None:
    listing = subcommands.add_parser(
        NAME,
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


def run(command: BaseCommand, redis: RedisClient, prefix: str, options: dict[str, Any]) -> None:
    limit: int = options["limit"]
    more = False
    selector = given_selector(options)
    if selector:
        found = clients.find(
            redis, prefix, username=selector.username, ip_address=selector.ip_address
        )
        if options["locked"]:
            found = [tracked for tracked in found if tracked.locked]
    else:
        found, cursor = [], 0
        while len(found) < limit:
            cursor, batch = clients.page(
                redis,
                prefix,
                cursor,
                count=min(MAX_PAGE, limit - len(found)),
                locked_only=options["locked"],
            )
            found.extend(batch)
            if cursor == 0:
                break
        more = cursor != 0
    more = more or len(found) > limit
    # Newest failure first, among the clients shown.
    found = sorted(found[:limit], key=lambda t: t.last.timestamp() if t.last else 0.0, reverse=True)

    if options["json"]:
        for tracked in found:
            command.stdout.write(json.dumps(tracked.as_dict()))
    elif found:
        for line in table(COLUMNS, [row(t) for t in found]):
            command.stdout.write(line)
    else:
        command.stdout.write("No tracked clients.")
    if selector.username is not None:
        note = username_note(selector.username, found)
        if note:
            command.stderr.write(note)
    if more:
        command.stderr.write(f"Showing the first {limit} clients found; raise --limit for more.")
