"""race: C processes (fork) released by a barrier guess passwords for one username, each from
its own IP; how many guesses reach the password check before the lockout stops them."""

from __future__ import annotations

import time
from typing import Any

from benchmarks.bench import WRONG_PASSWORD, Bench

RACE_USERNAME = "victim"


def reset(bench: Bench) -> None:
    bench.redis.flushdb()
    bench.driver.forget_attempts()


def measure(bench: Bench, attackers: int) -> dict[str, Any]:
    import multiprocessing

    from django.core.cache import caches
    from django.db import connections
    from django.test import override_settings

    from benchmarks import backends

    attempts_each = bench.limit + 1
    with override_settings(
        AUTHENTICATION_BACKENDS=bench.driver.race_backends, AXES_LOCKOUT_PARAMETERS=["username"]
    ):
        reset(bench)
        connections.close_all()
        for cache in caches.all():
            cache.close()
        context = multiprocessing.get_context("fork")
        barrier = context.Barrier(attackers)
        results = context.Queue()

        def attacker(index: int) -> None:
            outcome = {"evaluated": 0, "refused": False, "error": ""}
            start = backends.evaluated
            try:
                barrier.wait(timeout=60)
                for attempt in range(attempts_each):
                    before = backends.evaluated
                    ip = f"192.0.{(index >> 8) & 255}.{index & 255}"
                    # A distinct password per guess, as a real attacker sends.
                    password = f"{WRONG_PASSWORD}-{index}-{attempt}"
                    bench.driver.failed_login(bench.request(ip, RACE_USERNAME, password=password))
                    if backends.evaluated == before:
                        outcome["refused"] = True
                        break
            except Exception as exc:  # reported, never hidden
                outcome["error"] = f"{type(exc).__name__}: {exc}"[:200]
            outcome["evaluated"] = backends.evaluated - start
            results.put(outcome)

        processes = [
            context.Process(target=attacker, args=(i,), daemon=True) for i in range(attackers)
        ]
        started = time.monotonic()
        for process in processes:
            process.start()
        outcomes = [results.get(timeout=300) for _ in processes]
        for process in processes:
            process.join(timeout=30)
        elapsed = time.monotonic() - started
        reset(bench)
    errors = [o["error"] for o in outcomes if o["error"]]
    return {
        "attackers": attackers,
        "limit": bench.limit,
        "attempts_per_attacker": attempts_each,
        "evaluated": sum(int(o["evaluated"]) for o in outcomes),
        "refused_attackers": sum(1 for o in outcomes if o["refused"]),
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "seconds": elapsed,
    }
