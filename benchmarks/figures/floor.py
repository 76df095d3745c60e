"""The floor: bare redis-py, one EVALSHA of INCR+PEXPIRE and one GET per call.

In a process of its own, back to back, and after the client kept its CPU busy for a
while (``evalsha_after_work``); the paced floor of our handler (``timing.paced_floor``)
uses the same calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import redis

from benchmarks.timing import busy, timed_rounds

FLOOR_SCRIPT = "redis.call('INCR', KEYS[1]) redis.call('PEXPIRE', KEYS[1], ARGV[1]) return 1"
FLOOR_GET_KEY = "bench:floor:get"
FLOOR_PACING_US = [0, 250, 500, 1000, 2000]
"""Client work (busy loop, untimed) before each bare EVALSHA of the pacing figure."""
FLOOR_PACING_OPS = 500


def bare_calls(
    client: redis.Redis, keys: Iterator[int], ttl_ms: int
) -> dict[str, Callable[[], Any]]:
    """The bare commands by name: an EVALSHA writing a new key per call, a GET of one key."""
    sha = client.script_load(FLOOR_SCRIPT)
    client.set(FLOOR_GET_KEY, b"1")
    return {
        "evalsha": lambda: client.evalsha(sha, 1, f"bench:floor:{next(keys)}", ttl_ms),
        "get": lambda: client.get(FLOOR_GET_KEY),
    }


def working(microseconds: int) -> Callable[[int], None]:
    """A ``prepare`` that keeps the client's CPU busy before each timed call."""
    return lambda _: busy(microseconds)


def measure_floor(params: dict[str, Any], url: str) -> dict[str, Any]:
    """Bare redis-py: one EVALSHA of INCR+PEXPIRE, and one GET, per call."""
    client = redis.Redis.from_url(url)
    calls = bare_calls(client, iter(range(10**9)), ttl_ms=3_600_000)
    evalsha, get = calls["evalsha"], calls["get"]
    for _ in range(200):  # warm the connection and the script cache
        evalsha()
        get()
    rounds, ops = params["rounds"], params["check_ops"]
    result = {
        "evalsha": timed_rounds(rounds, ops, lambda i: None, lambda _: evalsha()),
        "get": timed_rounds(rounds, ops, lambda i: None, lambda _: get()),
        "evalsha_after_work": {
            str(gap): timed_rounds(rounds, FLOOR_PACING_OPS, working(gap), lambda _: evalsha())
            for gap in FLOOR_PACING_US
        },
    }
    client.flushdb()
    return result
