"""``axes_redis import-db``: carry django-axes' ``AccessAttempt`` rows that still count into Redis.

Thin over :mod:`axes_redis.import_db`; database errors become one line.
"""

from __future__ import annotations

import json
import logging
from argparse import _SubParsersAction
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils.connection import ConnectionDoesNotExist

from axes_redis import import_db
from axes_redis.command.arguments import operator, positive_int
from axes_redis.command.output import printable
from axes_redis.connection import RedisClient

log = logging.getLogger("axes_redis")

NAME = "import-db"


def add_parser(subcommands: _SubParsersAction[CommandParser], common: CommandParser) -> None:
    importing = subcommands.add_parser(
        NAME,
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


def run(command: BaseCommand, redis: RedisClient, prefix: str, options: dict[str, Any]) -> None:
    try:
        report = import_db.import_attempts(
            redis,
            prefix,
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
        command.stdout.write(json.dumps(report.as_dict()))
    else:
        for line in report.lines():
            command.stdout.write(printable(line))
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
