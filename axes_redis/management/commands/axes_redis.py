"""``python manage.py axes_redis``: list, inspect, reset and count tracked clients.

A thin parser: each subcommand is a module of :mod:`axes_redis.command` that adds
its options and runs. Reads go through :mod:`axes_redis.clients` (bounded ``SCAN``
pages, exact searches); resets go through ``AxesRedisHandler.reset_attempts``.
A Redis failure ends the command with one line, not a traceback.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from redis.exceptions import RedisError

from axes_redis.command import (
    import_attempts,
    inspect_clients,
    list_clients,
    reset_clients,
    show_log,
    show_stats,
)
from axes_redis.command.arguments import common_options
from axes_redis.conf import axes_redis_settings
from axes_redis.connection import RedisCommandError, command_error, get_client

SUBCOMMANDS = {
    module.NAME: module
    for module in (
        list_clients,
        inspect_clients,
        reset_clients,
        show_stats,
        show_log,
        import_attempts,
    )
}
"""Each subcommand's module, in the order ``--help`` lists them."""


class Command(BaseCommand):
    help = (
        "Tracked clients of axes-redis: list them, inspect their Redis keys, "
        "reset them, or count them; read the login trail."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        common = common_options()
        subcommands = parser.add_subparsers(
            dest="subcommand", metavar=f"{{{','.join(SUBCOMMANDS)}}}", required=True
        )
        for module in SUBCOMMANDS.values():
            module.add_parser(subcommands, common)

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        try:
            SUBCOMMANDS[subcommand].run(self, get_client(), axes_redis_settings.key_prefix, options)
        except RedisCommandError:
            raise
        except RedisError as exc:
            # One line on stderr and exit status 1, not a traceback (--traceback shows it).
            raise command_error(exc, f"axes_redis {subcommand}") from exc
