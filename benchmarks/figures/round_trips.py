"""round_trips: Redis commands and round trips our process sends per operation (client-side
count), the server's ``INFO commandstats`` calls, and SQL queries on every database alias."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from benchmarks.bench import CLIENTS, Bench
from benchmarks.drivers import Login


def count(
    bench: Bench, prepare: Callable[[], Login], op: Callable[[Login], object]
) -> dict[str, Any]:
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    n = bench.params["round_trip_ops"]
    logins = [prepare() for _ in range(n)]
    op(prepare())  # warm the counting connections
    with bench.counting() as tally, ExitStack() as stack:
        op(prepare())
        captures = {
            alias: stack.enter_context(CaptureQueriesContext(connections[alias]))
            for alias in connections
        }
        tally.reset()
        before = calls(bench)
        for login in logins:
            op(login)
        after = calls(bench)
        sent = Counter(tally.commands)
        round_trips = tally.round_trips
    server = {
        name: (after.get(name, 0) - before.get(name, 0)) / n
        for name in sorted(set(after) | set(before))
        if name not in ("info",) and after.get(name, 0) != before.get(name, 0)
    }
    return {
        "ops": n,
        "redis_round_trips": round_trips / n,
        "redis_commands": sum(sent.values()) / n,
        "redis_commands_by_name": {k: v / n for k, v in sorted(sent.items())},
        "server_calls_by_name": server,
        "sql_queries": sum(len(c.captured_queries) for c in captures.values()) / n,
        "sql_queries_by_database": {
            alias: len(c.captured_queries) / n for alias, c in captures.items()
        },
    }


def calls(bench: Bench) -> dict[str, int]:
    return {name: int(values["calls"]) for name, values in bench.commandstats().items()}


def measure(bench: Bench) -> dict[str, Any]:
    driver = bench.driver

    def fresh() -> Login:
        return bench.fresh()

    def failed_once() -> Login:
        client = CLIENTS.next()
        driver.failed_login(bench.request(*client))
        return bench.request(*client)

    locked = CLIENTS.next()
    for _ in range(bench.limit):
        driver.failed_login(bench.request(*locked))

    return {
        "success_login": count(bench, bench.member, driver.success_login),
        "failed_login": count(bench, fresh, driver.failed_login),
        "failed_login_repeat": count(bench, failed_once, driver.failed_login),
        "check_clean": count(bench, fresh, driver.check),
        "check_locked": count(bench, lambda: bench.request(*locked), driver.check),
    }
