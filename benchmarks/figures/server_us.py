"""server_us: Redis time per operation, from ``INFO commandstats`` after ``CONFIG RESETSTAT``.

The usec of the commands the subject sends (the client-side count names them; commands a
script runs are inside its ``EVALSHA`` and not added again), divided by the operations. Per
script, ``SLOWLOG`` at threshold 0 (each entry's duration is what commandstats adds up)
grouped by SHA. The slow log's settings are restored afterwards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from benchmarks.bench import Bench
from benchmarks.drivers import Login

SLOWLOG = ("slowlog-log-slower-than", "slowlog-max-len")
MAX_COMMANDS_PER_OP = 20


def script_names() -> dict[str, str]:
    """Our Lua scripts by SHA."""
    from axes_redis import scripts

    return {
        scripts.sha(path.name.removesuffix(".lua")): path.name.removesuffix(".lua")
        for path in scripts.folder().iterdir()
        if path.name.endswith(".lua")
    }


def measure(bench: Bench) -> dict[str, Any]:
    n = bench.params["server_ops"]
    saved = bench.redis.config_get("slowlog-*")
    restore = {name: value for name in SLOWLOG if (value := saved.get(name)) is not None}
    bench.redis.config_set("slowlog-log-slower-than", 0)
    bench.redis.config_set("slowlog-max-len", n * MAX_COMMANDS_PER_OP)
    driver = bench.driver
    try:
        return {
            "ops": n,
            "failed_login": per_op(bench, n, bench.fresh, driver.failed_login),
            "check_clean": per_op(bench, n, bench.fresh, driver.check),
            "success_login": per_op(bench, n, bench.member, driver.success_login),
        }
    finally:
        for name, value in restore.items():
            bench.redis.config_set(name, value)
        bench.redis.slowlog_reset()


def per_op(
    bench: Bench, n: int, prepare: Callable[[], Login], op: Callable[[Login], object]
) -> dict[str, Any]:
    logins = [prepare() for _ in range(n)]
    op(prepare())
    with bench.counting() as tally:
        op(prepare())  # warm the counting connections
        tally.reset()
        bench.redis.config_resetstat()
        bench.redis.slowlog_reset()
        for login in logins:
            op(login)
        stats = bench.commandstats()
        entries = bench.redis.slowlog_get(n * MAX_COMMANDS_PER_OP)
        sent = Counter(name.lower() for name in tally.commands)
    commands = {
        name: {
            "calls_per_op": float(stats[name]["calls"]) / n,
            "usec_per_call": float(stats[name]["usec_per_call"]),
        }
        for name in sorted(sent)
        if name in stats
    }
    names = script_names()
    durations: dict[str, list[int]] = {}
    for entry in entries:
        words = entry["command"].split()
        if len(words) > 1 and words[0].upper() == b"EVALSHA":
            script = names.get(words[1].decode(), "other script")
            durations.setdefault(script, []).append(int(entry["duration"]))
    return {
        "us_per_op": sum(float(stats[name]["usec"]) for name in commands) / n,
        # Calls the server counted beyond those this process sent: another client of the
        # bench Redis was busy, and its time is in the figure.
        "foreign_calls": sum(int(stats[name]["calls"]) - sent[name] for name in commands),
        "commands": commands,
        "scripts": {
            script: {"calls_per_op": len(found) / n, "usec_per_call": sum(found) / len(found)}
            for script, found in sorted(durations.items())
        },
    }
