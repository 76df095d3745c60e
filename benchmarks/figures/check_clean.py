"""check_clean: the lockout check alone, for clients never seen (all must be let in)."""

from __future__ import annotations

from typing import Any

from benchmarks.bench import Bench
from benchmarks.drivers import Login
from benchmarks.timing import paired_rounds


def measure(bench: Bench) -> dict[str, Any]:
    allowed = []

    def op(login: Login) -> None:
        answer = bench.driver.check(login)
        if not bench.reference:
            allowed.append(answer)

    figure = paired_rounds(bench, bench.params["check_ops"], bench.fresh, op, "get")
    figure["all_allowed"] = all(allowed)
    return figure
