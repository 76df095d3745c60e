"""e2e_login: Django's test client POSTs a wrong password to /login/ (LoginView), through
the subject's documented middleware and backends."""

from __future__ import annotations

from collections import Counter
from typing import Any

from benchmarks.bench import CLIENTS, USER_AGENT, WRONG_PASSWORD, Bench
from benchmarks.timing import paired_rounds


def measure(bench: Bench) -> dict[str, Any]:
    from django.test import Client

    browser = Client()
    statuses: Counter[int] = Counter()

    def prepare(i: int) -> tuple[str, str]:
        return CLIENTS.next()

    def op(who: tuple[str, str]) -> None:
        ip, username = who
        response = browser.post(
            "/login/",
            {"username": username, "password": WRONG_PASSWORD},
            REMOTE_ADDR=ip,
            HTTP_USER_AGENT=USER_AGENT,
        )
        if not bench.reference:
            statuses[response.status_code] += 1

    op(prepare(0))
    figure = paired_rounds(bench, bench.params["e2e_ops"], prepare, op)
    figure["statuses"] = {str(k): v for k, v in statuses.items()}
    return figure
