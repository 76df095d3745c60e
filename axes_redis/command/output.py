"""What the subcommands print: escaped text, aligned tables, times, shell lines.

Everything an attacker chose (usernames, user agents, paths) is shown through
:func:`printable`, so a table cannot carry terminal escape sequences.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from redis.cluster import RedisCluster

from axes_redis.connection import RedisClient

CELL_WIDTH = {"parameters": 80, "username": 40, "user agent": 40, "path": 30}
"""Longest text a table cell shows (the JSON output always has everything)."""


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


def table(columns: Sequence[str], rows: Sequence[dict[str, str]]) -> list[str]:
    """Aligned columns, two spaces apart, trailing blanks trimmed."""
    cells = [{name: clip(text, CELL_WIDTH.get(name)) for name, text in r.items()} for r in rows]
    widths = {name: max([len(name), *(len(c[name]) for c in cells)]) for name in columns}
    lines = []
    for values in [dict(zip(columns, columns, strict=True)), *cells]:
        lines.append("  ".join(values[name].ljust(widths[name]) for name in columns).rstrip())
    return lines


def redis_cli(redis: RedisClient) -> list[str]:
    """``redis-cli`` and the options that reach the server ``redis`` talks to.

    Never a password: ``--askpass`` makes redis-cli prompt for it.
    """
    if isinstance(redis, RedisCluster):
        cluster: Any = redis  # redis-py's cluster API is untyped
        node = cluster.get_default_node()
        return ["redis-cli", "-c", "-h", str(node.host), "-p", str(node.port)]
    pool = getattr(redis, "connection_pool", None)
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
