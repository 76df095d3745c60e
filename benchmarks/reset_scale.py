"""Reset-all at scale: how long the longest single Redis command blocks the server.

``python -m benchmarks.reset_scale [--clients N]`` seeds N tracked clients into a
throwaway redis-server, runs the handler's reset of everything (SCAN + UNLINK in
batches), and reads SLOWLOG (threshold 0, so every command is logged) for the
longest command. Redis is single-threaded: that figure is the longest stall any
other client (a login) could see because of the reset.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import TYPE_CHECKING

import django

if TYPE_CHECKING:
    from redis import Redis


def seed(redis: Redis, count: int) -> None:
    """``count`` tracked IP clients, one in a hundred locked out, as fast as pipelining goes."""
    from axes_redis import keys

    pipe = redis.pipeline(transaction=False)
    for n in range(count):
        ip = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"
        key = keys.client_key("axes", {"ip_address": ip})
        failures = 3 if n % 100 == 0 else 1
        pipe.hset(key, mapping={keys.FAILURES_FIELD: failures, "limit": 3, "first": 1, "last": 1})
        if n % 10_000 == 9_999:
            pipe.execute()
    pipe.execute()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=1_000_000)
    options = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings.operator")
    django.setup()

    import redis
    from django.test import override_settings

    from axes_redis.handler import AxesRedisHandler
    from testsupport.redis_server import throwaway_server

    with throwaway_server() as url:
        raw = redis.Redis.from_url(url)
        started = time.perf_counter()
        seed(raw, options.clients)
        seeded = time.perf_counter() - started
        memory = raw.info("memory")["used_memory"]

        raw.config_set("slowlog-log-slower-than", 0)
        raw.config_set("slowlog-max-len", 100_000)
        raw.slowlog_reset()
        caches = {"axes": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": url}}
        with override_settings(CACHES=caches):
            started = time.perf_counter()
            removed = AxesRedisHandler().reset_attempts()
            took = time.perf_counter() - started
        entries = raw.slowlog_get(100_000)
        by_command: dict[str, list[int]] = {}
        for entry in entries:
            name = entry["command"].split()[0].decode().upper()
            by_command.setdefault(name, []).append(int(entry["duration"]))

    version = redis.__version__
    print(f"clients seeded: {options.clients:,} in {seeded:.1f} s, used_memory {memory:,} B")
    print(f"reset-all removed {removed:,} clients in {took:.2f} s (redis-py {version})")
    for name, durations in sorted(by_command.items()):
        durations.sort()
        print(
            f"  {name:8} calls {len(durations):6,}  longest {durations[-1] / 1000:7.3f} ms"
            f"  p99 {durations[int(len(durations) * 0.99) - 1] / 1000:7.3f} ms"
        )


if __name__ == "__main__":
    main()
