"""scale: failed login and check with many clients already tracked (our handler only)."""

from __future__ import annotations

import time
from typing import Any

from benchmarks.bench import CLIENTS, USER_AGENT, Bench
from benchmarks.timing import paired_rounds

SCALE_MIN_ROUNDS = 5
"""Rounds per scale level at least (each paired with a same-window baseline round)."""
SCALE_SETTLE_OPS = 500
SCALE_SETTLE_SECONDS = 2.0


def seed(bench: Bench, count: int) -> float:
    """Add ``count`` tracked clients shaped like the handler's, pipelined."""
    from axes_redis.keys import FAILURES_FIELD, client_key

    started = time.monotonic()
    now = str(int(time.time() * 1000))
    pipe = bench.redis.pipeline(transaction=False)
    for n in range(count):
        ip, username = CLIENTS.next()
        key = client_key("axes", {"ip_address": ip})
        pipe.hset(
            key,
            mapping={
                FAILURES_FIELD: 1,
                "first": now,
                "last": now,
                "limit": bench.limit,
                "username": username,
                "ip_address": ip,
                "user_agent": USER_AGENT,
                "path_info": "/login/",
            },
        )
        pipe.pexpire(key, 3_600_000)
        if n % 2000 == 1999:
            pipe.execute()
    pipe.execute()
    return time.monotonic() - started


seeded: list[int] = []
"""Clients the levels so far have seeded in this process (empty before the first level)."""


def measure(bench: Bench, level: int) -> dict[str, Any]:
    """Failed login and check with ``level`` clients tracked, against a same-window baseline.

    Levels are minutes apart (seeding 1M keys takes ~30 s) on a shared machine, and
    drift between them was larger than the 10 % the figure is about. So each level
    is measured as the headline figures are (:func:`benchmarks.timing.paired_rounds`):
    each round beside a round of AxesDummyHandler in this process, and a round of the
    bare command at login pace, which tells a slower Redis host from a cost of ours
    that grows with the keyspace.
    Before timing, ``SCALE_SETTLE_OPS`` untimed logins and a pause let Redis finish
    growing its keyspace table (it doubles at 2**20 keys and rehashes
    incrementally; measured: the first 2 s after seeding 1.06M keys were ~20 %
    slower).
    """
    if not seeded:
        bench.redis.flushdb()
        seeded.append(0)
    seconds = seed(bench, level - seeded[-1])
    seeded.append(level)
    p = bench.params
    rounds = max(p["rounds"], SCALE_MIN_ROUNDS)

    for _ in range(SCALE_SETTLE_OPS):
        bench.driver.failed_login(bench.fresh())
    time.sleep(SCALE_SETTLE_SECONDS)
    tracked = int(bench.redis.dbsize())

    figures = {
        name: paired_rounds(bench, p["scale_ops"], bench.fresh, op, floor, rounds=rounds)
        for name, op, floor in (
            ("failed_login", bench.driver.failed_login, "evalsha"),
            ("check_clean", bench.driver.check, "get"),
        )
    }
    return {
        "level": level,
        "tracked_at_start": tracked,
        "seed_seconds": seconds,
        **figures,
    }
