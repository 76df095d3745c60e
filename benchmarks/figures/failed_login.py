"""failed_login: authenticate() with a wrong password, every call from a new client."""

from __future__ import annotations

from typing import Any

from benchmarks.bench import Bench
from benchmarks.timing import paired_rounds


def measure(bench: Bench) -> dict[str, Any]:
    p = bench.params
    figure = paired_rounds(bench, p["login_ops"], bench.fresh, bench.driver.failed_login, "evalsha")
    figure["distinct_clients"] = p["rounds"] * p["login_ops"]
    return figure
