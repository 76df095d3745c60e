"""The under-attack load test at its smallest: our handler, two seconds of spray.

The benchmark's figures are only worth quoting if the scenario holds its promises: honest
users sign in while the spray runs (none refused, no server error), the spray's persistent
clients meet the lockout, and every figure the suite prints is there. Marked ``server``
(gunicorn in a subprocess): ``make test-server``.
"""

from __future__ import annotations

import dataclasses

import pytest

from benchmarks import under_attack

pytestmark = pytest.mark.server

CHEAP_ITERATIONS = 1_000
"""PBKDF2 rounds: enough guesses in two seconds for spray clients to pass their limit."""


def test_spray_locks_attackers_out_and_lets_honest_users_in(private_server_url: str) -> None:
    """Credential stuffing through a real server must not cost an honest user a login."""
    [row] = under_attack.run(
        private_server_url,
        under_attack.Size(seconds=2.0, max_requests=5_000, rounds=1),
        subjects=["axes-redis"],
        iterations=CHEAP_ITERATIONS,
    )
    assert row.subject == "axes-redis"
    assert not row.skipped
    assert {field.name for field in dataclasses.fields(row)} >= {
        name for name, _ in under_attack.COLUMNS
    }
    assert row.honest_logins > 0
    assert row.honest_refused == 0
    assert row.server_errors == 0
    assert row.no_answer == 0
    assert row.attack_locked_out > 0, "no spray client met its lockout"
    assert row.requests > row.honest_logins
    assert row.requests_per_second > 0
    assert 0 < row.honest_p50_ms <= row.honest_p99_ms
    assert row.store_cpu_seconds > 0
    assert row.django_cpu_seconds > 0
    assert row.django_cpu_ms_per_request > 0
    assert row.label in under_attack.table([row])
