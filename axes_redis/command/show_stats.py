"""``axes_redis stats``: counts, lockouts, parameter sets, memory, scripts, attack overview."""

from __future__ import annotations

import json
from argparse import _SubParsersAction
from typing import Any

from axes.conf import settings as axes_settings
from django.core.management.base import BaseCommand, CommandParser

from axes_redis import overview, stats
from axes_redis.command.arguments import positive_int
from axes_redis.command.output import printable
from axes_redis.connection import RedisClient

NAME = "stats"


def add_parser(subcommands: _SubParsersAction[CommandParser], common: CommandParser) -> None:
    parser = subcommands.add_parser(
        NAME,
        help="Counts, lockouts, parameter sets, memory (sampled), scripts, attack overview.",
        parents=[common],
    )
    parser.add_argument(
        "--sample",
        type=positive_int,
        default=stats.DEFAULT_MEMORY_SAMPLE,
        help="Keys whose MEMORY USAGE is measured (default %(default)s).",
    )
    parser.add_argument("--json", action="store_true", help="One JSON object.")


def run(command: BaseCommand, redis: RedisClient, prefix: str, options: dict[str, Any]) -> None:
    found = stats.stats(redis, prefix, sample=options["sample"])
    # The attack overview's numbers; the locked count above is already exact.
    attack = overview.read(redis, prefix, locked_limit=None)
    if options["json"]:
        command.stdout.write(json.dumps({**found.as_dict(), "overview": attack.as_dict()}))
        return
    write = command.stdout.write
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
    for line in overview_lines(attack):
        write(printable(line))
    write("Lua scripts:")
    width = max(len(script.name) for script in found.scripts)
    for script in found.scripts:
        loaded = "loaded" if script.loaded else "not loaded (loads on first use)"
        write(f"  {script.name.ljust(width)}  {script.sha1}  {loaded}")


def _shown(value: str | None) -> str:
    return "(none given)" if value is None else value


def overview_lines(found: overview.Overview) -> list[str]:
    """The overview as ``axes_redis stats`` prints it (the caller escapes for the terminal)."""
    lines = []
    for window in (found.hour, found.day):
        partial = "" if window.complete else " (partly read: the read stopped at its bound)"
        lines.append(
            f"Trail, {window.name}: {window.failures} failures, {window.lockouts} lockouts, "
            f"{window.logins} logins{partial}"
        )
        for title, targets, other in (
            ("usernames", window.usernames, "IPs"),
            ("IP addresses", window.ips, "usernames"),
        ):
            if not targets:
                continue
            lines.append(f"  Most targeted {title}:")
            width = max(len(_shown(t.value)) for t in targets)
            for target in targets:
                lines.append(
                    f"    {_shown(target.value).ljust(width)}  {target.failures} failures, "
                    f"{target.lockouts} lockouts, {target.others} {other}"
                )
    bound = "" if found.complete else f", stopped at the bound of {found.max_entries}"
    lines.append(
        f"Trail read: {found.entries_read} entries of {found.trail_length} "
        f"in {found.reads} XREVRANGE call(s){bound}"
    )
    if not found.day.failures and axes_settings.AXES_ENABLE_ACCESS_FAILURE_LOG:
        lines.append("No failures in the trail in the last 24 hours.")
    lines.extend(found.notes)
    return lines
