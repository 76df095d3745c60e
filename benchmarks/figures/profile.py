"""profile: pyinstrument over failed logins and checks: where the time goes, by package."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.bench import Bench

ROOT = Path(__file__).resolve().parent.parent.parent
PROFILE_BUCKETS = [
    ("/axes_redis/", "axes-redis"),
    ("/axes/", "django-axes"),
    ("/django_redis/", "django-redis"),
    ("/redis/", "redis-py (incl. waiting for Redis)"),
    ("/django/db/", "Django ORM"),
    ("/django/core/cache/", "Django cache layer"),
    ("/django/dispatch/", "Django signals"),
    ("/django/contrib/auth/", "Django auth"),
    ("/django/test/", "Django RequestFactory/test"),
    ("/django/conf/", "Django settings access"),
    ("/django/utils/", "Django utils"),
    ("/django/", "Django (other)"),
    ("/logging/", "logging"),
    ("/ipware/", "django-ipware"),
    ("/benchmarks/", "bench harness"),
]


def profile_bucket(path: str) -> str | None:
    for marker, name in PROFILE_BUCKETS:
        if marker in path:
            return name
    return None


def measure(bench: Bench) -> dict[str, Any]:
    from pyinstrument import Profiler

    found: dict[str, Any] = {}
    n = bench.params["profile_ops"]
    for figure, op in (
        ("failed_login", bench.driver.failed_login),
        ("check_clean", bench.driver.check),
    ):
        requests = [bench.fresh() for _ in range(n)]
        profiler = Profiler(interval=0.0001)
        profiler.start()
        for request in requests:
            op(request)
        session = profiler.stop()
        # Self time by package; stdlib and C calls count for the package that made them.
        buckets: defaultdict[str, float] = defaultdict(float)
        stack = [(session.root_frame(), "other (stdlib, C calls)")]
        while stack:
            frame, inherited = stack.pop()
            if frame is None or frame.is_synthetic:
                continue
            bucket = profile_bucket(frame.file_path or "") or inherited
            buckets[bucket] += frame.total_self_time
            stack.extend((child, bucket) for child in frame.children)
        total = sum(buckets.values()) or 1.0
        found[figure] = {
            "ops": n,
            "us_per_op_by_package": {
                k: v / n * 1e6 for k, v in sorted(buckets.items(), key=lambda kv: -kv[1])
            },
            "share_by_package": {k: v / total for k, v in buckets.items()},
            # Paths relative to the checkout: the results file never names the machine's.
            "text": profiler.output_text(unicode=False, color=False, show_all=False).replace(
                f"{ROOT}/", ""
            ),
        }
    return found
