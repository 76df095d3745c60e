"""``axes_redis inspect``: the Redis keys of a client, their fields and TTLs, as redis-cli."""

from __future__ import annotations

from argparse import _SubParsersAction
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from axes_redis import clients
from axes_redis.command.arguments import required_selector
from axes_redis.command.list_clients import username_note
from axes_redis.command.output import moment, printable, redis_cli, shell
from axes_redis.connection import RedisClient
from axes_redis.replies import from_unix_ms

NAME = "inspect"


def add_parser(subcommands: _SubParsersAction[CommandParser], common: CommandParser) -> None:
    inspect = subcommands.add_parser(
        NAME,
        help="The Redis keys of a client, their fields and TTLs, as redis-cli.",
        parents=[common],
    )
    inspect.add_argument("--username", help="Exact username.")
    inspect.add_argument("--ip", help="Exact IP address.")


def run(command: BaseCommand, redis: RedisClient, prefix: str, options: dict[str, Any]) -> None:
    selector = required_selector(options, "inspect")
    found = clients.find(redis, prefix, username=selector.username, ip_address=selector.ip_address)
    cli = redis_cli(redis)
    write = command.stdout.write
    if not found:
        write(printable(f"No tracked client holds {selector.describe(' ')}."))
    if selector.username is not None:
        note = username_note(selector.username, found)
        if note:
            command.stderr.write(note)
    for tracked in found:
        state = "locked" if tracked.locked else "not locked"
        write(f"{tracked.key}")
        write(
            f"  {tracked.failures} failure(s), limit {tracked.limit}, {state}, "
            f"TTL {'none' if tracked.ttl_ms is None else f'{tracked.ttl_ms} ms'}"
        )
        # The fields find() already read: no second HGETALL.
        for name, text in sorted(tracked.fields.items()):
            if name in ("first", "last"):
                text += f"  ({moment(from_unix_ms(text))})"
            write(f"    {printable(name)}: {printable(text)}".rstrip())
        for verb in ("HGETALL", "PTTL", "UNLINK"):
            write(f"  $ {shell([*cli, verb, tracked.key])}")
    write("Every key holding the value, combinations included:")
    for pattern in selector.patterns(prefix):
        write(f"  $ {shell([*cli, '--scan', '--pattern', pattern])}")
