"""memory: clients recorded through the subject's own failure path (no password check);
``MEMORY USAGE`` summed over all keys, and the server's ``used_memory`` delta, per client."""

from __future__ import annotations

import gc
from typing import Any

from benchmarks.bench import CLIENTS, Bench
from benchmarks.subjects import SCALE_SUBJECT


def tracked_bytes(bench: Bench) -> tuple[int, int]:
    """(keys, sum of MEMORY USAGE) over every key in the bench database."""
    keys = 0
    total = 0
    pipe = bench.redis.pipeline(transaction=False)
    batch: list[bytes] = []
    for key in bench.redis.scan_iter(count=1000):
        batch.append(key)
        if len(batch) == 1000:
            for k in batch:
                pipe.memory_usage(k, samples=0)
            total += sum(int(x or 0) for x in pipe.execute())
            keys += len(batch)
            batch = []
    for k in batch:
        pipe.memory_usage(k, samples=0)
    total += sum(int(x or 0) for x in pipe.execute())
    keys += len(batch)
    return keys, total


def measure(bench: Bench) -> dict[str, Any]:
    figure = per_client(bench)
    if bench.subject.name == SCALE_SUBJECT:
        from django.test import override_settings

        with override_settings(AXES_REDIS_METADATA=False):
            figure["without_metadata"] = per_client(bench)
    return figure


def per_client(bench: Bench) -> dict[str, Any]:
    n = bench.params["memory_clients"]
    bench.redis.flushdb()
    gc.collect()
    before = bench.used_memory()
    for _ in range(n):
        bench.driver.record_only(*CLIENTS.next())
    after = bench.used_memory()
    keys, usage = tracked_bytes(bench)
    bench.redis.flushdb()
    return {
        "clients": n,
        "keys": keys,
        "keys_per_client": keys / n,
        "memory_usage_bytes_per_client": usage / n,
        "used_memory_delta_per_client": (after - before) / n,
    }
