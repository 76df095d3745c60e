"""``axes_redis reset``: forget clients, as django-axes' ``axes_reset*`` commands do.

Resets go through ``AxesRedisHandler.reset_attempts``, so they remove exactly
what django-axes' own commands remove. Every reset is logged on the
``axes_redis`` logger with what was asked and how many went.
"""

from __future__ import annotations

import logging
import sys
from argparse import _SubParsersAction
from collections.abc import Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from axes_redis import clients, keys, scan
from axes_redis.command.arguments import given_selector, operator, required_selector
from axes_redis.connection import RedisClient
from axes_redis.handler import AxesRedisHandler

log = logging.getLogger("axes_redis")

NAME = "reset"


def add_parser(subcommands: _SubParsersAction[CommandParser], common: CommandParser) -> None:
    reset = subcommands.add_parser(
        NAME,
        help="Forget clients (as django-axes' axes_reset* commands do).",
        parents=[common],
    )
    reset.add_argument("--username", help="Every set holding this username.")
    reset.add_argument("--ip", help="Every set holding this IP address.")
    reset.add_argument("--all", action="store_true", help="Every tracked client.")
    reset.add_argument("--dry-run", action="store_true", help="List what would go; remove nothing.")
    reset.add_argument("--yes", action="store_true", help="Do not ask to confirm --all.")


def run(command: BaseCommand, redis: RedisClient, prefix: str, options: dict[str, Any]) -> None:
    if options["all"]:
        if given_selector(options):
            raise CommandError("reset: --all cannot be combined with --username or --ip.")
        reset_all(command, redis, prefix, options)
        return
    selector = required_selector(options, "reset (or --all)")
    if options["dry_run"]:
        found = clients.find(
            redis, prefix, username=selector.username, ip_address=selector.ip_address
        )
        dry_run(command, [tracked.key for tracked in found])
        return
    count = AxesRedisHandler().reset_attempts(
        username=selector.username, ip_address=selector.ip_address
    )
    removed(command, selector.describe(), count)


def reset_all(
    command: BaseCommand, redis: RedisClient, prefix: str, options: dict[str, Any]
) -> None:
    if options["dry_run"]:
        targets = [
            key
            for key in scan.keys_matching(redis, keys.clients_pattern(prefix))
            if (parsed := keys.parse_key(prefix, key)) and parsed.kind == keys.KIND_CLIENT
        ]
        dry_run(command, sorted(targets))
        return
    if not options["yes"]:
        confirm(command, prefix, options.get("stdin") or sys.stdin)
    removed(command, "every client", AxesRedisHandler().reset_attempts())


def confirm(command: BaseCommand, prefix: str, stdin: Any) -> None:
    isatty = getattr(stdin, "isatty", None)
    if not (isatty and isatty()):
        raise CommandError(
            "reset --all: stdin is not interactive; pass --yes to reset every client."
        )
    command.stdout.write(
        f"This forgets every tracked client under the prefix {prefix!r}, "
        "unlocking everyone locked out. Type 'yes' to continue: ",
        ending="",
    )
    command.stdout.flush()
    if stdin.readline().strip() != "yes":
        raise CommandError("reset --all: not confirmed; nothing was removed.")


def dry_run(command: BaseCommand, targets: Sequence[str]) -> None:
    for key in targets:
        command.stdout.write(f"would remove {key}")
    command.stdout.write(f"{len(targets)} client(s) would be removed (dry run, nothing removed).")


def removed(command: BaseCommand, what: str, count: int) -> None:
    log.info(
        "%s reset %s from the command line: %d client(s) removed.",
        operator(),
        what,
        count,
    )
    command.stdout.write(f"{count} client(s) removed.")
