"""check_locked: the lockout check alone, for clients past the limit (all must be refused)."""

from __future__ import annotations

from typing import Any

from benchmarks.bench import CLIENTS, Bench
from benchmarks.drivers import Login
from benchmarks.timing import paired_rounds


def measure(bench: Bench) -> dict[str, Any]:
    p = bench.params
    locked_clients = [CLIENTS.next() for _ in range(p["locked_clients"])]
    for ip, username in locked_clients:
        for _ in range(bench.limit):
            bench.driver.failed_login(bench.request(ip, username))
    refused = []

    def op(login: Login) -> None:
        answer = bench.driver.check(login)
        if not bench.reference:
            refused.append(not answer)

    def locked(i: int) -> Login:
        return bench.request(*locked_clients[i % len(locked_clients)])

    figure = paired_rounds(bench, p["check_ops"], locked, op, "get")
    figure["all_refused"] = all(refused)
    figure["locked_clients"] = len(locked_clients)
    return figure
